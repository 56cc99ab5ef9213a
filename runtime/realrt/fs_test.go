package realrt

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"rocketsim/runtime"
)

func TestFileWriteReadSyncRenameListStatRemove(t *testing.T) {
	dir := t.TempDir()
	rt := startRT(t, "disk", Options{DataDir: dir}, nil)
	fs := rt.Disk()
	onLoop(t, rt, func() {
		if err := fs.MkdirAll("store/commitlog"); err != nil {
			t.Errorf("mkdir: %v", err)
			return
		}
		f, err := fs.Open("store/commitlog/000", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		if f.Name() != "store/commitlog/000" {
			t.Errorf("Name() = %q", f.Name())
		}
		if n, err := f.WriteAt([]byte("hello world"), 100); n != 11 || err != nil {
			t.Errorf("WriteAt = %d, %v", n, err)
		}
		if size, err := f.Size(); size != 111 || err != nil {
			t.Errorf("Size = %d, %v, want 111", size, err)
		}
		buf := make([]byte, 5)
		if n, err := f.ReadAt(buf, 106); n != 5 || err != nil || string(buf) != "world" {
			t.Errorf("ReadAt = %d, %v, %q", n, err, buf)
		}
		if n, err := f.ReadAt(buf, 109); n != 2 || !errors.Is(err, io.EOF) {
			t.Errorf("ReadAt past end = %d, %v, want 2, EOF", n, err)
		}
		if err := f.Sync(); err != nil {
			t.Errorf("sync: %v", err)
		}
		if err := f.Truncate(50); err != nil {
			t.Errorf("truncate: %v", err)
		}
		if size, _ := f.Size(); size != 50 {
			t.Errorf("size after truncate = %d", size)
		}
		if err := f.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
		if _, err := f.ReadAt(buf, 0); !errors.Is(err, os.ErrClosed) {
			t.Errorf("ReadAt after Close = %v, want os.ErrClosed", err)
		}
		if err := f.Close(); err == nil {
			t.Error("second Close succeeded")
		}

		if _, err := fs.Open("store/commitlog/000", runtime.ReadWrite|runtime.Create|runtime.Exclusive); !errors.Is(err, runtime.ErrExist) {
			t.Errorf("exclusive create of an existing file = %v, want ErrExist", err)
		}
		if _, err := fs.Open("store/missing", runtime.ReadOnly); !errors.Is(err, runtime.ErrNotExist) {
			t.Errorf("open missing = %v, want ErrNotExist", err)
		}
		if _, err := fs.Open("nodir/x", runtime.ReadWrite|runtime.Create); !errors.Is(err, runtime.ErrNotExist) {
			t.Errorf("create without parent = %v, want ErrNotExist", err)
		}

		for _, name := range []string{"c", "a", "b"} {
			g, err := fs.Open("store/"+name, runtime.ReadWrite|runtime.Create)
			if err != nil {
				t.Errorf("create %s: %v", name, err)
				return
			}
			g.Close()
		}
		if err := fs.Rename("store/c", "store/d"); err != nil {
			t.Errorf("rename: %v", err)
		}
		if err := fs.Rename("store/nope", "store/e"); !errors.Is(err, runtime.ErrNotExist) {
			t.Errorf("rename missing = %v, want ErrNotExist", err)
		}
		if err := fs.SyncDir("store"); err != nil {
			t.Errorf("sync dir: %v", err)
		}
		names, err := fs.List("store")
		if err != nil || !slices.Equal(names, []string{"a", "b", "commitlog", "d"}) {
			t.Errorf("List = %v, %v", names, err)
		}
		if _, err := fs.List("absent"); !errors.Is(err, runtime.ErrNotExist) {
			t.Errorf("List missing = %v, want ErrNotExist", err)
		}
		fi, err := fs.Stat("store/commitlog/000")
		if err != nil || fi != (runtime.FileInfo{Name: "000", Size: 50}) {
			t.Errorf("Stat = %+v, %v", fi, err)
		}
		if fi, err := fs.Stat("store"); err != nil || !fi.IsDir {
			t.Errorf("Stat dir = %+v, %v", fi, err)
		}
		if err := fs.Remove("store/a"); err != nil {
			t.Errorf("remove: %v", err)
		}
		if _, err := fs.Stat("store/a"); !errors.Is(err, runtime.ErrNotExist) {
			t.Errorf("Stat removed = %v, want ErrNotExist", err)
		}
		if err := fs.Remove("store/a"); !errors.Is(err, runtime.ErrNotExist) {
			t.Errorf("remove twice = %v, want ErrNotExist", err)
		}
		u, err := fs.Usage("store")
		if err != nil || u.Total == 0 || u.Free > u.Total {
			t.Errorf("Usage = %+v, %v", u, err)
		}
		if err := fs.RemoveAll("store"); err != nil {
			t.Errorf("remove all: %v", err)
		}
		if err := fs.RemoveAll("store"); err != nil {
			t.Errorf("remove all of a missing tree: %v", err)
		}
	})
	if _, err := os.Stat(filepath.Join(dir, "store")); !os.IsNotExist(err) {
		t.Fatalf("store still on disk under DataDir: %v", err)
	}
}

func TestAbsolutePathsBypassDataDir(t *testing.T) {
	root, other := t.TempDir(), t.TempDir()
	rt := startRT(t, "disk", Options{DataDir: root}, nil)
	abs := filepath.ToSlash(filepath.Join(other, "abs"))
	onLoop(t, rt, func() {
		f, err := rt.Disk().Open(abs, runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		f.WriteAt([]byte("x"), 0)
		f.Close()
	})
	if b, err := os.ReadFile(filepath.Join(other, "abs")); err != nil || string(b) != "x" {
		t.Fatalf("absolute file = %q, %v", b, err)
	}
}

func TestSyncAsyncGroupCommit(t *testing.T) {
	dir := t.TempDir()
	rt := New("disk", Options{DataDir: dir})
	// Hold the first fsync until every request is queued, so the test does
	// not depend on how fast this machine's fsync is.
	release := make(chan struct{})
	var holdOnce sync.Once
	rt.testHookFsync = func() { holdOnce.Do(func() { <-release }) }
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()

	const requests = 100
	completed := 0 // loop-only: -race flags any callback run elsewhere
	var errs []error
	allDone := make(chan struct{})
	var f runtime.File
	onLoop(t, rt, func() {
		var err error
		f, err = rt.Disk().Open("log", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		for i := range requests {
			if _, err := f.WriteAt([]byte{byte(i)}, int64(i)); err != nil {
				t.Errorf("write: %v", err)
			}
			f.SyncAsync(func(err error) {
				completed++
				if err != nil {
					errs = append(errs, err)
				}
				if completed == requests {
					close(allDone)
				}
			})
		}
	})
	close(release)
	select {
	case <-allDone:
	case <-timeAfter():
		t.Fatal("SyncAsync callbacks did not all run")
	}
	var n int
	onLoop(t, rt, func() { n = completed })
	if n != requests || len(errs) != 0 {
		t.Fatalf("%d callbacks, errors %v; want %d, none", n, errs, requests)
	}
	st := rt.Stats()
	if st.SyncAsyncRequests != requests {
		t.Fatalf("SyncAsyncRequests = %d, want %d", st.SyncAsyncRequests, requests)
	}
	// The first fsync took at most the requests queued before it started;
	// everything else shares the second.
	if st.Fsyncs > 2 || st.Fsyncs == 0 {
		t.Fatalf("%d fsyncs for %d requests, want 1 or 2", st.Fsyncs, requests)
	}
}

func TestSyncAsyncThenCloseStillCompletes(t *testing.T) {
	rt := startRT(t, "disk", Options{DataDir: t.TempDir()}, nil)
	before, after := make(chan error, 1), make(chan error, 1)
	onLoop(t, rt, func() {
		f, err := rt.Disk().Open("log", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		f.WriteAt([]byte("data"), 0)
		f.SyncAsync(func(err error) { before <- err })
		if err := f.Close(); err != nil {
			t.Errorf("close with a sync pending: %v", err)
		}
		f.SyncAsync(func(err error) { after <- err })
	})
	if err := <-before; err != nil {
		t.Fatalf("sync requested before Close = %v, want nil", err)
	}
	if err := <-after; !errors.Is(err, os.ErrClosed) {
		t.Fatalf("sync requested after Close = %v, want os.ErrClosed", err)
	}
}

func TestSyncAsyncManyFilesAndWriters(t *testing.T) {
	rt := startRT(t, "disk", Options{DataDir: t.TempDir()}, nil)
	const files, rounds = 4, 50
	done := make(chan struct{})
	pending := files * rounds // loop-only
	onLoop(t, rt, func() {
		for i := range files {
			f, err := rt.Disk().Open(string(rune('a'+i)), runtime.ReadWrite|runtime.Create)
			if err != nil {
				t.Errorf("open: %v", err)
				return
			}
			off := int64(0)
			var step func()
			step = func() {
				f.WriteAt([]byte("record"), off)
				off += 6
				f.SyncAsync(func(err error) {
					if err != nil {
						t.Errorf("sync: %v", err)
					}
					pending--
					if pending == 0 {
						close(done)
					}
				})
			}
			for range rounds {
				rt.Post(step)
			}
		}
	})
	select {
	case <-done:
	case <-timeAfter():
		t.Fatal("not every SyncAsync completed")
	}
	if st := rt.Stats(); st.Fsyncs > files*rounds {
		t.Fatalf("%d fsyncs for %d requests", st.Fsyncs, files*rounds)
	}
}

// TestSyncAsyncNeverAcksBeforeACoveringFsync checks group commit's one
// promise: a callback runs only after an fsync that began after its
// request. Requests arrive at random moments while fsyncs run.
func TestSyncAsyncNeverAcksBeforeACoveringFsync(t *testing.T) {
	rt := New("disk", Options{DataDir: t.TempDir()})
	var mu sync.Mutex
	var startedWith []uint64 // per fsync: requests made when it began
	var fsynced atomic.Int64 // fsyncs finished, witnessed independently of Stats
	rt.testHookFsync = func() {
		mu.Lock()
		startedWith = append(startedWith, rt.Stats().SyncAsyncRequests)
		mu.Unlock()
		// Widen the window in which an early ack would be seen.
		time.Sleep(time.Millisecond)
	}
	rt.testHookFsynced = func() { fsynced.Add(1) }
	if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return &nopNode{}, nil }); err != nil {
		t.Fatal(err)
	}
	defer rt.Stop()

	const requests = 300
	done := make(chan struct{})
	var bad []string
	acked := 0
	onLoop(t, rt, func() {
		f, err := rt.Disk().Open("log", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		rng := rand.New(rand.NewPCG(9, 9))
		made := uint64(0)
		for i := range requests {
			rt.AfterFunc(time.Duration(rng.IntN(30_000))*time.Microsecond, func() {
				f.WriteAt([]byte{byte(i)}, int64(i))
				made++
				idx := made
				f.SyncAsync(func(err error) {
					if err != nil {
						bad = append(bad, err.Error())
					}
					completed := fsynced.Load()
					mu.Lock()
					ok := completed > 0 && startedWith[completed-1] >= idx
					mu.Unlock()
					if !ok {
						bad = append(bad, fmt.Sprintf("request %d acked with %d fsyncs finished", idx, completed))
					}
					acked++
					if acked == requests {
						close(done)
					}
				})
			})
		}
	})
	select {
	case <-done:
	case <-timeAfter():
		t.Fatal("not every request was acked")
	}
	onLoop(t, rt, func() {
		if len(bad) > 0 {
			t.Errorf("%d bad acks, first: %s", len(bad), bad[0])
		}
	})
	if st := rt.Stats(); st.Fsyncs >= requests {
		t.Logf("no batching happened: %d fsyncs for %d requests", st.Fsyncs, requests)
	}
}
