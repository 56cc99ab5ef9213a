package simrt

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"rocketsim/runtime"
)

// pinger dials the echo server and keeps one ping in flight, waiting a
// random think time between pings, plus a periodic timer.
type pinger struct {
	rt    runtime.Runtime
	conn  runtime.Conn
	sent  int
	got   []string
	ticks int
}

func (p *pinger) Stop()                    {}
func (p *pinger) OnConnect(c runtime.Conn) { p.send() }
func (p *pinger) OnFrame(c runtime.Conn, f []byte) {
	p.got = append(p.got, string(f[4:]))
	think := time.Duration(p.rt.Rand().Int64N(int64(5 * time.Millisecond)))
	p.rt.AfterFunc(think, p.send)
}
func (p *pinger) OnClose(runtime.Conn, error) {}
func (p *pinger) send() {
	p.sent++
	_ = p.conn.Send(frame(fmt.Sprintf("ping-%d-%d", p.sent, p.rt.Rand().IntN(1000))))
}
func (p *pinger) tick() {
	p.ticks++
	p.rt.AfterFunc(100*time.Millisecond, p.tick)
}

func newPinger(target string, out **pinger) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		p := &pinger{rt: rt}
		p.conn = rt.Dial(target, p)
		rt.AfterFunc(100*time.Millisecond, p.tick)
		if out != nil {
			*out = p
		}
		return p, nil
	}
}

func pingPong(seed uint64, d time.Duration) (*World, *pinger) {
	w := New(seed, Options{})
	var p *pinger
	srv := w.AddNode("server", NodeConfig{}, newServer(true, w, nil))
	cli := w.AddNode("client", NodeConfig{}, newPinger(fmt.Sprintf("%s:9000", "192.0.2.1"), &p))
	srv.Start()
	cli.Start()
	w.RunFor(d)
	return w, p
}

func TestPingPongRunsAndIsDeterministic(t *testing.T) {
	w1, p1 := pingPong(7, 2*time.Second)
	if len(p1.got) < 100 {
		t.Fatalf("only %d pongs in 2 s", len(p1.got))
	}
	if p1.ticks != 20 {
		t.Fatalf("ticks = %d, want 20", p1.ticks)
	}
	for i, g := range p1.got {
		if want := fmt.Sprintf("ping-%d-", i+1); g[:len(want)] != want {
			t.Fatalf("pong %d = %q, want prefix %q", i, g, want)
		}
	}
	w2, p2 := pingPong(7, 2*time.Second)
	if w1.TraceHash() != w2.TraceHash() || w1.Events() != w2.Events() {
		t.Fatalf("same seed, different runs: %s/%d vs %s/%d", w1.TraceHash(), w1.Events(), w2.TraceHash(), w2.Events())
	}
	if fmt.Sprint(p1.got) != fmt.Sprint(p2.got) {
		t.Fatal("same seed, different pongs")
	}
	w3, _ := pingPong(8, 2*time.Second)
	if w3.TraceHash() == w1.TraceHash() {
		t.Fatalf("seeds 7 and 8 gave the same trace hash %s", w1.TraceHash())
	}
	if w1.Now() != 2*time.Second {
		t.Fatalf("Now = %v after RunFor(2s)", w1.Now())
	}
}

func TestRandStreamsIndependentOfOtherNodes(t *testing.T) {
	draw := func(extra bool) int64 {
		w := New(42, Options{})
		if extra {
			w.AddNode("aaa", NodeConfig{}, newIdle)
		}
		n := w.AddNode("b", NodeConfig{Host: "10.0.0.2"}, newIdle)
		n.Start()
		return n.Runtime().Rand().Int64()
	}
	if draw(false) != draw(true) {
		t.Fatal("adding a node changed another node's random stream")
	}
	w := New(42, Options{})
	if w.Rand("x").Int64() != w.Rand("x").Int64() || w.Rand("x").Int64() == w.Rand("y").Int64() {
		t.Fatal("Rand(purpose) is not a pure function of (seed, purpose)")
	}
}

func TestTiesBetweenNodesFollowTheSeed(t *testing.T) {
	order := func(seed uint64) string {
		w := New(seed, Options{})
		var got []byte
		for _, name := range []string{"a", "b", "c"} {
			n := w.AddNode(name, NodeConfig{}, newIdle)
			n.Start()
			rt := n.Runtime()
			// Same instant on three nodes; two events each, which must keep
			// their order within a node.
			rt.AfterFunc(time.Second, func() { got = append(got, name[0]) })
			rt.AfterFunc(time.Second, func() { got = append(got, name[0]-32) })
		}
		w.At(time.Second, func() { got = append(got, '!') })
		w.RunFor(2 * time.Second)
		return string(got)
	}
	seen := map[string]bool{}
	for seed := range uint64(20) {
		o := order(seed)
		if o != order(seed) {
			t.Fatal("tie order differs between runs of one seed")
		}
		if o[0] != '!' {
			t.Fatalf("world event did not run first at its instant: %q", o)
		}
		for _, c := range "abc" {
			lo, up := strings.IndexRune(o, c), strings.IndexRune(o, c-32)
			if lo < 0 || up < lo {
				t.Fatalf("one node's same-instant events reordered: %q", o)
			}
		}
		seen[o] = true
	}
	if len(seen) < 3 {
		t.Fatalf("20 seeds gave only %d interleavings of three nodes: ties ignore the seed", len(seen))
	}
}
