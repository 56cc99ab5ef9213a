package consumer_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/runtime"
)

// A slow handler holds messages; the consumer stops pulling a queue once
// PullThresholdForQueue messages are cached and resumes when they finish.
func TestFlowControlBoundsCachedMessages(t *testing.T) {
	cl := clienttest.NewCluster(t, 51, clienttest.Options{})
	pn, p := newProducer(t, cl, "prod")
	ms := msgs("FC", 400, nil)
	sendAll(t, cl, pn, p, ms, producer.Manual{Queue: client.Queue{BrokerName: "broker-a", QueueID: 0}})

	var held []func(consumer.Result)
	n := cl.AddClient("cons", func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: "cg", NameServers: cl.NSAddrs,
			ConsumeFrom: consumer.ConsumeFromFirstOffset, PullThresholdForQueue: 50})
		if err != nil {
			return nil, err
		}
		if err := c.Subscribe("FC", "*", func(_ []*client.MessageExt, done func(consumer.Result)) { held = append(held, done) }); err != nil {
			return nil, err
		}
		h := &clienttest.Holder{RT: rt}
		return h, c.Start()
	})
	cl.W.RunFor(10 * time.Second)
	require.GreaterOrEqual(t, len(held), 50)
	require.LessOrEqual(t, len(held), 50+consumer.PullBatchSizeDefault, "flow control stops pulling")

	// Finishing the held messages lets the rest flow, in bounded steps.
	total := 0
	for step := 0; step < 40 && total < 400; step++ {
		batch := held
		held = nil
		total += len(batch)
		cl.Post(n, func() {
			for _, done := range batch {
				done(consumer.Success)
			}
		})
		cl.W.RunFor(time.Second)
		require.LessOrEqual(t, len(held), 50+consumer.PullBatchSizeDefault)
	}
	require.Equal(t, 400, total+len(held))
}
