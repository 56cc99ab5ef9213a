package realrt

import (
	"bytes"
	"errors"
	"log/slog"
	"net"
	goruntime "runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"rocketsim/runtime"
)

func TestPostFromManyGoroutinesKeepsEachProducersOrder(t *testing.T) {
	rt := startRT(t, "post", Options{}, nil)
	const producers, posts = 8, 1000
	last := make([]int, producers) // loop-only
	total := 0                     // loop-only
	var outOfOrder []int
	var wg sync.WaitGroup
	for p := range producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 1; i <= posts; i++ {
				rt.Post(func() {
					if last[p] != i-1 {
						outOfOrder = append(outOfOrder, p)
					}
					last[p] = i
					total++
				})
			}
		}()
	}
	wg.Wait()
	var got int
	var bad []int
	onLoop(t, rt, func() { got, bad = total, outOfOrder })
	if got != producers*posts || len(bad) != 0 {
		t.Fatalf("%d posts ran (want %d); out of order for producers %v", got, producers*posts, bad)
	}
}

// stopNode records how it was stopped.
type stopNode struct {
	rt      runtime.Runtime
	stopped bool // loop-only; read by the test after Stop returns
	onStop  func()
}

func (n *stopNode) Stop() {
	n.stopped = true
	if n.onStop != nil {
		n.onStop()
	}
}

func TestStopRunsNodeStopThenDropsCallbacksAndLeaksNoGoroutines(t *testing.T) {
	before := goruntime.NumGoroutine()

	peer := startRT(t, "peer", Options{}, nil)
	prec := newRecorder()
	addr, _ := listen(t, peer, prec)

	node := &stopNode{}
	rec := newRecorder()
	timerFired := make(chan struct{}, 1)
	rt := New("stopping", Options{DataDir: t.TempDir()})
	var c runtime.Conn
	var f runtime.File
	var nodeAddr string
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		node.rt = r
		ln, err := r.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return rec })
		if err != nil {
			return nil, err
		}
		nodeAddr = ln.Addr()
		c = r.Dial(addr, rec)
		r.AfterFunc(time.Hour, func() { timerFired <- struct{}{} })
		f, err = r.Disk().Open("open-at-stop", runtime.ReadWrite|runtime.Create)
		if err != nil {
			return nil, err
		}
		return node, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "connect")
	// The node's last words go out before its connections close.
	node.onStop = func() {
		if err := c.Send(frameOf(99, 64)); err != nil {
			t.Errorf("send in Stop: %v", err)
		}
	}
	rt.Stop()
	rt.Stop() // idempotent

	if !node.stopped {
		t.Fatal("node.Stop did not run")
	}
	if e := prec.expect(t, "frame"); e.frame[11] != 99 {
		t.Fatal("the frame sent in Stop did not arrive")
	}
	if e := prec.expect(t, "close"); e.err == nil {
		t.Fatal("peer saw a nil close error")
	}
	rec.quiet(t, 50*time.Millisecond) // no OnClose after Stop
	if _, err := net.Dial("tcp", nodeAddr); err == nil {
		t.Fatal("listener still accepts after Stop")
	}
	ran := false
	rt.Post(func() { ran = true })
	if _, err := f.(*file).f.Stat(); err == nil {
		t.Fatal("file left open after Stop")
	}

	peer.Stop()
	// Goroutines wind down asynchronously inside net and time; allow them a
	// moment, then insist.
	deadline := time.Now().Add(2 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := goruntime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Stop, %d before:\n%s", n, before, buf[:goruntime.Stack(buf, true)])
	}
	if ran {
		t.Fatal("Post after Stop ran")
	}
	select {
	case <-timerFired:
		t.Fatal("timer fired after Stop")
	default:
	}
}

func TestStartErrorUndoesWhatTheConstructorOpened(t *testing.T) {
	rt := New("failing", Options{})
	boom := errors.New("boom")
	var addr string
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		ln, err := r.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return newRecorder() })
		if err != nil {
			return nil, err
		}
		addr = ln.Addr()
		return nil, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("Start = %v, want it to wrap the constructor's error", err)
	}
	if nc, err := net.Dial("tcp", addr); err == nil {
		nc.Close()
		t.Fatal("listener opened by a failed constructor still accepts")
	}
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err == nil {
		t.Fatal("second Start succeeded")
	}
	rt.Stop() // harmless after a failed Start
}

func TestStopBeforeStart(t *testing.T) {
	rt := New("idle", Options{})
	rt.Stop()
	ran := false
	rt.Post(func() { ran = true })
	if ran {
		t.Fatal("Post ran inline")
	}
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err == nil {
		t.Fatal("Start after Stop succeeded")
	}
}

func TestStopRacingStartNeverHangs(t *testing.T) {
	for range 20 {
		rt := New("race", Options{})
		built := make(chan struct{}, 1)
		stopped := make(chan struct{})
		go func() { rt.Stop(); close(stopped) }()
		err := rt.Start(func(runtime.Runtime) (runtime.Node, error) {
			built <- struct{}{}
			return &nopNode{}, nil
		})
		select {
		case <-stopped:
		case <-timeAfter():
			t.Fatal("Stop racing Start hung")
		}
		// Either Stop came first (Start refuses) or the node was built and
		// then stopped.
		if err == nil && len(built) != 1 {
			t.Fatal("Start succeeded without building the node")
		}
	}
}

func TestStopIsBoundedWhenPeerDoesNotRead(t *testing.T) {
	rt, c, _, _ := rawPeer(t, "stuck")
	onLoop(t, rt, func() {
		for i := range 256 { // 16 MiB: far more than socket buffers hold
			if err := c.Send(frameOf(uint32(i), 64<<10)); err != nil {
				t.Errorf("send: %v", err)
				return
			}
		}
	})
	start := time.Now()
	rt.Stop()
	if d := time.Since(start); d > closeLinger+3*time.Second {
		t.Fatalf("Stop took %v with a stuck peer; linger bound is %v", d, closeLinger)
	}
}

func TestRandIsSeededPerOption(t *testing.T) {
	a := New("a", Options{Seed: 42})
	b := New("b", Options{Seed: 42})
	c := New("c", Options{})
	d := New("d", Options{})
	if a.Rand().Uint64() != b.Rand().Uint64() {
		t.Fatal("equal seeds gave different streams")
	}
	if c.Rand().Uint64() == d.Rand().Uint64() {
		t.Fatal("two crypto-seeded runtimes drew the same first number")
	}
}

func TestLogCarriesNodeName(t *testing.T) {
	var buf bytes.Buffer
	rt := New("broker-a", Options{Logger: slog.New(slog.NewTextHandler(&buf, nil))})
	rt.Log().Info("hello")
	if !strings.Contains(buf.String(), "node=broker-a") || !strings.Contains(buf.String(), "hello") {
		t.Fatalf("log line %q lacks node=broker-a", buf.String())
	}
	if rt.Name() != "broker-a" {
		t.Fatalf("Name() = %q", rt.Name())
	}
}

func TestTryPostAndDoneAfterStop(t *testing.T) {
	rt := New("facade", Options{})
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	ran := make(chan struct{})
	if !rt.TryPost(func() { close(ran) }) {
		t.Fatal("TryPost on a running runtime reported false")
	}
	<-ran
	select {
	case <-rt.Done():
		t.Fatal("Done closed while running")
	default:
	}
	rt.Stop()
	select {
	case <-rt.Done():
	default:
		t.Fatal("Done still open after Stop")
	}
	if rt.TryPost(func() {}) {
		t.Fatal("TryPost after Stop reported true")
	}

	idle := New("idle", Options{})
	idle.Stop()
	select {
	case <-idle.Done():
	default:
		t.Fatal("Done still open after Stop of a never-started runtime")
	}
}
