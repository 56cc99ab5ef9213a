package simrt

import (
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"math/rand/v2"

	"rocketsim/runtime"
	"rocketsim/sim/simclock"
)

func started(t *testing.T, cfg NodeConfig) (*World, *Node) {
	t.Helper()
	w := New(1, Options{})
	n := w.AddNode("n", cfg, newIdle)
	n.Start()
	return w, n
}

func TestClockJumpMovesNowNotTimers(t *testing.T) {
	w, n := started(t, NodeConfig{})
	rt := n.Runtime()
	var firedAt time.Duration
	rt.AfterFunc(10*time.Second, func() { firedAt = w.Now() })
	w.RunFor(2 * time.Second)
	n.Clock().Jump(time.Hour)
	if got, want := rt.Now(), simclock.Epoch.Add(time.Hour+2*time.Second); !got.Equal(want) {
		t.Fatalf("Now after jump = %v, want %v", got, want)
	}
	n.Clock().Jump(-3 * time.Hour)
	if got, want := rt.Now(), simclock.Epoch.Add(-2*time.Hour+2*time.Second); !got.Equal(want) {
		t.Fatalf("Now after backwards jump = %v, want %v", got, want)
	}
	if rt.Monotonic() != 2*time.Second {
		t.Fatalf("Monotonic = %v after jumps, want 2s", rt.Monotonic())
	}
	w.RunFor(time.Minute)
	if firedAt != 10*time.Second {
		t.Fatalf("10 s timer fired at %v, want 10s (jumps must not move it)", firedAt)
	}
}

func TestDriftScalesTimers(t *testing.T) {
	w, n := started(t, NodeConfig{ClockDrift: 1.25})
	rt := n.Runtime()
	var a, b time.Duration
	rt.AfterFunc(10*time.Second, func() { a = w.Now() })
	rt.AfterFunc(20*time.Second, func() { b = w.Now() })
	w.RunFor(4 * time.Second) // the node's clock now reads 5 s
	if rt.Monotonic() != 5*time.Second {
		t.Fatalf("Monotonic at 4 s true with rate 1.25 = %v", rt.Monotonic())
	}
	n.Clock().SetDrift(0.5) // pending timers must move
	w.RunFor(time.Minute)
	// 10 s timer: 5 s of clock left at rate 0.5 = 10 s true, so at 14 s.
	if a != 14*time.Second {
		t.Fatalf("10 s timer fired at %v true, want 14s", a)
	}
	// 20 s timer: 15 s of clock left = 30 s true, at 34 s.
	if b != 34*time.Second {
		t.Fatalf("20 s timer fired at %v true, want 34s", b)
	}
}

func TestTimerStop(t *testing.T) {
	w, n := started(t, NodeConfig{})
	rt := n.Runtime()
	fired := 0
	tm := rt.AfterFunc(time.Second, func() { fired++ })
	before := w.Pending()
	if !tm.Stop() {
		t.Fatal("Stop of a pending timer returned false")
	}
	if tm.Stop() {
		t.Fatal("second Stop returned true")
	}
	if w.Pending() != before-1 {
		t.Fatalf("stopped timer still queued: %d events, was %d", w.Pending(), before)
	}
	t2 := rt.AfterFunc(time.Second, func() { fired++ })
	w.RunFor(2 * time.Second)
	if fired != 1 {
		t.Fatalf("fired %d, want 1", fired)
	}
	if t2.Stop() {
		t.Fatal("Stop after firing returned true")
	}
	// Timers fire in deadline order, ties in the order they were set.
	var order []int
	for i, d := range []time.Duration{3, 1, 2, 1} {
		rt.AfterFunc(d*time.Millisecond, func() { order = append(order, i) })
	}
	w.RunFor(time.Second)
	if len(order) != 4 || order[0] != 1 || order[1] != 3 || order[2] != 2 || order[3] != 0 {
		t.Fatalf("timer order %v, want [1 3 2 0]", order)
	}
}

func TestCrashDropsTimersAndRestartIsFresh(t *testing.T) {
	w, n := started(t, NodeConfig{})
	rt := n.Runtime()
	fired := false
	rt.AfterFunc(time.Second, func() { fired = true })
	rt.Post(func() { fired = true })
	w.RunFor(500 * time.Millisecond)
	fired = false
	rt.Post(func() { fired = true })
	n.Crash()
	if n.Up() || n.Runtime() != nil || n.Value() != nil {
		t.Fatal("crashed node still up")
	}
	if w.Pending() != 0 {
		t.Fatalf("%d events left after crash of the only node", w.Pending())
	}
	w.RunFor(time.Minute)
	if fired {
		t.Fatal("a crashed process's timer or post ran")
	}
	// Stale runtime references schedule nothing.
	rt.AfterFunc(time.Millisecond, func() { fired = true })
	rt.Post(func() { fired = true })
	w.RunFor(time.Second)
	if fired {
		t.Fatal("stale runtime ran a callback")
	}
	n.Start()
	if n.Incarnation() != 2 || n.Runtime().Monotonic() != 0 {
		t.Fatalf("restart: incarnation %d monotonic %v", n.Incarnation(), n.Runtime().Monotonic())
	}
	if got, want := n.Runtime().Now(), simclock.Epoch.Add(w.Now()); !got.Equal(want) {
		t.Fatalf("restart moved the wall clock: %v, want %v", got, want)
	}
}

func TestPauseDefersEvents(t *testing.T) {
	w, s, c, srv := pair(t, 20)
	conn, _ := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	ticks := 0
	var tick func()
	tick = func() { ticks++; s.Runtime().AfterFunc(100*time.Millisecond, tick) }
	s.Runtime().AfterFunc(100*time.Millisecond, tick)
	s.Pause()
	for _, p := range []string{"1", "2", "3"} {
		_ = conn.Send(frame(p))
	}
	w.RunFor(5 * time.Second)
	sc := (*srv).conns[0]
	if len(sc.frames) != 0 || ticks != 0 {
		t.Fatalf("paused node handled %d frames and %d ticks", len(sc.frames), ticks)
	}
	s.Resume()
	w.RunFor(time.Nanosecond)
	if strings.Join(sc.frames, "") != "123" {
		t.Fatalf("after resume frames %v, want 1 2 3", sc.frames)
	}
	if ticks != 1 {
		t.Fatalf("after resume %d ticks, want exactly the one overdue tick", ticks)
	}
	w.RunFor(time.Second)
	if ticks != 11 {
		t.Fatalf("ticks = %d a second after resume, want 11", ticks)
	}
	if sc.closed {
		t.Fatal("pause closed a connection")
	}
}

func TestStartErrorLeavesNodeDown(t *testing.T) {
	w := New(1, Options{})
	boom := errors.New("boom")
	n := w.AddNode("bad", NodeConfig{}, func(rt runtime.Runtime) (runtime.Node, error) {
		if _, err := rt.Listen("192.0.2.1:1", func(runtime.Conn) runtime.ConnHandler { return nil }); err != nil {
			return nil, err
		}
		rt.AfterFunc(time.Second, func() { panic("timer of a failed start ran") })
		return nil, boom
	})
	n.Start()
	if n.Up() || !errors.Is(n.Err(), boom) {
		t.Fatalf("up=%v err=%v", n.Up(), n.Err())
	}
	w.RunFor(time.Minute)
	n2 := w.AddNode("probe", NodeConfig{}, newIdle)
	n2.Start()
	_, l := dial(w, n2, "192.0.2.1:1")
	w.RunFor(time.Second)
	if !errors.Is(l.closeErr, runtime.ErrRefused) {
		t.Fatalf("listener of a failed start still accepts: %v", l.closeErr)
	}
}

func TestGracefulStop(t *testing.T) {
	w, s, c, srv := pair(t, 21)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	_ = conn
	v := c.Value().(*idle)
	c.Stop()
	if !v.stopped || c.Up() {
		t.Fatal("Stop did not call the node's Stop or left it up")
	}
	w.RunFor(time.Second)
	sc := (*srv).conns[0]
	if !errors.Is(sc.closeErr, runtime.ErrClosed) || errors.Is(sc.closeErr, runtime.ErrReset) {
		t.Fatalf("peer of a stopped node: %v, want a FIN", sc.closeErr)
	}
	if cl.closed {
		t.Fatal("stopped node's handler heard its own shutdown")
	}
	_ = s
}

func TestDiskSurvivesCrashNotPowerLoss(t *testing.T) {
	w, n := started(t, NodeConfig{})
	fs := n.Runtime().Disk()
	write := func(name, data string, sync bool) {
		f, err := fs.Open(name, runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte(data), 0); err != nil {
			t.Fatal(err)
		}
		if sync {
			done := false
			f.SyncAsync(func(err error) {
				if err != nil {
					t.Error(err)
				}
				done = true
			})
			if !w.RunUntil(func() bool { return done }, time.Second) {
				t.Fatal("SyncAsync never completed")
			}
		}
	}
	read := func(name string) string {
		f, err := n.Runtime().Disk().Open(name, runtime.ReadOnly)
		if err != nil {
			return "<" + err.Error() + ">"
		}
		b := make([]byte, 16)
		k, err := f.ReadAt(b, 0)
		if err != nil && !errors.Is(err, io.EOF) {
			t.Fatal(err)
		}
		return string(b[:k])
	}
	write("synced", "durable", true)
	write("cached", "volatile", false)
	n.Restart()
	if read("synced") != "durable" || read("cached") != "volatile" {
		t.Fatalf("after crash: %q %q, want both (page cache survives)", read("synced"), read("cached"))
	}
	if d, _ := n.Disk().DirtyBytes("cached"); d == 0 {
		t.Fatal("a process crash synced the page cache")
	}
	n.PowerLoss()
	n.Start()
	// A power loss may tear: a prefix of the unsynced sectors can survive
	// (the disk's seed decides), nothing else.
	if got := read("cached"); read("synced") != "durable" || (got != "" && got != "volatile") {
		t.Fatalf("after power loss: %q %q", read("synced"), got)
	}
	if d, _ := n.Disk().DirtyBytes("cached"); d != 0 {
		t.Fatalf("%d unsynced bytes survived a power loss", d)
	}
}

func TestSyncAsyncDroppedOnCrash(t *testing.T) {
	w, n := started(t, NodeConfig{})
	n.Disk().SetFsyncLatency(func(*rand.Rand) time.Duration { return time.Second })
	f, err := n.Runtime().Disk().Open("f", runtime.ReadWrite|runtime.Create)
	if err != nil {
		t.Fatal(err)
	}
	called := false
	f.SyncAsync(func(error) { called = true })
	w.RunFor(500 * time.Millisecond)
	n.Crash()
	w.RunFor(time.Minute)
	if called {
		t.Fatal("a crashed process's fsync completion ran")
	}
}

func TestFarTimersNeverFire(t *testing.T) {
	w, n := started(t, NodeConfig{ClockDrift: 0.9})
	fired := false
	n.Runtime().AfterFunc(1<<63-1, func() { fired = true })
	n.Runtime().AfterFunc(-time.Second, func() {})
	w.RunFor(24 * time.Hour)
	if fired {
		t.Fatal("AfterFunc(MaxInt64) fired within a day")
	}
	w.RunFor(1<<63 - 1) // saturates instead of wrapping
	if w.Now() != simclock.Never {
		t.Fatalf("Now = %v after RunFor(max), want Never", w.Now())
	}
}

func TestLifecycleWhilePaused(t *testing.T) {
	w, s, c, srv := pair(t, 30)
	conn, cl := dial(w, c, "192.0.2.1:9000")
	w.RunFor(10 * time.Millisecond)
	fired := false
	s.Runtime().AfterFunc(time.Millisecond, func() { fired = true })
	s.Pause()
	_ = conn.Send(frame("held"))
	w.RunFor(time.Second)
	s.Restart() // a paused process can be killed
	if s.Paused() || !s.Up() || s.Incarnation() != 2 {
		t.Fatalf("restart of paused node: paused=%v up=%v inc=%d", s.Paused(), s.Up(), s.Incarnation())
	}
	w.RunFor(time.Second)
	if fired {
		t.Fatal("the old incarnation's deferred timer ran after the restart")
	}
	if len((*srv).conns) != 0 {
		t.Fatal("the new incarnation inherited a connection")
	}
	if !errors.Is(cl.closeErr, runtime.ErrReset) {
		t.Fatalf("peer of a process killed while paused: %v, want ErrReset", cl.closeErr)
	}
	// Stop of a paused node runs its Stop (it is resumed to exit).
	c.Pause()
	v := c.Value().(*idle)
	c.Stop()
	if !v.stopped || c.Up() || c.Paused() {
		t.Fatal("Stop of a paused node did not stop it")
	}
	// Power loss of a node that is down still hits its disk.
	f, _ := s.Runtime().Disk().Open("x", runtime.ReadWrite|runtime.Create)
	_, _ = f.WriteAt([]byte("unsynced"), 0)
	s.Crash()
	s.PowerLoss()
	if d, _ := s.Disk().DirtyBytes("x"); d != 0 {
		t.Fatal("power loss of a down node kept unsynced bytes")
	}
}

func TestSmallDriftTimer(t *testing.T) {
	w, n := started(t, NodeConfig{ClockDrift: 1.0001})
	var at time.Duration
	n.Runtime().AfterFunc(10*time.Second, func() { at = w.Now() })
	w.RunFor(time.Minute)
	rate := 1.0001
	want := time.Duration(float64(10*time.Second) / rate)
	if d := at - want; d < 0 || d > 1 {
		t.Fatalf("10 s timer at rate 1.0001 fired at %v true, want %v (within 1ns, never early)", at, want)
	}
}
