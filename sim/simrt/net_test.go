package simrt

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simnet"
)

// pair builds a world with a logging server "s" (192.0.2.1:9000) and an idle
// client "c" (192.0.2.2), both started.
func pair(t *testing.T, seed uint64) (*World, *Node, *Node, **server) {
	t.Helper()
	w := New(seed, Options{})
	srv := new(*server)
	s := w.AddNode("s", NodeConfig{}, newServer(false, w, srv))
	c := w.AddNode("c", NodeConfig{}, newIdle)
	s.Start()
	c.Start()
	if *srv == nil || s.Err() != nil {
		t.Fatalf("server did not start: %v", s.Err())
	}
	return w, s, c, srv
}

func dial(w *World, n *Node, addr string) (runtime.Conn, *connLog) {
	l := &connLog{w: w}
	return n.Runtime().Dial(addr, l), l
}

func TestFIFOUnderRandomLatency(t *testing.T) {
	w, _, c, srv := pair(t, 3)
	if err := w.Net().SetLink("s", "c", simnet.LinkConfig{Min: 0, Max: 20 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	conn, cl := dial(w, c, "192.0.2.1:9000")
	const n = 2000
	for i := range n {
		if err := conn.Send(frame(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
		if i%10 == 0 {
			w.RunFor(time.Millisecond)
		}
	}
	w.RunFor(time.Second)
	if !cl.connected {
		t.Fatal("dial never connected")
	}
	got := (*srv).conns[0].frames
	if len(got) != n {
		t.Fatalf("server got %d frames, want %d", len(got), n)
	}
	for i, f := range got {
		if f != fmt.Sprint(i) {
			t.Fatalf("frame %d is %q: reordered", i, f)
		}
	}
}

func TestPartitionStallsThenHealDelivers(t *testing.T) {
	w, _, c, srv := pair(t, 4)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	if err := w.Net().Partition([]string{"s"}, []string{"c"}); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		_ = conn.Send(frame(fmt.Sprint(i)))
	}
	w.RunFor(5 * time.Second)
	sc := (*srv).conns[0]
	if len(sc.frames) != 0 {
		t.Fatalf("frames crossed the partition: %v", sc.frames)
	}
	w.Net().Heal()
	w.RunFor(100 * time.Millisecond)
	if fmt.Sprint(sc.frames) != "[0 1 2 3 4]" {
		t.Fatalf("after heal server got %v", sc.frames)
	}
	if sc.closed || cl.closed {
		t.Fatal("a short partition closed the connection")
	}
	w.RunFor(time.Minute)
	if sc.closed || cl.closed {
		t.Fatal("a stale stall timer closed the healed connection")
	}
}

func TestLongPartitionTimesOutBothEnds(t *testing.T) {
	w, _, c, srv := pair(t, 5)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	_ = w.Net().Partition([]string{"s"}, []string{"c"})
	start := w.Now()
	_ = conn.Send(frame("lost"))
	w.RunFor(time.Minute)
	sc := (*srv).conns[0]
	for name, l := range map[string]*connLog{"client": cl, "server": sc} {
		if !l.closed || !errors.Is(l.closeErr, runtime.ErrTimeout) {
			t.Fatalf("%s: closed=%v err=%v, want ErrTimeout", name, l.closed, l.closeErr)
		}
		if el := l.closeAt - start; el < simnet.StallTimeoutDefault || el > simnet.StallTimeoutDefault+10*time.Millisecond {
			t.Fatalf("%s timed out after %v, want about %v", name, el, simnet.StallTimeoutDefault)
		}
	}
	if len(sc.frames) != 0 {
		t.Fatal("frame delivered across a partition that never healed")
	}
	// Redials into the partition time out without piling up held pipes.
	for range 20 {
		dial(w, c, "192.0.2.1:9000")
		w.RunFor(5 * time.Second)
	}
	if n := w.Net().Stalled(); n > 2 {
		t.Fatalf("%d stalled pipes held after their connections failed", n)
	}
	w.Net().Heal()
	w.RunFor(time.Second)
	if len(sc.frames) != 0 {
		t.Fatal("frame of a failed connection delivered after heal")
	}
	if err := conn.Send(frame("x")); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("Send after timeout = %v, want ErrClosed", err)
	}
	if st := w.Net().Stats(); st.Timeouts == 0 || st.Stalls == 0 || st.Frames != 0 || st.Dials < 21 {
		t.Fatalf("stats after a timed-out partition: %+v", st)
	}
}

func TestOneWayPartition(t *testing.T) {
	w, _, c, srv := pair(t, 6)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	_ = w.Net().PartitionOneWay([]string{"c"}, []string{"s"})
	if !w.Net().Blocked("c", "s") || w.Net().Blocked("s", "c") {
		t.Fatal("Blocked does not reflect a one-way partition")
	}
	sc := (*srv).conns[0]
	_ = conn.Send(frame("up"))
	_ = sc.conn.Send(frame("down"))
	w.RunFor(time.Second)
	if len(sc.frames) != 0 {
		t.Fatal("frame crossed the one-way partition")
	}
	if fmt.Sprint(cl.frames) != "[down]" {
		t.Fatalf("open direction delivered %v, want [down]", cl.frames)
	}
	if err := w.Net().HealOneWay([]string{"c"}, []string{"s"}); err != nil {
		t.Fatal(err)
	}
	w.RunFor(time.Second)
	if fmt.Sprint(sc.frames) != "[up]" || sc.closed || cl.closed {
		t.Fatalf("after heal: frames %v closed %v/%v", sc.frames, sc.closed, cl.closed)
	}
}

func TestDialFailures(t *testing.T) {
	w, _, c, _ := pair(t, 7)
	_, refused := dial(w, c, "192.0.2.1:9999")
	_, nohost := dial(w, c, "10.9.9.9:9000")
	_, bad := dial(w, c, "not-an-address")
	w.RunFor(100 * time.Millisecond)
	if !errors.Is(refused.closeErr, runtime.ErrRefused) || refused.connected {
		t.Fatalf("dial to a closed port: connected=%v err=%v, want ErrRefused", refused.connected, refused.closeErr)
	}
	if !bad.closed || bad.closeErr == nil {
		t.Fatal("dial to a malformed address did not fail")
	}
	if nohost.closed {
		t.Fatal("dial to a missing host failed before the connect timeout")
	}
	w.RunFor(simnet.ConnectTimeoutDefault)
	if !errors.Is(nohost.closeErr, runtime.ErrTimeout) {
		t.Fatalf("dial to a missing host: %v, want ErrTimeout", nohost.closeErr)
	}

	// A SYN into a partition waits for the connect timeout, counted from
	// the dial.
	_ = w.Net().Partition([]string{"c"}, []string{"s"})
	start := w.Now()
	_, cut := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Minute)
	if !errors.Is(cut.closeErr, runtime.ErrTimeout) || cut.closeAt-start != simnet.ConnectTimeoutDefault {
		t.Fatalf("dial across a partition: %v after %v, want ErrTimeout after %v", cut.closeErr, cut.closeAt-start, simnet.ConnectTimeoutDefault)
	}
}

func TestDialToDownNodeRefused(t *testing.T) {
	w, s, c, _ := pair(t, 8)
	s.Crash()
	_, l := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Second)
	if !errors.Is(l.closeErr, runtime.ErrRefused) {
		t.Fatalf("dial to crashed process: %v, want ErrRefused (the machine answers with RST)", l.closeErr)
	}
	s.Start()
	_, l2 := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Second)
	if !l2.connected || l2.closed {
		t.Fatalf("dial after restart: connected=%v err=%v", l2.connected, l2.closeErr)
	}
}

func TestCrashResetsPeerAfterDeliveringSentFrames(t *testing.T) {
	w, s, c, srv := pair(t, 9)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	sc := (*srv).conns[0]
	_ = conn.Send(frame("a"))
	_ = conn.Send(frame("b"))
	_ = sc.conn.Send(frame("to-the-dead"))
	c.Crash()
	w.RunFor(time.Second)
	if fmt.Sprint(sc.frames) != "[a b]" {
		t.Fatalf("server got %v, want the frames sent before the crash", sc.frames)
	}
	if !errors.Is(sc.closeErr, runtime.ErrReset) {
		t.Fatalf("peer of crashed node: %v, want ErrReset", sc.closeErr)
	}
	if cl.closed || len(cl.frames) != 0 {
		t.Fatal("crashed node's handler was called after the crash")
	}
	// And the other way: the server crashes, the client hears a reset.
	c.Start()
	conn2, cl2 := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	s.Crash()
	w.RunFor(time.Second)
	if !errors.Is(cl2.closeErr, runtime.ErrReset) {
		t.Fatalf("client of crashed server: %v, want ErrReset", cl2.closeErr)
	}
	if st := w.Net().Stats(); st.Resets != 2 || st.Frames != 2 || st.Bytes != 10 || st.Accepts != 2 {
		t.Fatalf("stats: %+v, want 2 resets, 2 frames of 5 bytes, 2 accepts", st)
	}
	if err := conn2.Send(frame("x")); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("Send after reset = %v", err)
	}
}

func TestGracefulClose(t *testing.T) {
	w, _, c, srv := pair(t, 10)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	_ = conn.Send(frame("last"))
	if err := conn.Close(); err != nil {
		t.Fatal(err)
	}
	if err := conn.Close(); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("second Close = %v", err)
	}
	if err := conn.Send(frame("x")); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("Send after Close = %v", err)
	}
	w.RunFor(time.Second)
	if !cl.closed || cl.closeErr != nil {
		t.Fatalf("local OnClose: closed=%v err=%v, want nil error", cl.closed, cl.closeErr)
	}
	sc := (*srv).conns[0]
	if fmt.Sprint(sc.frames) != "[last]" || !errors.Is(sc.closeErr, simnet.ErrPeerClosed) || !errors.Is(sc.closeErr, runtime.ErrClosed) {
		t.Fatalf("remote: frames %v err %v, want [last] then ErrPeerClosed", sc.frames, sc.closeErr)
	}
}

func TestBadFramesCloseReceiver(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    []byte
		want error
	}{
		{"short", []byte{0, 0}, runtime.ErrBadFrame},
		{"mismatch", []byte{0, 0, 0, 9, 'x'}, runtime.ErrBadFrame},
		{"too large", []byte{0x7f, 0, 0, 0, 'x'}, runtime.ErrFrameTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, _, c, srv := pair(t, 11)
			conn, cl := dial(w, c, "192.0.2.1:9000")
			w.RunFor(10 * time.Millisecond)
			_ = conn.Send(frame("ok"))
			_ = conn.Send(tc.f)
			_ = conn.Send(frame("after"))
			w.RunFor(time.Second)
			sc := (*srv).conns[0]
			if fmt.Sprint(sc.frames) != "[ok]" || !errors.Is(sc.closeErr, tc.want) {
				t.Fatalf("receiver: frames %v err %v, want [ok] and %v", sc.frames, sc.closeErr, tc.want)
			}
			if !errors.Is(cl.closeErr, runtime.ErrReset) {
				t.Fatalf("sender: %v, want ErrReset", cl.closeErr)
			}
		})
	}
}

func TestSendQueueBound(t *testing.T) {
	w, _, c, srv := pair(t, 12)
	w.Net().SendQueueMax = 100
	conn, _ := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	_ = w.Net().Partition([]string{"c"}, []string{"s"})
	big := frame(string(make([]byte, 40)))
	if err := conn.Send(big); err != nil {
		t.Fatal(err)
	}
	if err := conn.Send(big); err != nil {
		t.Fatal(err)
	}
	if err := conn.Send(big); !errors.Is(err, runtime.ErrSendQueueFull) {
		t.Fatalf("third 44-byte frame into a 100-byte queue: %v, want ErrSendQueueFull", err)
	}
	w.Net().Heal()
	w.RunFor(time.Second)
	if n := len((*srv).conns[0].frames); n != 2 {
		t.Fatalf("delivered %d frames, want 2", n)
	}
	if err := conn.Send(big); err != nil {
		t.Fatalf("queue did not drain: %v", err)
	}
}

func TestBandwidthSerialises(t *testing.T) {
	w, _, c, srv := pair(t, 13)
	_ = w.Net().SetLink("c", "s", simnet.LinkConfig{Min: time.Millisecond, Max: time.Millisecond, Bandwidth: 1 << 20})
	conn, _ := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	for range 4 {
		_ = conn.Send(frame(string(make([]byte, 256<<10-4))))
	}
	sc := (*srv).conns[0]
	start := w.Now()
	if !w.RunUntil(func() bool { return len(sc.frames) == 4 }, 10*time.Second) {
		t.Fatal("frames not delivered")
	}
	if el := w.Now() - start; el != time.Second+time.Millisecond {
		t.Fatalf("1 MiB over a 1 MiB/s link took %v, want 1.001s", el)
	}
}

func TestDropConnect(t *testing.T) {
	w, _, c, _ := pair(t, 14)
	_ = w.Net().SetLink("c", "s", simnet.LinkConfig{Min: time.Millisecond, Max: time.Millisecond, DropConnectProb: 1})
	_, l := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Minute)
	if !errors.Is(l.closeErr, runtime.ErrTimeout) || l.connected {
		t.Fatalf("dropped SYN: %v", l.closeErr)
	}
}

func TestPartitionUnknownHost(t *testing.T) {
	w := New(1, Options{})
	w.AddNode("a", NodeConfig{}, newIdle)
	if err := w.Net().Partition([]string{"a"}, []string{"zz"}); err == nil {
		t.Fatal("partition naming an unknown node succeeded")
	}
}

func TestHandshakeAcrossPartitions(t *testing.T) {
	// SYN held, partition heals within the connect timeout: the dial
	// succeeds late.
	w, _, c, srv := pair(t, 15)
	_ = w.Net().Partition([]string{"c"}, []string{"s"})
	_, l := dial(w, c, "192.0.2.1:9000")
	w.At(w.Now()+time.Second, w.Net().Heal)
	w.RunFor(2 * time.Second)
	if !l.connected || l.closed || len((*srv).conns) != 1 {
		t.Fatalf("dial across a healed partition: connected=%v err=%v", l.connected, l.closeErr)
	}

	// SYN passes but the SYN-ACK is held: the dialer times out at its
	// connect timeout and the half-open server side fails too.
	w2, _, c2, srv2 := pair(t, 16)
	_ = w2.Net().PartitionOneWay([]string{"s"}, []string{"c"})
	start := w2.Now()
	_, l2 := dial(w2, c2, "192.0.2.1:9000")
	w2.RunFor(time.Minute)
	if l2.connected || !errors.Is(l2.closeErr, runtime.ErrTimeout) || l2.closeAt-start != simnet.ConnectTimeoutDefault {
		t.Fatalf("dialer: connected=%v err=%v after %v", l2.connected, l2.closeErr, l2.closeAt-start)
	}
	if len((*srv2).conns) != 1 || !errors.Is((*srv2).conns[0].closeErr, runtime.ErrTimeout) {
		t.Fatal("half-open server side did not time out")
	}
}

func TestDialToPausedNodeConnectsAndWaits(t *testing.T) {
	w, s, c, srv := pair(t, 17)
	s.Pause()
	conn, l := dial(w, c, "192.0.2.1:9000")
	_ = conn.Send(frame("1"))
	_ = conn.Send(frame("2"))
	w.RunFor(time.Minute)
	if !l.connected || l.closed {
		t.Fatalf("dial to a paused process: connected=%v err=%v (its kernel answers SYNs)", l.connected, l.closeErr)
	}
	if len((*srv).conns) != 0 {
		t.Fatal("paused process accepted a connection")
	}
	s.Resume()
	w.RunFor(time.Millisecond)
	if len((*srv).conns) != 1 || fmt.Sprint((*srv).conns[0].frames) != "[1 2]" {
		t.Fatalf("after resume: %d conns", len((*srv).conns))
	}
}

func TestCrashBeforeAcceptResetsDialer(t *testing.T) {
	w, s, c, _ := pair(t, 18)
	s.Pause()
	_, l := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Second)
	s.Crash()
	w.RunFor(time.Second)
	if !errors.Is(l.closeErr, runtime.ErrReset) {
		t.Fatalf("dialer of a process that died before accepting: %v, want ErrReset", l.closeErr)
	}
}

func TestLossDelaysButKeepsOrder(t *testing.T) {
	run := func(loss float64) (time.Duration, []string, *connLog) {
		w, _, c, srv := pair(t, 19)
		conn, cl := dial(w, c, "192.0.2.1:9000")
		w.RunFor(10 * time.Millisecond)
		_ = w.Net().SetLink("c", "s", simnet.LinkConfig{Min: time.Millisecond, Max: time.Millisecond, LossProb: loss})
		for i := range 200 {
			_ = conn.Send(frame(fmt.Sprint(i)))
			w.RunFor(time.Millisecond)
		}
		sc := (*srv).conns[0]
		start := w.Now()
		w.RunUntil(func() bool { return len(sc.frames) == 200 || sc.closed }, time.Hour)
		return w.Now() - start, sc.frames, cl
	}
	clean, framesClean, _ := run(0)
	lossy, framesLossy, cl := run(0.2)
	if fmt.Sprint(framesLossy) != fmt.Sprint(framesClean) || len(framesLossy) != 200 {
		t.Fatalf("a lossy link lost or reordered frames: %d delivered", len(framesLossy))
	}
	if lossy <= clean+simnet.RetransmitTimeoutDefault {
		t.Fatalf("20%% loss finished in %v vs %v clean: no retransmission delay", lossy, clean)
	}
	if cl.closed {
		t.Fatal("20% loss killed the connection")
	}
	_, frames, cl := run(1)
	if len(frames) != 0 || !errors.Is(cl.closeErr, runtime.ErrTimeout) {
		t.Fatalf("a link losing everything: %d frames, sender %v; want ErrTimeout", len(frames), cl.closeErr)
	}
}

func TestListenerClosedBeforeAcceptResets(t *testing.T) {
	w, s, c, srv := pair(t, 22)
	s.Pause()
	_, l := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Second) // handshake done by the kernel, accept pending
	if err := (*srv).l.Close(); err != nil {
		t.Fatal(err)
	}
	s.Resume()
	w.RunFor(time.Second)
	if len((*srv).conns) != 0 {
		t.Fatal("a closed listener accepted a connection")
	}
	if !l.connected || !errors.Is(l.closeErr, runtime.ErrReset) {
		t.Fatalf("dialer: connected=%v err=%v, want connected then ErrReset", l.connected, l.closeErr)
	}
	_, l2 := dial(w, c, "192.0.2.1:9000")
	w.RunFor(time.Second)
	if !errors.Is(l2.closeErr, runtime.ErrRefused) {
		t.Fatalf("dial after listener close: %v, want ErrRefused", l2.closeErr)
	}
}

func TestExtraNodeDoesNotPerturbOthers(t *testing.T) {
	arrivals := func(extra bool) []time.Duration {
		w := New(33, Options{})
		var times []time.Duration
		s := w.AddNode("s", NodeConfig{}, newServer(false, w, nil))
		c := w.AddNode("c", NodeConfig{}, newIdle)
		if extra {
			// Another pair that chats on its own links.
			w.AddNode("x", NodeConfig{}, newServer(true, w, nil)).Start()
			y := w.AddNode("y", NodeConfig{}, newIdle)
			y.Start()
			yc, _ := dial(w, y, "192.0.2.3:9000")
			for range 100 {
				_ = yc.Send(frame("noise"))
			}
		}
		s.Start()
		c.Start()
		conn, _ := dial(w, c, "192.0.2.1:9000")
		w.RunFor(10 * time.Millisecond)
		w.Node("s").Value().(*server).conns[0].onFrame = func(runtime.Conn, string) { times = append(times, w.Now()) }
		for range 50 {
			_ = conn.Send(frame("x"))
			w.RunFor(time.Millisecond)
		}
		w.RunFor(time.Second)
		return times
	}
	a, b := arrivals(false), arrivals(true)
	if len(a) != 50 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("adding an unrelated pair changed delivery times:\n%v\n%v", a, b)
	}
}
