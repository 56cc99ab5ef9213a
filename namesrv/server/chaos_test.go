package server_test

import (
	"fmt"
	"testing"
	"time"

	"rocketsim/namesrv/registrar"
	"rocketsim/sim/simnet"
)

// TestSimChaosConverges throws random faults at three name servers and two
// brokers for ten simulated minutes (crash, restart, power loss, pause,
// graceful stop and start, partitions of every shape), then heals everything
// and requires every name server to hold the same routes, naming both
// brokers, within two registration periods. A seed replays exactly.
func TestSimChaosConverges(t *testing.T) {
	for seed := uint64(100); seed < 108; seed++ {
		var hashes [2]string
		for rerun := range hashes {
			c := newCluster(seed, simnet.StallTimeoutDefault)
			rng := c.w.Rand("chaos")
			nodes := append(append([]string(nil), nameServers...), "broker-a", "broker-b")
			var log []string
			for step := 0; step < 60; step++ {
				c.w.RunFor(time.Duration(1+rng.IntN(20)) * time.Second)
				name := nodes[rng.IntN(len(nodes))]
				n := c.w.Node(name)
				var what string
				switch rng.IntN(8) {
				case 0:
					n.Crash()
					what = "crash"
				case 1:
					n.Restart()
					what = "restart"
				case 2:
					n.PowerLoss()
					what = "power loss"
				case 3:
					if !n.Paused() {
						n.Pause()
						what = "pause"
					} else {
						n.Resume()
						what = "resume"
					}
				case 4:
					n.Stop()
					what = "stop"
				case 5:
					other := nodes[rng.IntN(len(nodes))]
					_ = c.w.Net().Partition([]string{name}, []string{other})
					what = "partition from " + other
				case 6:
					c.w.Net().Heal()
					what = "heal"
				case 7:
					n.Start()
					what = "start"
				}
				log = append(log, fmt.Sprintf("%v %s %s", c.w.Now(), name, what))
			}
			// Liveness phase: heal, resume and start everything.
			c.w.Net().Heal()
			for _, name := range nodes {
				n := c.w.Node(name)
				if n.Paused() {
					n.Resume()
				}
				n.Start()
			}
			ok := c.w.RunUntil(func() bool {
				want := c.route("ns1")
				for _, ns := range nameServers {
					if c.route(ns) != want || len(c.table(ns).LiveBrokers()) != 2 {
						return false
					}
				}
				r, _ := c.table("ns1").Route("T")
				return len(r.BrokerDatas) == 2
			}, 2*registrar.PeriodDefault+registrar.TimeoutDefault+simnet.StallTimeoutDefault)
			if !ok {
				for _, l := range log {
					t.Log(l)
				}
				for _, ns := range nameServers {
					t.Logf("%s live %v route %s", ns, c.table(ns).LiveBrokers(), c.route(ns))
				}
				t.Fatalf("seed %d: name servers did not converge after healing", seed)
			}
			hashes[rerun] = c.w.TraceHash()
		}
		if hashes[0] != hashes[1] {
			t.Fatalf("seed %d: trace hashes differ: %v", seed, hashes)
		}
	}
}
