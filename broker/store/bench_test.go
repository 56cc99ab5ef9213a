package store

import (
	"testing"
	"time"

	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
)

// benchBodySize is the message body the targets are stated for.
const benchBodySize = 1024

func benchMessage() *Message {
	return &Message{Topic: "BenchTopic", QueueID: 0, Body: make([]byte, benchBodySize),
		Properties:    "TAGS\x01t\x02UNIQ_KEY\x01C0A80001000000000000000000000001\x02",
		BornTimestamp: 1, BornHost: message.AddrV4(10, 0, 0, 2, 40000)}
}

// BenchmarkPutMemFS is the store's CPU cost per put with no disk behind it.
func BenchmarkPutMemFS(b *testing.B) {
	fs := memfs.New(0, 1)
	clock := fakeclock.New(testStart)
	cfg := DefaultConfig()
	cfg.MappedFileSizeCommitLog = 64 << 20
	s, err := Open(cfg, Options{FS: fs, Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	m := benchMessage()
	b.SetBytes(benchBodySize)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.Put(m, func(r PutResult) {
			if r.Status != PutOK {
				b.Fatalf("put: %v %v", r.Status, r.Err)
			}
		})
		if i%4096 == 0 {
			clock.Advance(time.Millisecond)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
