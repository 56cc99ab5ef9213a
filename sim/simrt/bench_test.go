package simrt

import (
	"fmt"
	goruntime "runtime"
	"runtime/debug"
	"testing"
	"time"

	"rocketsim/runtime"
)

// ticker is a node with a few periodic timers and nothing else: the shape
// of a mostly idle cluster (heartbeats, flush and cleanup timers).
type ticker struct{ ticks int }

func (t *ticker) Stop() {}

func newTicker(periods ...time.Duration) (runtime.NewNode, **ticker) {
	out := new(*ticker)
	return func(rt runtime.Runtime) (runtime.Node, error) {
		t := &ticker{}
		for _, p := range periods {
			var tick func()
			tick = func() {
				t.ticks++
				rt.AfterFunc(p, tick)
			}
			rt.AfterFunc(p, tick)
		}
		*out = t
		return t, nil
	}, out
}

func idleWorld(seed uint64) (*World, []**ticker) {
	w := New(seed, Options{})
	var ts []**ticker
	for i := range 3 {
		nn, t := newTicker(time.Second, 5*time.Second, 30*time.Second)
		w.AddNode(fmt.Sprintf("n%d", i), NodeConfig{}, nn).Start()
		ts = append(ts, t)
	}
	return w, ts
}

func TestIdleHourIsCheapAndBounded(t *testing.T) {
	w, ts := idleWorld(1)
	w.RunFor(time.Minute)
	pending := w.Pending()
	w.RunFor(time.Hour - time.Minute)
	// 3600 + 720 + 120 ticks per node.
	for i, tk := range ts {
		if got := (*tk).ticks; got != 4440 {
			t.Fatalf("node %d ticked %d times in an hour, want 4440", i, got)
		}
	}
	if w.Events() != 3*4440 {
		t.Fatalf("%d events, want %d", w.Events(), 3*4440)
	}
	if w.Pending() != pending {
		t.Fatalf("queue grew from %d to %d events over an idle hour", pending, w.Pending())
	}
	if w.Now() != time.Hour {
		t.Fatalf("Now = %v", w.Now())
	}
}

// BenchmarkIdle runs an hour of three nodes with periodic timers per op.
func BenchmarkIdle(b *testing.B) {
	b.ReportAllocs()
	var events uint64
	var before, after goruntime.MemStats
	goruntime.ReadMemStats(&before)
	start := time.Now()
	for range b.N {
		w, _ := idleWorld(1)
		w.RunFor(time.Hour)
		events += w.Events()
	}
	wall := time.Since(start).Seconds()
	goruntime.ReadMemStats(&after)
	// Each tick sets a new timer: one allocation (the Timer) per event.
	b.ReportMetric(float64(after.Mallocs-before.Mallocs)/float64(events), "allocs/event")
	b.ReportMetric(float64(events)/wall, "events/s")
	b.ReportMetric(float64(b.N)*time.Hour.Seconds()/wall, "sim-s/wall-s")
}

// chatter is a node that keeps a window of frames in flight to every other
// node and answers each frame it gets, so the cluster stays busy.
type chatter struct {
	rt    runtime.Runtime
	recvd int
	resp  []byte
}

func (c *chatter) Stop()                       {}
func (c *chatter) OnConnect(runtime.Conn)      {}
func (c *chatter) OnClose(runtime.Conn, error) {}
func (c *chatter) OnFrame(cn runtime.Conn, f []byte) {
	c.recvd++
	// Bounce the frame back: the runtime owns it again, no allocation.
	if err := cn.Send(f); err != nil {
		panic(err)
	}
}

// busyCluster starts nodes chatter nodes that each dial every other node
// and put window frames of size bytes on every connection.
func busyCluster(nodes, window, size int) (*World, []*chatter) {
	w := New(1, Options{})
	cs := make([]*chatter, nodes)
	ns := make([]*Node, nodes)
	for i := range nodes {
		ns[i] = w.AddNode(fmt.Sprintf("n%d", i), NodeConfig{}, func(rt runtime.Runtime) (runtime.Node, error) {
			c := &chatter{rt: rt}
			if _, err := rt.Listen(fmt.Sprintf("%s:7000", defaultHost(i)), func(runtime.Conn) runtime.ConnHandler { return c }); err != nil {
				return nil, err
			}
			cs[i] = c
			return c, nil
		})
		ns[i].Start()
	}
	for i, n := range ns {
		for j := range ns {
			if i == j {
				continue
			}
			conn := n.Runtime().Dial(fmt.Sprintf("%s:7000", defaultHost(j)), cs[i])
			for range window {
				f := make([]byte, size)
				f[3] = byte(size - 4)
				if err := conn.Send(f); err != nil {
					panic(err)
				}
			}
		}
	}
	return w, cs
}

func TestBusyClusterDelivers(t *testing.T) {
	w, cs := busyCluster(5, 4, 64)
	w.RunFor(100 * time.Millisecond)
	for i, c := range cs {
		if c.recvd < 1000 {
			t.Fatalf("node %d got only %d frames", i, c.recvd)
		}
	}
	h := w.TraceHash()
	w2, _ := busyCluster(5, 4, 64)
	w2.RunFor(100 * time.Millisecond)
	if w2.TraceHash() != h {
		t.Fatal("busy cluster is not deterministic")
	}
}

// BenchmarkBusyCluster measures the kernel's hot path: five nodes bouncing
// 64-byte frames all-to-all. One op is one delivered event.
func BenchmarkBusyCluster(b *testing.B) {
	debug.SetGCPercent(400)
	defer debug.SetGCPercent(100)
	w, _ := busyCluster(5, 8, 64)
	w.RunFor(10 * time.Millisecond) // connect and warm the pools
	b.ReportAllocs()
	b.ResetTimer()
	startEv, startSim := w.Events(), w.Now()
	start := time.Now()
	for range b.N {
		if !w.Step() {
			b.Fatal("cluster went quiet")
		}
	}
	wall := time.Since(start).Seconds()
	b.ReportMetric(float64(w.Events()-startEv)/wall, "events/s")
	b.ReportMetric((w.Now()-startSim).Seconds()/wall, "sim-s/wall-s")
}
