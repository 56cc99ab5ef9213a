package realrt

import (
	"encoding/binary"
	"io"
	"net"
	goruntime "runtime"
	"testing"
	"time"

	"rocketsim/runtime"
)

// waitGoroutines fails the test unless the goroutine count falls back to
// before; net and time wind their goroutines down asynchronously, so it
// allows them a moment.
func waitGoroutines(t *testing.T, before int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Second)
	for goruntime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := goruntime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Fatalf("%d goroutines after Kill, %d before:\n%s", n, before, buf[:goruntime.Stack(buf, true)])
	}
}

func TestKillSkipsNodeStopDropsTimersAndLeaksNoGoroutines(t *testing.T) {
	before := goruntime.NumGoroutine()
	peer := startRT(t, "peer", Options{}, nil)
	prec := newRecorder()
	addr, _ := listen(t, peer, prec)

	node := &stopNode{}
	rec := newRecorder()
	timerFired := make(chan struct{}, 1)
	rt := New("killed", Options{DataDir: t.TempDir()})
	var f runtime.File
	var nodeAddr string
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		ln, err := r.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return rec })
		if err != nil {
			return nil, err
		}
		nodeAddr = ln.Addr()
		r.Dial(addr, rec)
		r.AfterFunc(20*time.Millisecond, func() { timerFired <- struct{}{} })
		f, err = r.Disk().Open("open-at-kill", runtime.ReadWrite|runtime.Create)
		if err != nil {
			return nil, err
		}
		return node, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	rec.expect(t, "connect")
	rt.Kill()
	rt.Kill() // idempotent
	rt.Stop() // returns at once and still does not stop the node

	if node.stopped {
		t.Fatal("node.Stop ran on Kill")
	}
	if e := prec.expect(t, "close"); e.err == nil {
		t.Fatal("peer saw a nil close error")
	}
	rec.quiet(t, 50*time.Millisecond) // no OnClose to the killed node
	if nc, err := net.Dial("tcp", nodeAddr); err == nil {
		nc.Close()
		t.Fatal("listener still accepts after Kill")
	}
	if _, err := f.(*file).f.Stat(); err == nil {
		t.Fatal("file left open after Kill")
	}
	ran := make(chan struct{}, 1)
	if rt.TryPost(func() { ran <- struct{}{} }) {
		t.Fatal("TryPost after Kill queued its function")
	}
	select {
	case <-rt.Done():
	default:
		t.Fatal("Done not closed after Kill")
	}
	peer.Stop()
	waitGoroutines(t, before)
	select {
	case <-timerFired:
		t.Fatal("timer fired after Kill")
	case <-ran:
		t.Fatal("Post after Kill ran")
	case <-time.After(50 * time.Millisecond):
	}
}

func TestKillDropsEventsQueuedBehindTheRunningOne(t *testing.T) {
	rt := startRT(t, "busy", Options{}, nil)
	entered, release := make(chan struct{}), make(chan struct{})
	rt.Post(func() { close(entered); <-release })
	later := make(chan struct{}, 1)
	rt.Post(func() { later <- struct{}{} })
	<-entered
	killed := make(chan struct{})
	go func() { rt.Kill(); close(killed) }()
	for !rt.killed.Load() {
		time.Sleep(time.Millisecond)
	}
	select {
	case <-killed:
		t.Fatal("Kill returned while a callback was still running")
	default:
	}
	close(release)
	select {
	case <-killed:
	case <-timeAfter():
		t.Fatal("Kill did not return after the running callback did")
	}
	select {
	case <-later:
		t.Fatal("an event queued before Kill ran after it")
	default:
	}
}

// TestKillDoesNotFlushQueuedFrames fills a non-reading peer's socket
// buffers, queues a marker frame behind them and kills the node: Kill must
// not linger to write, and the marker must never reach the peer, which sees
// the connection end.
func TestKillDoesNotFlushQueuedFrames(t *testing.T) {
	rt, c, _, peer := rawPeer(t, "crashing")
	const frames, size = 256, 64 << 10 // 16 MiB: far more than socket buffers hold
	const marker = 0xfeed
	onLoop(t, rt, func() {
		for i := range frames {
			if err := c.Send(frameOf(uint32(i), size)); err != nil {
				t.Errorf("send: %v", err)
				return
			}
		}
		if err := c.Send(frameOf(marker, 64)); err != nil {
			t.Errorf("send marker: %v", err)
		}
	})
	start := time.Now()
	rt.Kill()
	if d := time.Since(start); d >= closeLinger {
		t.Fatalf("Kill took %v: it lingered to write queued frames", d)
	}

	// The peer reads what reached the kernel before the kill, then the end.
	_ = peer.SetReadDeadline(time.Now().Add(waitLimit))
	got := 0
	var prefix [12]byte
	for {
		if _, err := io.ReadFull(peer, prefix[:]); err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("peer never saw the connection end")
			}
			break
		}
		n := int(binary.BigEndian.Uint32(prefix[:4]))
		if seq := binary.BigEndian.Uint32(prefix[8:]); seq == marker {
			t.Fatal("the frame queued behind a full socket was written after Kill")
		}
		if _, err := io.CopyN(io.Discard, peer, int64(n-8)); err != nil {
			break
		}
		got++
	}
	if got >= frames {
		t.Fatalf("peer read all %d frames: nothing was left queued to drop", got)
	}
}

func TestKillBeforeStartAndRacingStart(t *testing.T) {
	idle := New("idle", Options{})
	idle.Kill()
	if err := idle.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err == nil {
		t.Fatal("Start after Kill succeeded")
	}
	for range 20 {
		rt := New("race", Options{})
		killed := make(chan struct{})
		node := &stopNode{}
		go func() { rt.Kill(); close(killed) }()
		err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return node, nil })
		select {
		case <-killed:
		case <-timeAfter():
			t.Fatal("Kill racing Start hung")
		}
		_ = err // either order is fine; neither may hang
		if node.stopped {
			t.Fatal("a killed node was stopped")
		}
	}
}

func TestStopThenKillIsANoOp(t *testing.T) {
	node := &stopNode{}
	rt := New("stopped", Options{})
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return node, nil }); err != nil {
		t.Fatal(err)
	}
	rt.Stop()
	rt.Kill()
	if !node.stopped {
		t.Fatal("Stop did not stop the node")
	}
}
