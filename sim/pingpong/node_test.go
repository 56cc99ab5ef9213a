package pingpong

import (
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simrt"
)

// world is a server and one client in the simulator, with the client's
// history.
type world struct {
	w      *simrt.World
	srv    *simrt.Node
	cli    *simrt.Node
	events []Timed
}

func newWorld(t *testing.T, cfg Config, fsync time.Duration) *world {
	t.Helper()
	tw := &world{w: simrt.New(3, simrt.Options{})}
	disk := simdisk.Options{FsyncLatency: func(*rand.Rand) time.Duration { return fsync }}
	tw.srv = tw.w.AddNode("server", simrt.NodeConfig{Disk: disk}, func(rt runtimeT) (nodeT, error) {
		return NewServer(cfg, tw.srv.Host())(rt)
	})
	rec := func(e Event) { tw.events = append(tw.events, Timed{At: tw.w.Now(), Event: e}) }
	tw.cli = tw.w.AddNode("client", simrt.NodeConfig{}, func(rt runtimeT) (nodeT, error) {
		return NewClient(cfg, tw.srv.Host()+":7000", rec)(rt)
	})
	tw.srv.Start()
	tw.cli.Start()
	if tw.srv.Err() != nil || tw.cli.Err() != nil {
		t.Fatalf("start: %v %v", tw.srv.Err(), tw.cli.Err())
	}
	return tw
}

func (tw *world) count(o Outcome, since time.Duration) int {
	n := 0
	for _, e := range tw.events {
		if e.Outcome == o && e.At >= since {
			n++
		}
	}
	return n
}

func TestServerAndClientThroughCrashes(t *testing.T) {
	cfg := Config{Interval: 10 * time.Millisecond, Timeout: 300 * time.Millisecond, Window: 3}.WithDefaults()
	tw := newWorld(t, cfg, 25*time.Millisecond)
	tw.w.RunFor(2 * time.Second)
	if n := tw.count(OK, 0); n < 100 {
		t.Fatalf("%d acks in 2s at one request per 10ms, fsync 25ms, window 3", n)
	}

	// A crash: the client's requests in flight end unknown, it redials,
	// and once the server is back it makes progress again.
	tw.srv.Crash()
	tw.w.RunFor(time.Second)
	down := tw.w.Now()
	if n := tw.count(OK, down-500*time.Millisecond); n != 0 {
		t.Errorf("%d acks while the server was down", n)
	}
	tw.srv.Start()
	tw.w.RunFor(2 * time.Second)
	if n := tw.count(OK, down); n < 50 {
		t.Errorf("%d acks in the 2s after the restart", n)
	}

	// A power loss: everything acknowledged was synced, so it is all in
	// what the restarted server recovers.
	tw.cli.Stop()
	tw.srv.PowerLoss()
	tw.srv.Start()
	recovered := tw.srv.Value().(*Server).Recovered()
	res := Check(tw.events, recovered, 0, []string{"client"})
	if len(res.Lost) != 0 || len(res.Unexpected) != 0 || res.Acked == 0 {
		t.Errorf("after power loss: %d acked, %d lost, %d unexpected", res.Acked, len(res.Lost), len(res.Unexpected))
	}

	// The window bounds the requests in flight at every moment.
	inflight, most := 0, 0
	for _, e := range tw.events {
		if e.Outcome == Invoked {
			inflight++
		} else {
			inflight--
		}
		most = max(most, inflight)
	}
	if most > cfg.Window {
		t.Errorf("%d requests in flight, window %d", most, cfg.Window)
	}
	if most < 2 {
		t.Errorf("never more than %d request in flight: the window is not used", most)
	}
}

func TestClientRedialsAfterRefusal(t *testing.T) {
	cfg := Config{Interval: 10 * time.Millisecond, Redial: 100 * time.Millisecond}.WithDefaults()
	tw := newWorld(t, cfg, 0)
	tw.srv.Crash() // before the client's dial lands: refused
	tw.w.RunFor(time.Second)
	if n := tw.count(OK, 0); n != 0 {
		t.Fatalf("%d acks from a dead server", n)
	}
	tw.srv.Start()
	tw.w.RunFor(time.Second)
	if n := tw.count(OK, 0); n < 20 {
		t.Errorf("%d acks in the second after the server came up: the client did not redial", n)
	}
}

// Aliases keep the constructors above on one line each.
type (
	runtimeT = runtime.Runtime
	nodeT    = runtime.Node
)
