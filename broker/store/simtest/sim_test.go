// Package simtest runs the store as a node of the deterministic simulator
// (sim/simrt): its runtime's clock, timers and simulated disk, crashes and
// power losses injected by the world. It holds only tests, kept apart so
// the store's own tests do not depend on the simulator.
package simtest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simrt"
)

type storeNode struct{ s *store.Store }

func (n *storeNode) Stop() { n.s.Close() }

func cfg() store.Config {
	c := store.DefaultConfig()
	c.MappedFileSizeCommitLog = 64 << 10
	c.MappedFileSizeConsumeQueue = 100 * 20
	c.MaxMessageSize = 8 << 10
	c.MaxHashSlotNum = 64
	c.MaxIndexNum = 400
	c.FlushDiskType = config.SyncFlush
	return c
}

// run drives puts, crashes and power losses for a simulated minute and
// checks after every restart that every acknowledged record is there,
// byte for byte. It returns the world's trace hash.
func run(t *testing.T, seed uint64) string {
	w := simrt.New(seed, simrt.Options{})
	node := w.AddNode("broker", simrt.NodeConfig{Disk: simdisk.Options{
		FsyncLatency: func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(3000)) * time.Microsecond },
	}}, func(rt runtime.Runtime) (runtime.Node, error) {
		opt := store.Options{FS: rt.Disk(), Clock: rt, Log: rt.Log(),
			StoreHost: message.AddrV4(192, 0, 2, 1, 10911)}
		if seed%2 == 1 {
			// Odd seeds hand writes to the OS through Post (as the real
			// broker does), even ones through the zero-delay timer.
			opt.Post = rt.Post
		}
		s, err := store.Open(cfg(), opt)
		if err != nil {
			return nil, err
		}
		return &storeNode{s}, nil
	})
	node.Start()
	rng := w.Rand("workload")
	acked := map[int64][]byte{}
	verify := func(what string) {
		sn, ok := node.Value().(*storeNode)
		if !ok {
			t.Fatalf("seed %d: node down after %s: %v", seed, what, node.Err())
		}
		done := false
		node.Runtime().Post(func() {
			for off, want := range acked {
				_, got, err := sn.s.LookMessageByOffset(off)
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("seed %d after %s: acked record at %d: %v", seed, what, off, err)
				}
			}
			done = true
		})
		w.RunUntil(func() bool { return done }, time.Second)
	}
	for i := 0; i < 3000; i++ {
		switch p := rng.IntN(1000); {
		case p < 990:
			if sn, ok := node.Value().(*storeNode); ok {
				body := make([]byte, rng.IntN(1500))
				topic := fmt.Sprintf("T%d", rng.IntN(3))
				node.Runtime().Post(func() {
					sn.s.Put(&store.Message{Topic: topic, QueueID: int32(i % 4), Body: body,
						Properties: fmt.Sprintf("UNIQ_KEY\x01U%08d\x02", i)}, func(r store.PutResult) {
						if r.Status != store.PutOK {
							return
						}
						_, raw, err := sn.s.LookMessageByOffset(r.PhysicalOffset)
						if err != nil {
							t.Errorf("acked record unreadable: %v", err)
							return
						}
						acked[r.PhysicalOffset] = raw
					})
				})
			}
			w.RunFor(time.Duration(rng.IntN(2000)) * time.Microsecond)
		case p < 995:
			node.Crash()
			node.Start()
			verify("crash")
		default:
			node.PowerLoss()
			node.Start()
			verify("power loss")
		}
	}
	node.Stop()
	node.Start()
	verify("clean restart")
	if len(acked) < 1000 {
		t.Fatalf("seed %d: only %d acked puts: the workload did not run", seed, len(acked))
	}
	return w.TraceHash()
}

func TestStoreInSimulator(t *testing.T) {
	for seed := uint64(1); seed <= 4; seed++ {
		run(t, seed)
	}
}

func TestStoreInSimulatorReplays(t *testing.T) {
	if a, b := run(t, 77), run(t, 77); a != b {
		t.Fatalf("same seed, different trace hashes: %s %s", a, b)
	}
}
