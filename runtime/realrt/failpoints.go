package realrt

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"rocketsim/faults"
	"rocketsim/runtime"
)

// Failpoints let the multi-process runner inject, into a real process, the
// node-local faults the simulator injects through its runtime: a full disk,
// slow or failing fsync, and clock offset, drift and jumps; and pause and
// resume for nodes that run inside another program (pause.go; a process
// of its own is paused by SIGSTOP). Crashes and partitions need no help
// from the process (signals, proxies), and power loss cannot be faked
// from inside it; ApplyFault refuses those kinds.
//
// The semantics follow the simulated disk and clock so one scenario means
// the same in both worlds:
//   - disk-full caps the bytes the node's files may hold (their sizes, as
//     the simulated disk counts them). Usage under DataDir is measured when
//     the fault is applied; from then on growth by WriteAt and Truncate and
//     shrinkage by Truncate, Remove, RemoveAll and Rename-over are tracked.
//     A write that does not fit writes the prefix that does and fails with
//     ErrNoSpace, as Linux does. disk-free lifts the cap.
//   - fsync-fail: each fsync (Sync, or one group-commit round per file)
//     fails with ErrIO with the given probability, without syncing.
//   - fsync-latency: each fsync first waits a duration drawn from [min, max]
//     (the flusher waits off the loop; a blocking Sync waits on it, as a
//     slow disk would make it).
//   - clock-offset sets the wall clock's offset from the machine's;
//     clock-jump moves it; clock-drift makes the node's monotonic clock, its
//     timers and its wall clock run at rate times real time from now on.

// diskFaults holds the disk failpoints. The flusher and the loop read it.
type diskFaults struct {
	mu       sync.Mutex
	failProb float64
	latMin   time.Duration
	latMax   time.Duration
	rng      *rand.Rand // guarded by mu

	limited  atomic.Bool // a disk-full cap is in force; the fast path reads only this
	capMu    sync.Mutex
	capTotal int64 // the cap, bytes
	capUsed  int64 // bytes the node's files hold, as tracked
}

// drawFsync decides the fate of one fsync.
func (d *diskFaults) drawFsync() (delay time.Duration, fail bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.latMax > 0 {
		delay = d.latMin
		if span := d.latMax - d.latMin; span > 0 {
			delay += time.Duration(d.rng.Int64N(int64(span) + 1))
		}
	}
	if d.failProb > 0 {
		fail = d.rng.Float64() < d.failProb
	}
	return delay, fail
}

// fsync is every fsync of a file's data, with the failpoints applied.
func (r *Runtime) fsync(f *os.File, name string) error {
	delay, fail := r.diskFault.drawFsync()
	if delay > 0 {
		// Stop cuts an injected delay short rather than waiting minutes.
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-r.ctx.Done():
			t.Stop()
		}
	}
	if fail {
		return fmt.Errorf("realrt: sync %s: injected fsync failure: %w", name, runtime.ErrIO)
	}
	return syncError("sync", name, datasync(f))
}

// errNoSpace is the error a capped disk returns.
func errNoSpace(op, name string, want, free int64) error {
	return fmt.Errorf("realrt: %s %s: %d bytes wanted, %d free under the disk-full cap: %w: %w",
		op, name, want, free, runtime.ErrNoSpace, syscall.ENOSPC)
}

// capWrite performs a WriteAt under a disk-full cap: only the prefix that
// fits is written.
func (f *file) capWrite(p []byte, off int64) (int, error) {
	d := &f.rt.diskFault
	d.capMu.Lock()
	defer d.capMu.Unlock()
	fi, err := f.f.Stat()
	if err != nil {
		return 0, fsError("write", f.name, err)
	}
	size := fi.Size()
	free := max(0, d.capTotal-d.capUsed)
	var errFull error
	if grow := off + int64(len(p)) - size; grow > free {
		fit := max(0, min(int64(len(p)), size+free-off))
		errFull = errNoSpace("write", f.name, grow, free)
		p = p[:fit]
	}
	n, err := f.f.WriteAt(p, off)
	d.capUsed += max(0, off+int64(n)-size)
	if err != nil {
		return n, fsError("write", f.name, err)
	}
	return n, errFull
}

// capTruncate performs a Truncate under a disk-full cap.
func (f *file) capTruncate(size int64) error {
	d := &f.rt.diskFault
	d.capMu.Lock()
	defer d.capMu.Unlock()
	fi, err := f.f.Stat()
	if err != nil {
		return fsError("truncate", f.name, err)
	}
	grow := size - fi.Size()
	if free := max(0, d.capTotal-d.capUsed); grow > free {
		return errNoSpace("truncate", f.name, grow, free)
	}
	if err := f.f.Truncate(size); err != nil {
		return fsError("truncate", f.name, err)
	}
	d.capUsed += grow
	return nil
}

// released tells the cap that bytes left the volume (remove, rename over).
func (d *diskFaults) released(bytes int64) {
	if bytes <= 0 || !d.limited.Load() {
		return
	}
	d.capMu.Lock()
	d.capUsed = max(0, d.capUsed-bytes)
	d.capMu.Unlock()
}

// treeSize sums the sizes of the regular files under path (0 if missing).
func treeSize(path string) int64 {
	var total int64
	_ = filepath.WalkDir(path, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return nil // vanished or unreadable: count what we can
		}
		if e.Type().IsRegular() {
			if fi, err := e.Info(); err == nil {
				total += fi.Size()
			}
		}
		return nil
	})
	return total
}

// ErrNotLocalFault is returned by ApplyFault for kinds a process cannot
// inject into itself.
var ErrNotLocalFault = errors.New("not a fault a process injects into itself")

// ApplyFault injects a node-local fault (disk-full, disk-free,
// fsync-latency, fsync-fail, clock-offset, clock-drift, clock-jump) into
// this process. It is safe from any goroutine. A fault that names nodes must
// name this one; Pick is the sender's business and is ignored.
func (r *Runtime) ApplyFault(f faults.Fault) error {
	if err := f.Validate(); err != nil {
		return fmt.Errorf("realrt: apply fault: %w", err)
	}
	if len(f.Nodes) > 0 && !slices.Contains(f.Nodes, r.name) {
		return fmt.Errorf("realrt: apply fault %s: names %v, not this node %q", f.Kind, f.Nodes, r.name)
	}
	d := &r.diskFault
	switch f.Kind {
	case faults.DiskFull:
		used := treeSize(r.fs.path("."))
		d.capMu.Lock()
		d.capUsed = used
		d.capTotal = f.Capacity
		if f.Capacity == 0 {
			d.capTotal = used // full at its current usage: the next growth fails
		}
		d.limited.Store(true)
		d.capMu.Unlock()
	case faults.DiskFree:
		d.capMu.Lock()
		d.limited.Store(false)
		d.capMu.Unlock()
	case faults.FsyncFail:
		d.mu.Lock()
		d.failProb = f.Prob
		d.mu.Unlock()
	case faults.FsyncLatency:
		d.mu.Lock()
		d.latMin, d.latMax = f.Min, f.Max
		d.mu.Unlock()
	case faults.ClockOffset, faults.ClockJump, faults.ClockDrift:
		r.applyClockFault(f)
	case faults.Pause:
		r.pauseLoop()
	case faults.Resume:
		r.resumeLoop()
	default:
		return fmt.Errorf("realrt: apply fault %s: %w", f.Kind, ErrNotLocalFault)
	}
	r.log.Warn("fault injected", "fault", f.String())
	return nil
}

// applyClockFault swaps in a new clock model.
func (r *Runtime) applyClockFault(f faults.Fault) {
	r.clockMu.Lock()
	defer r.clockMu.Unlock()
	old := r.clock.Load()
	real := time.Since(r.start)
	mono := old.mono(real)
	m := *old
	switch f.Kind {
	case faults.ClockOffset:
		// The wall clock reads machine time + offset + drift so far; make
		// the total equal f.Offset.
		m.offset = f.Offset - (mono - real)
	case faults.ClockJump:
		m.offset += f.By
	case faults.ClockDrift:
		m.rate, m.realAt, m.virtAt = f.Rate, real, mono
	}
	r.clock.Store(&m)
	if f.Kind == faults.ClockDrift {
		// The alarm was set in real time for the old rate.
		r.post(func() {
			r.alarmSet = false
			r.armAlarm()
		})
	}
}
