// Package disktest is a conformance suite for runtime.FS implementations.
// The simulated disk and the real runtime's file system both run it, so
// code that passes in the simulator takes the same paths on a real disk:
// the same errors for the same mistakes, the same sizes, the same order.
package disktest

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"time"

	"rocketsim/runtime"
)

// Harness is one fresh, empty file system and the means to use it as a
// node does.
type Harness struct {
	FS runtime.FS
	// Run runs fn on the node's event loop and returns when fn has.
	Run func(fn func())
	// Settle lets pending completions (SyncAsync callbacks) run; a real
	// runtime may leave it nil, its loop runs on its own.
	Settle func()
}

// SyncAsyncWait bounds how long the suite waits for a SyncAsync callback.
const SyncAsyncWait = 10 * time.Second

type tcase struct {
	name string
	fn   func(r *reporter, h Harness, fsys runtime.FS)
}

// Run runs every conformance case as a subtest, each on a fresh harness.
func Run(t *testing.T, newHarness func(t *testing.T) Harness) {
	for _, c := range all() {
		t.Run(c.name, func(t *testing.T) {
			for _, msg := range runCase(c, newHarness(t)) {
				t.Error(msg)
			}
		})
	}
}

// Failures runs every case and returns what failed as "case: message"; it
// is how the suite's own tests show that it catches a broken file system.
func Failures(t *testing.T, newHarness func(t *testing.T) Harness) []string {
	var out []string
	for _, c := range all() {
		for _, msg := range runCase(c, newHarness(t)) {
			out = append(out, c.name+": "+msg)
		}
	}
	return out
}

func all() []tcase {
	return append(slices.Clone(cases), tcase{"SyncAsyncCallsDoneOnce", nil})
}

// runCase runs one case on the harness's loop and collects its failures.
func runCase(c tcase, h Harness) []string {
	r := &reporter{}
	if c.fn == nil {
		syncAsync(r, h)
	} else {
		onLoop(r, h, func() { c.fn(r, h, h.FS) })
	}
	return r.messages()
}

// reporter collects failures from whatever goroutine runs the node's loop
// (t.FailNow may only be called from the test's own goroutine).
type reporter struct {
	mu   sync.Mutex
	msgs []string
}

// abort unwinds a case after a fatal failure.
type abort struct{}

func (r *reporter) errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, fmt.Sprintf(format, args...))
}

func (r *reporter) error(msg string) { r.errorf("%s", msg) }

func (r *reporter) fatalf(format string, args ...any) {
	r.errorf(format, args...)
	panic(abort{})
}

func (r *reporter) fatal(err any) { r.fatalf("%v", err) }

func (r *reporter) messages() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.msgs)
}

// onLoop runs fn on the harness's loop; a fatal failure ends fn there.
func onLoop(r *reporter, h Harness, fn func()) {
	h.Run(func() {
		defer func() {
			if p := recover(); p != nil {
				if _, ok := p.(abort); !ok {
					panic(p)
				}
			}
		}()
		fn()
	})
}

var cases = []tcase{
	{"WriteReadSizeEOF", func(r *reporter, _ Harness, fsys runtime.FS) {
		f := open(r, fsys, "f", runtime.ReadWrite|runtime.Create)
		defer f.Close()
		if n, err := f.WriteAt([]byte("hello world"), 100); n != 11 || err != nil {
			r.fatalf("WriteAt = %d, %v", n, err)
		}
		if size, err := f.Size(); size != 111 || err != nil {
			r.fatalf("Size = %d, %v, want 111", size, err)
		}
		buf := make([]byte, 8)
		if n, err := f.ReadAt(buf, 96); n != 8 || err != nil || !bytes.Equal(buf, []byte("\x00\x00\x00\x00hell")) {
			r.fatalf("ReadAt across the hole = %d, %v, %q", n, err, buf)
		}
		if n, err := f.ReadAt(buf, 106); n != 5 || !errors.Is(err, io.EOF) || string(buf[:5]) != "world" {
			r.fatalf("ReadAt past the end = %d, %v, want 5, EOF", n, err)
		}
		if n, err := f.ReadAt(buf, 111); n != 0 || !errors.Is(err, io.EOF) {
			r.fatalf("ReadAt at the end = %d, %v, want 0, EOF", n, err)
		}
		if f.Name() != "f" {
			r.fatalf("Name = %q, want the name given to Open", f.Name())
		}
	}},
	{"OpenFlags", func(r *reporter, _ Harness, fsys runtime.FS) {
		if _, err := fsys.Open("missing", runtime.ReadOnly); !isNotExist(err) {
			r.errorf("open missing: %v, want ErrNotExist", err)
		}
		if _, err := fsys.Open("nodir/f", runtime.ReadWrite|runtime.Create); !isNotExist(err) {
			r.errorf("create without parent: %v, want ErrNotExist", err)
		}
		open(r, fsys, "f", runtime.ReadWrite|runtime.Create|runtime.Exclusive).Close()
		if _, err := fsys.Open("f", runtime.ReadWrite|runtime.Create|runtime.Exclusive); !errors.Is(err, runtime.ErrExist) || !errors.Is(err, fs.ErrExist) {
			r.errorf("exclusive create of an existing file: %v, want ErrExist", err)
		}
		ro := open(r, fsys, "f", runtime.ReadOnly)
		defer ro.Close()
		if _, err := ro.WriteAt([]byte("x"), 0); err == nil {
			r.error("write through a read-only handle succeeded")
		}
	}},
	{"ListSortedAndStat", func(r *reporter, _ Harness, fsys runtime.FS) {
		mkdir(r, fsys, "d/sub")
		for _, n := range []string{"c", "a", "b10", "b9"} {
			open(r, fsys, "d/"+n, runtime.ReadWrite|runtime.Create).Close()
		}
		names, err := fsys.List("d")
		if want := []string{"a", "b10", "b9", "c", "sub"}; err != nil || !slices.Equal(names, want) {
			r.errorf("List = %v, %v, want %v", names, err, want)
		}
		if _, err := fsys.List("nothere"); !isNotExist(err) {
			r.errorf("List missing: %v", err)
		}
		f := open(r, fsys, "d/a", runtime.ReadWrite)
		f.WriteAt(make([]byte, 42), 0)
		f.Close()
		if fi, err := fsys.Stat("d/a"); err != nil || fi != (runtime.FileInfo{Name: "a", Size: 42}) {
			r.errorf("Stat file = %+v, %v", fi, err)
		}
		if fi, err := fsys.Stat("d/sub"); err != nil || !fi.IsDir || fi.Name != "sub" {
			r.errorf("Stat dir = %+v, %v", fi, err)
		}
		if _, err := fsys.Stat("d/zzz"); !isNotExist(err) {
			r.errorf("Stat missing: %v", err)
		}
	}},
	{"RenameReplaces", func(r *reporter, _ Harness, fsys runtime.FS) {
		write(r, fsys, "new.tmp", "new")
		write(r, fsys, "cur", "old content")
		if err := fsys.Rename("new.tmp", "cur"); err != nil {
			r.fatal(err)
		}
		if got := read(r, fsys, "cur"); got != "new" {
			r.errorf("after rename: %q", got)
		}
		if _, err := fsys.Stat("new.tmp"); !isNotExist(err) {
			r.errorf("source still there: %v", err)
		}
		if err := fsys.Rename("new.tmp", "x"); !isNotExist(err) {
			r.errorf("rename missing: %v", err)
		}
		mkdir(r, fsys, "a")
		if err := fsys.Rename("a", "b"); err != nil {
			r.errorf("rename dir: %v", err)
		}
		if fi, err := fsys.Stat("b"); err != nil || !fi.IsDir {
			r.errorf("renamed dir: %+v %v", fi, err)
		}
	}},
	{"Remove", func(r *reporter, _ Harness, fsys runtime.FS) {
		mkdir(r, fsys, "d/e")
		write(r, fsys, "d/e/f", "x")
		if err := fsys.Remove("d"); err == nil {
			r.error("removed a non-empty directory")
		}
		if err := fsys.Remove("d/e/f"); err != nil {
			r.errorf("%v", err)
		}
		if err := fsys.Remove("d/e/f"); !isNotExist(err) {
			r.errorf("remove missing: %v", err)
		}
		write(r, fsys, "d/e/g", "y")
		if err := fsys.RemoveAll("d"); err != nil {
			r.errorf("%v", err)
		}
		if _, err := fsys.Stat("d"); !isNotExist(err) {
			r.errorf("after RemoveAll: %v", err)
		}
		if err := fsys.RemoveAll("d"); err != nil {
			r.errorf("RemoveAll of a missing path: %v", err)
		}
	}},
	{"TruncateShrinksAndZeroFills", func(r *reporter, _ Harness, fsys runtime.FS) {
		f := open(r, fsys, "f", runtime.ReadWrite|runtime.Create)
		defer f.Close()
		f.WriteAt([]byte("abcdefgh"), 0)
		if err := f.Truncate(3); err != nil {
			r.fatal(err)
		}
		if err := f.Truncate(6); err != nil {
			r.fatal(err)
		}
		buf := make([]byte, 6)
		if n, err := f.ReadAt(buf, 0); n != 6 || err != nil || string(buf) != "abc\x00\x00\x00" {
			r.errorf("after shrink and grow: %q %v", buf[:n], err)
		}
	}},
	{"SyncAndClose", func(r *reporter, _ Harness, fsys runtime.FS) {
		mkdir(r, fsys, "d")
		f := open(r, fsys, "d/f", runtime.ReadWrite|runtime.Create)
		f.WriteAt([]byte("x"), 0)
		if err := f.Sync(); err != nil {
			r.errorf("Sync: %v", err)
		}
		if err := fsys.SyncDir("d"); err != nil {
			r.errorf("SyncDir: %v", err)
		}
		if err := f.Close(); err != nil {
			r.errorf("Close: %v", err)
		}
		if _, err := f.ReadAt(make([]byte, 1), 0); !errors.Is(err, fs.ErrClosed) {
			r.errorf("ReadAt after Close: %v, want fs.ErrClosed", err)
		}
		if _, err := f.WriteAt([]byte("y"), 0); !errors.Is(err, fs.ErrClosed) {
			r.errorf("WriteAt after Close: %v, want fs.ErrClosed", err)
		}
		if err := f.Close(); err == nil {
			r.error("second Close succeeded")
		}
	}},
	{"Usage", func(r *reporter, _ Harness, fsys runtime.FS) {
		u, err := fsys.Usage(".")
		if err != nil || u.Total == 0 || u.Free > u.Total {
			r.errorf("Usage = %+v, %v", u, err)
		}
	}},
}

func syncAsync(r *reporter, h Harness) {
	calls := make(chan error, 2)
	onLoop(r, h, func() {
		f := open(r, h.FS, "f", runtime.ReadWrite|runtime.Create)
		f.WriteAt([]byte("data"), 0)
		f.SyncAsync(func(err error) { calls <- err })
	})
	if len(r.messages()) > 0 {
		return
	}
	if h.Settle != nil {
		h.Settle()
	}
	select {
	case err := <-calls:
		if err != nil {
			r.errorf("SyncAsync: %v", err)
			return
		}
	case <-time.After(SyncAsyncWait):
		r.errorf("SyncAsync never called done")
		return
	}
	if h.Settle != nil {
		h.Settle()
	}
	select {
	case <-calls:
		r.errorf("done called twice")
	default:
	}
}

func isNotExist(err error) bool {
	return errors.Is(err, runtime.ErrNotExist) && errors.Is(err, fs.ErrNotExist)
}

func open(r *reporter, fsys runtime.FS, name string, flag runtime.OpenFlag) runtime.File {
	f, err := fsys.Open(name, flag)
	if err != nil {
		r.fatalf("open %s: %v", name, err)
	}
	return f
}

func mkdir(r *reporter, fsys runtime.FS, dir string) {
	if err := fsys.MkdirAll(dir); err != nil {
		r.fatalf("mkdir %s: %v", dir, err)
	}
}

func write(r *reporter, fsys runtime.FS, name, content string) {
	f := open(r, fsys, name, runtime.ReadWrite|runtime.Create)
	defer f.Close()
	if err := f.Truncate(0); err != nil {
		r.fatal(err)
	}
	if _, err := f.WriteAt([]byte(content), 0); err != nil {
		r.fatal(err)
	}
}

func read(r *reporter, fsys runtime.FS, name string) string {
	f := open(r, fsys, name, runtime.ReadOnly)
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		r.fatal(err)
	}
	b := make([]byte, size)
	if _, err := f.ReadAt(b, 0); err != nil && !errors.Is(err, io.EOF) {
		r.fatal(err)
	}
	return string(b)
}
