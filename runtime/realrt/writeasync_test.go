package realrt

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"rocketsim/runtime"
)

// openOnLoop opens name for writing on rt's loop.
func openOnLoop(t *testing.T, rt *Runtime, name string) runtime.File {
	t.Helper()
	var f runtime.File
	onLoop(t, rt, func() {
		var err error
		if f, err = rt.Disk().Open(name, runtime.ReadWrite|runtime.Create); err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
	})
	return f
}

// block is the byte pattern of the i-th write in these tests.
func block(i, size int) []byte { return bytes.Repeat([]byte{byte('a' + i%26)}, size) }

func TestWriteAsyncCompletesInCallOrderOnTheLoop(t *testing.T) {
	dir := t.TempDir()
	rt := startRT(t, "disk", Options{DataDir: dir}, nil)
	f := openOnLoop(t, rt, "log")
	const writes, size = 300, 1024
	var order []int // loop-only: -race flags a callback run elsewhere
	all := make(chan struct{})
	onLoop(t, rt, func() {
		for i := range writes {
			f.WriteAsync(block(i, size), int64(i*size), func(n int, err error) {
				if n != size || err != nil {
					t.Errorf("write %d: n=%d err=%v", i, n, err)
				}
				order = append(order, i)
				if len(order) == writes {
					close(all)
				}
			})
		}
	})
	select {
	case <-all:
	case <-timeAfter():
		t.Fatal("WriteAsync callbacks did not all run")
	}
	onLoop(t, rt, func() {
		for i, got := range order {
			if got != i {
				t.Fatalf("completion %d was write %d: out of call order", i, got)
			}
		}
	})
	data, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	for i := range writes {
		if !bytes.Equal(data[i*size:(i+1)*size], block(i, size)) {
			t.Fatalf("block %d on disk differs", i)
		}
	}
}

// TestSyncAsyncWaitsForEarlierWriteAsync holds the writer goroutine and
// checks that a SyncAsync requested after a WriteAsync does not fsync
// before that write is made: an fsync that overtook it would cover nothing.
func TestSyncAsyncWaitsForEarlierWriteAsync(t *testing.T) {
	dir := t.TempDir()
	rt := New("disk", Options{DataDir: dir})
	release := make(chan struct{})
	var written, fsyncBeforeWrite atomic.Bool
	rt.testHookWrite = func() { <-release; written.Store(true) }
	rt.testHookFsync = func() {
		if !written.Load() {
			fsyncBeforeWrite.Store(true)
		}
	}
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()
	f := openOnLoop(t, rt, "log")
	var events []string // loop-only
	synced := make(chan error, 1)
	onLoop(t, rt, func() {
		f.WriteAsync([]byte("record"), 0, func(n int, err error) { events = append(events, "write") })
		f.SyncAsync(func(err error) { events = append(events, "sync"); synced <- err })
	})
	select {
	case <-synced:
		t.Fatal("SyncAsync completed while the write before it was held")
	case <-time.After(50 * time.Millisecond):
	}
	close(release)
	if err := <-synced; err != nil {
		t.Fatalf("sync: %v", err)
	}
	if fsyncBeforeWrite.Load() {
		t.Fatal("the fsync started before the write it must cover")
	}
	onLoop(t, rt, func() {
		if len(events) != 2 || events[0] != "write" || events[1] != "sync" {
			t.Fatalf("completions %v, want [write sync]", events)
		}
	})
}

// TestSyncWaitsForQueuedWrites: a blocking Sync returns only after the
// writes queued before it reached the file.
// startSlowWriter starts a runtime whose writer takes 20 ms per write.
func startSlowWriter(t *testing.T, dir string) *Runtime {
	t.Helper()
	rt := New("disk", Options{DataDir: dir})
	rt.testHookWrite = func() { time.Sleep(20 * time.Millisecond) }
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rt.Stop)
	return rt
}

func TestSyncWaitsForQueuedWrites(t *testing.T) {
	dir := t.TempDir()
	rt := startSlowWriter(t, dir)
	f := openOnLoop(t, rt, "log")
	onLoop(t, rt, func() {
		for i := range 3 {
			f.WriteAsync(block(i, 10), int64(i*10), func(int, error) {})
		}
		if err := f.Sync(); err != nil {
			t.Fatalf("sync: %v", err)
		}
		// Still on the loop: no completion has run, yet the bytes are there.
		data, err := os.ReadFile(filepath.Join(dir, "log"))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) != 30 || !bytes.Equal(data[20:], block(2, 10)) {
			t.Fatalf("after Sync the file holds %q, want the three queued writes", data)
		}
	})
}

// WriteAt and Truncate come after the file's queued writes, as in the
// simulator (whose WriteAsync writes at call time): a later overwrite is
// not undone by an earlier queued write, nor a truncation re-extended.
func TestWriteAtAndTruncateComeAfterQueuedWrites(t *testing.T) {
	dir := t.TempDir()
	rt := startSlowWriter(t, dir)
	f := openOnLoop(t, rt, "log")
	onLoop(t, rt, func() {
		f.WriteAsync(block(0, 30), 0, func(int, error) {})
		if _, err := f.WriteAt(block(1, 10), 10); err != nil {
			t.Fatalf("write: %v", err)
		}
		f.WriteAsync(block(2, 100), 30, func(int, error) {})
		if err := f.Truncate(40); err != nil {
			t.Fatalf("truncate: %v", err)
		}
	})
	rt.Stop() // lets anything still queued run
	data, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	want := append(append(append(block(0, 10), block(1, 10)...), block(0, 10)...), block(2, 10)...)
	if !bytes.Equal(data, want) {
		t.Fatalf("file holds %q, want %q", data, want)
	}
}

func TestWriteAsyncThenCloseStillWrites(t *testing.T) {
	dir := t.TempDir()
	rt := New("disk", Options{DataDir: dir})
	rt.testHookWrite = func() { time.Sleep(10 * time.Millisecond) }
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()
	f := openOnLoop(t, rt, "log")
	before, after := make(chan error, 1), make(chan error, 1)
	onLoop(t, rt, func() {
		f.WriteAsync([]byte("data"), 0, func(_ int, err error) { before <- err })
		if err := f.Close(); err != nil {
			t.Errorf("close with a write queued: %v", err)
		}
		f.WriteAsync([]byte("late"), 4, func(_ int, err error) { after <- err })
	})
	if err := <-before; err != nil {
		t.Fatalf("write queued before Close = %v, want nil", err)
	}
	if err := <-after; !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after Close = %v, want os.ErrClosed", err)
	}
	if data, _ := os.ReadFile(filepath.Join(dir, "log")); string(data) != "data" {
		t.Fatalf("file holds %q, want %q", data, "data")
	}
}

// TestStopMakesQueuedWrites: a graceful stop makes every queued write (a
// process exit would not; the contract lets a crash drop them).
func TestStopMakesQueuedWrites(t *testing.T) {
	dir := t.TempDir()
	rt := New("disk", Options{DataDir: dir})
	rt.testHookWrite = func() { time.Sleep(time.Millisecond) }
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	f := openOnLoop(t, rt, "log")
	const writes = 50
	onLoop(t, rt, func() {
		for i := range writes {
			f.WriteAsync(block(i, 100), int64(i*100), func(int, error) {})
		}
	})
	rt.Stop()
	data, err := os.ReadFile(filepath.Join(dir, "log"))
	if err != nil {
		t.Fatal(err)
	}
	if len(data) != writes*100 || !bytes.Equal(data[(writes-1)*100:], block(writes-1, 100)) {
		t.Fatalf("after Stop the file holds %d bytes, want %d", len(data), writes*100)
	}
}
