package disktest_test

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simdisk/disktest"
)

// simHarness is a fresh simulated disk whose scheduler queues callbacks
// until Settle runs them.
func simHarness(wrap func(runtime.FS) runtime.FS) func(t *testing.T) disktest.Harness {
	return func(t *testing.T) disktest.Harness {
		d := simdisk.New(simdisk.Options{
			FsyncLatency: func(*rand.Rand) time.Duration { return time.Millisecond },
		}, rand.New(rand.NewPCG(1, 1)))
		var pending []func()
		d.Bind(func(_ time.Duration, fn func()) { pending = append(pending, fn) })
		return disktest.Harness{
			FS:  wrap(d.FS()),
			Run: func(fn func()) { fn() },
			Settle: func() {
				for len(pending) > 0 {
					fn := pending[0]
					pending = pending[1:]
					fn()
				}
			},
		}
	}
}

func TestSimulatedDiskConforms(t *testing.T) {
	disktest.Run(t, simHarness(func(fs runtime.FS) runtime.FS { return fs }))
}

type nopNode struct{}

func (nopNode) Stop() {}

func TestRealDiskConforms(t *testing.T) {
	disktest.Run(t, func(t *testing.T) disktest.Harness {
		rt := realrt.New("disktest", realrt.Options{DataDir: t.TempDir()})
		if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return nopNode{}, nil }); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(rt.Stop)
		return disktest.Harness{
			FS: rt.Disk(),
			Run: func(fn func()) {
				done := make(chan struct{})
				rt.Post(func() { defer close(done); fn() })
				<-done
			},
		}
	})
}

// TestSuiteCatchesDivergence runs the suite against file systems that each
// break one promise, and expects the matching case to fail.
func TestSuiteCatchesDivergence(t *testing.T) {
	cases := map[string]func(runtime.FS) runtime.FS{
		"ListSortedAndStat":      func(fs runtime.FS) runtime.FS { return unsortedFS{fs} },
		"OpenFlags":              func(fs runtime.FS) runtime.FS { return plainErrFS{fs} },
		"SyncAsyncCallsDoneOnce": func(fs runtime.FS) runtime.FS { return twiceFS{fs} },
	}
	for want, wrap := range cases {
		got := disktest.Failures(t, simHarness(wrap))
		if !slices.ContainsFunc(got, func(msg string) bool { return strings.HasPrefix(msg, want+": ") }) {
			t.Errorf("breaking %s went unnoticed; failures: %v", want, got)
		}
	}
}

// unsortedFS lists in reverse order.
type unsortedFS struct{ runtime.FS }

func (u unsortedFS) List(dir string) ([]string, error) {
	names, err := u.FS.List(dir)
	slices.Reverse(names)
	return names, err
}

// plainErrFS loses the sentinel of a missing file.
type plainErrFS struct{ runtime.FS }

func (p plainErrFS) Open(name string, flag runtime.OpenFlag) (runtime.File, error) {
	f, err := p.FS.Open(name, flag)
	if err != nil {
		return nil, errorString(err.Error())
	}
	return f, nil
}

type errorString string

func (e errorString) Error() string { return string(e) }

// twiceFS calls SyncAsync callbacks twice.
type twiceFS struct{ runtime.FS }

func (w twiceFS) Open(name string, flag runtime.OpenFlag) (runtime.File, error) {
	f, err := w.FS.Open(name, flag)
	if err != nil {
		return nil, err
	}
	return twiceFile{f}, nil
}

type twiceFile struct{ runtime.File }

func (f twiceFile) SyncAsync(done func(error)) {
	f.File.SyncAsync(func(err error) { done(err); done(err) })
}
