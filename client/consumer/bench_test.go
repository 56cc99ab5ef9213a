package consumer_test

import (
	"testing"
	"time"

	"rocketsim/client/clienttest"
)

// BenchmarkSimSendConsume measures the simulator's wall-clock cost of one
// message sent by our producer and consumed by our push consumer through
// the real name server and broker nodes (report: ns/op per message).
func BenchmarkSimSendConsume(b *testing.B) {
	cl := clienttest.NewCluster(b, 91, clienttest.Options{})
	pn, p := newProducer(b, cl, "prod")
	_, node := newConsumer(b, cl, "cons", nil, "BM", "*", accept)
	b.ResetTimer()
	sendAll(b, cl, pn, p, msgs("BM", b.N, nil), nil)
	cl.RunUntil("consumed", func() bool { return len(node.got.ids) == b.N }, time.Hour)
}
