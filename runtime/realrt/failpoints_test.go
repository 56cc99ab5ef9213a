package realrt

import (
	"errors"
	"testing"
	"time"

	"rocketsim/faults"
	"rocketsim/runtime"
)

func mustApply(t *testing.T, rt *Runtime, spec string) {
	t.Helper()
	f, err := faults.Parse(spec)
	if err != nil {
		t.Fatalf("parse %s: %v", spec, err)
	}
	if err := rt.ApplyFault(f); err != nil {
		t.Fatalf("apply %s: %v", spec, err)
	}
}

func TestDiskFullAtCurrentUsageThenFree(t *testing.T) {
	rt := startRT(t, "n1", Options{DataDir: t.TempDir()}, nil)
	var f runtime.File
	onLoop(t, rt, func() {
		var err error
		if f, err = rt.Disk().Open("log", runtime.ReadWrite|runtime.Create); err != nil {
			t.Errorf("open: %v", err)
			return
		}
		if _, err := f.WriteAt(make([]byte, 100), 0); err != nil {
			t.Errorf("write: %v", err)
		}
	})
	mustApply(t, rt, "{kind: disk-full, nodes: [n1]}")
	onLoop(t, rt, func() {
		if n, err := f.WriteAt([]byte("abc"), 100); n != 0 || !errors.Is(err, runtime.ErrNoSpace) {
			t.Errorf("growing write on a full disk = %d, %v; want 0, ErrNoSpace", n, err)
		}
		if n, err := f.WriteAt([]byte("abc"), 10); n != 3 || err != nil {
			t.Errorf("overwrite on a full disk = %d, %v; want 3, nil", n, err)
		}
		if err := f.Truncate(200); !errors.Is(err, runtime.ErrNoSpace) {
			t.Errorf("growing truncate on a full disk = %v, want ErrNoSpace", err)
		}
		if u, err := rt.Disk().Usage("."); err != nil || u.Total != 100 || u.Free != 0 {
			t.Errorf("Usage = %+v, %v; want total 100, free 0", u, err)
		}
	})
	mustApply(t, rt, "{kind: disk-free, nodes: [n1]}")
	onLoop(t, rt, func() {
		if n, err := f.WriteAt([]byte("abc"), 100); n != 3 || err != nil {
			t.Errorf("write after disk-free = %d, %v", n, err)
		}
	})
}

func TestDiskFullCapacityPartialWriteAndRemoveFrees(t *testing.T) {
	rt := startRT(t, "n1", Options{DataDir: t.TempDir()}, nil)
	mustApply(t, rt, "{kind: disk-full, nodes: [n1], capacity: 50}")
	onLoop(t, rt, func() {
		fs := rt.Disk()
		a, err := fs.Open("a", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		if n, err := a.WriteAt(make([]byte, 40), 0); n != 40 || err != nil {
			t.Errorf("write within the cap = %d, %v", n, err)
		}
		if n, err := a.WriteAt(make([]byte, 25), 40); n != 10 || !errors.Is(err, runtime.ErrNoSpace) {
			t.Errorf("write over the cap = %d, %v; want the 10 bytes that fit and ErrNoSpace", n, err)
		}
		if size, _ := a.Size(); size != 50 {
			t.Errorf("size after partial write = %d, want 50", size)
		}
		if err := a.Truncate(20); err != nil {
			t.Errorf("shrink: %v", err)
		}
		if n, err := a.WriteAt(make([]byte, 30), 20); n != 30 || err != nil {
			t.Errorf("write after shrinking = %d, %v", n, err)
		}
		a.Close()
		if err := fs.Remove("a"); err != nil {
			t.Errorf("remove: %v", err)
		}
		if u, _ := fs.Usage("."); u.Free != 50 {
			t.Errorf("free after remove = %d, want 50", u.Free)
		}
		b, err := fs.Open("b", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		defer b.Close()
		if n, err := b.WriteAt(make([]byte, 50), 0); n != 50 || err != nil {
			t.Errorf("write into freed space = %d, %v", n, err)
		}
	})
}

func TestFsyncFailAndLatency(t *testing.T) {
	rt := startRT(t, "n1", Options{DataDir: t.TempDir()}, nil)
	var f runtime.File
	onLoop(t, rt, func() {
		var err error
		if f, err = rt.Disk().Open("log", runtime.ReadWrite|runtime.Create); err != nil {
			t.Errorf("open: %v", err)
		}
	})
	mustApply(t, rt, "{kind: fsync-fail, nodes: [n1], prob: 1}")
	async := make(chan error, 1)
	onLoop(t, rt, func() {
		if err := f.Sync(); !errors.Is(err, runtime.ErrIO) {
			t.Errorf("Sync with prob 1 = %v, want ErrIO", err)
		}
		f.SyncAsync(func(err error) { async <- err })
	})
	if err := <-async; !errors.Is(err, runtime.ErrIO) {
		t.Fatalf("SyncAsync with prob 1 = %v, want ErrIO", err)
	}
	mustApply(t, rt, "{kind: fsync-fail, nodes: [n1], prob: 0}")
	mustApply(t, rt, "{kind: fsync-latency, nodes: [n1], min: 60ms, max: 60ms}")
	start := time.Now()
	onLoop(t, rt, func() { f.SyncAsync(func(err error) { async <- err }) })
	if err := <-async; err != nil {
		t.Fatalf("SyncAsync after prob 0 = %v", err)
	}
	if d := time.Since(start); d < 60*time.Millisecond {
		t.Fatalf("fsync took %v under a 60ms latency fault", d)
	}
}

func TestClockOffsetAndJumpMoveOnlyTheWallClock(t *testing.T) {
	rt := startRT(t, "n1", Options{}, nil)
	mustApply(t, rt, "{kind: clock-offset, nodes: [n1], offset: -30s}")
	monoBefore := rt.Monotonic()
	if d := time.Since(rt.Now()); d < 29*time.Second || d > 31*time.Second {
		t.Fatalf("wall clock %v behind after a -30s offset, want about 30s", d)
	}
	mustApply(t, rt, "{kind: clock-jump, nodes: [n1], by: 1h}")
	if d := rt.Now().Sub(time.Now()); d < 59*time.Minute || d > 61*time.Minute {
		t.Fatalf("wall clock %v ahead after offset -30s and jump +1h, want about 59m30s", d)
	}
	if d := rt.Monotonic() - monoBefore; d < 0 || d > time.Second {
		t.Fatalf("monotonic clock moved %v across wall-clock faults", d)
	}
	if now := rt.Now(); now != now.Round(0) {
		t.Fatal("Now carries a monotonic reading under faults")
	}
}

func TestClockDriftSpeedsTimers(t *testing.T) {
	rt := startRT(t, "n1", Options{}, nil)
	mustApply(t, rt, "{kind: clock-drift, nodes: [n1], rate: 2}")
	real0, mono0 := time.Now(), rt.Monotonic()
	time.Sleep(50 * time.Millisecond)
	ratio := float64(rt.Monotonic()-mono0) / float64(time.Since(real0))
	if ratio < 1.8 || ratio > 2.2 {
		t.Fatalf("monotonic clock ran at %.2f times real time, want 2", ratio)
	}
	fired := make(chan time.Duration, 1)
	start := time.Now()
	onLoop(t, rt, func() { rt.AfterFunc(400*time.Millisecond, func() { fired <- time.Since(start) }) })
	select {
	case d := <-fired:
		if d < 195*time.Millisecond || d >= 400*time.Millisecond {
			t.Fatalf("a 400ms timer at rate 2 fired after %v real, want about 200ms", d)
		}
	case <-timeAfter():
		t.Fatal("timer did not fire")
	}
}

func TestApplyFaultRefusesWhatItCannotDo(t *testing.T) {
	rt := New("n1", Options{})
	for _, tc := range []struct {
		spec string
		want error
	}{
		{"{kind: crash, nodes: [n1]}", ErrNotLocalFault},
		{"{kind: heal}", ErrNotLocalFault},
		{"{kind: power-loss, nodes: [n1]}", ErrNotLocalFault},
	} {
		f, err := faults.Parse(tc.spec)
		if err != nil {
			t.Fatal(err)
		}
		if err := rt.ApplyFault(f); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.spec, err, tc.want)
		}
	}
	if err := rt.ApplyFault(faults.Fault{Kind: faults.FsyncFail, Nodes: []string{"n2"}, Prob: 1}); err == nil {
		t.Error("a fault naming another node was applied")
	}
	if err := rt.ApplyFault(faults.Fault{Kind: faults.FsyncFail, Prob: 2}); err == nil {
		t.Error("an invalid fault was applied")
	}
}
