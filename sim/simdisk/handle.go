package simdisk

import (
	"fmt"
	"io"
	"time"

	"rocketsim/runtime"
)

// handle is an open file of one process incarnation (epoch).
type handle struct {
	d        *Disk
	f        *file
	name     string
	epoch    uint64
	writable bool
	closed   bool
}

var _ runtime.File = (*handle)(nil)

func (h *handle) Name() string { return h.name }

// check fails for a closed handle or one from a crashed incarnation.
func (h *handle) check(op string) error {
	switch {
	case h.closed:
		return fmt.Errorf("simdisk: %s %s: %w", op, h.name, errClosed)
	case h.epoch != h.d.epoch:
		return fmt.Errorf("simdisk: %s %s: handle from before a crash: %w", op, h.name, errClosed)
	}
	return nil
}

func (h *handle) ReadAt(p []byte, off int64) (int, error) {
	if err := h.check("read"); err != nil {
		return 0, err
	}
	if off < 0 {
		return 0, fmt.Errorf("simdisk: read %s at %d: %w", h.name, off, ErrInvalid)
	}
	size := h.f.size()
	if len(p) == 0 {
		return 0, nil
	}
	if off >= size {
		return 0, io.EOF
	}
	n := int(min(int64(len(p)), size-off))
	h.f.cache.readAt(p[:n], off)
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// WriteAt writes into the page cache. When the write would grow the volume
// beyond its capacity it fails with ErrNoSpace, after writing the prefix
// that fits if the disk was built with PartialWriteOnFull.
func (h *handle) WriteAt(p []byte, off int64) (int, error) {
	if err := h.check("write"); err != nil {
		return 0, err
	}
	if !h.writable {
		return 0, fmt.Errorf("simdisk: write %s: %w", h.name, ErrReadOnly)
	}
	if off < 0 {
		return 0, fmt.Errorf("simdisk: write %s at %d: %w", h.name, off, ErrInvalid)
	}
	f, d := h.f, h.d
	var errFull error
	if grow := off + int64(len(p)) - f.size(); f.linked && grow > d.free() {
		fit := 0
		if d.opts.PartialWriteOnFull {
			fit = int(max(0, min(int64(len(p)), f.size()+d.free()-off)))
		}
		errFull = fmt.Errorf("simdisk: write %s: %d of %d bytes at %d, %d free: %w",
			h.name, fit, len(p), off, d.free(), runtime.ErrNoSpace)
		p = p[:fit]
	}
	if len(p) > 0 {
		before := f.size()
		f.writeAt(p, off)
		if f.linked {
			d.used += f.size() - before
		}
	}
	return len(p), errFull
}

// WriteAsync writes into the page cache at once, as WriteAt does, and
// calls done on the loop as the next event (in call order). Landing at call
// time is one of the outcomes the contract allows; a crash before done
// leaves the disk as a crash right after a WriteAt would, and a crash
// before the write is the state before the call, which the simulator
// reaches by crashing earlier.
func (h *handle) WriteAsync(p []byte, off int64, done func(int, error)) {
	d := h.d
	if d.sched == nil {
		panic("simdisk: WriteAsync on a disk that was never bound to a node")
	}
	n, err := h.WriteAt(p, off)
	epoch := d.epoch
	d.sched(0, func() {
		if d.epoch != epoch {
			return
		}
		done(n, err)
	})
}

func (h *handle) Size() (int64, error) {
	if err := h.check("size"); err != nil {
		return 0, err
	}
	return h.f.size(), nil
}

// Truncate sets the size; it is journaled (durable at once). Growing counts
// against the capacity like a write.
func (h *handle) Truncate(size int64) error {
	if err := h.check("truncate"); err != nil {
		return err
	}
	if !h.writable {
		return fmt.Errorf("simdisk: truncate %s: %w", h.name, ErrReadOnly)
	}
	if size < 0 {
		return fmt.Errorf("simdisk: truncate %s to %d: %w", h.name, size, ErrInvalid)
	}
	f, d := h.f, h.d
	grow := size - f.size()
	if f.linked && grow > d.free() {
		return fmt.Errorf("simdisk: truncate %s to %d, %d free: %w", h.name, size, d.free(), runtime.ErrNoSpace)
	}
	f.truncate(size)
	if f.linked {
		d.used += grow
	}
	return nil
}

// Sync makes the file durable at once, or fails with ErrIO leaving it dirty.
// It takes no simulated time: the seam gives a blocking call no way to.
func (h *handle) Sync() error {
	if err := h.check("sync"); err != nil {
		return err
	}
	if h.d.fsyncFails() {
		h.d.syncFails++
		if h.d.opts.FsyncFailDropsDirty {
			h.f.dropDirty()
		}
		return fmt.Errorf("simdisk: sync %s: %w", h.name, runtime.ErrIO)
	}
	h.f.syncAll()
	h.d.syncs++
	return nil
}

// SyncAsync snapshots the file's dirty ranges now and, after the drawn
// fsync latency, makes that snapshot durable (later writes stay dirty) and
// calls done on the loop. A crash or power loss in between drops both.
// Completions are in call order across the disk, as from the real
// runtime's single flusher: one that is drawn faster waits for the slower
// ones before it (a stuck fsync holds back every later one).
func (h *handle) SyncAsync(done func(error)) {
	d := h.d
	if d.sched == nil {
		panic("simdisk: SyncAsync on a disk that was never bound to a node")
	}
	if err := h.check("sync"); err != nil {
		d.sched(0, func() { done(err) })
		return
	}
	var latency time.Duration
	if d.opts.FsyncLatency != nil {
		latency = d.opts.FsyncLatency(d.rng)
	}
	fail := d.fsyncFails()
	f, snap, epoch, name := h.f, h.f.snapshot(), d.epoch, h.name
	op := &asyncSync{complete: func() {
		f.complete(snap, !fail, d.opts.FsyncFailDropsDirty)
		if fail {
			d.syncFails++
			done(fmt.Errorf("simdisk: sync %s: %w", name, runtime.ErrIO))
			return
		}
		d.syncs++
		done(nil)
	}}
	d.syncQueue = append(d.syncQueue, op)
	d.sched(latency, func() {
		if d.epoch != epoch {
			return
		}
		op.ready = true
		d.drainSyncs()
	})
}

// asyncSync is a SyncAsync in flight.
type asyncSync struct {
	ready    bool // its latency has elapsed
	complete func()
}

// drainSyncs completes, in call order, every ready sync at the queue's head.
func (d *Disk) drainSyncs() {
	for len(d.syncQueue) > 0 && d.syncQueue[0].ready {
		op := d.syncQueue[0]
		d.syncQueue = d.syncQueue[1:]
		op.complete()
	}
}

func (h *handle) Close() error {
	if err := h.check("close"); err != nil {
		return err
	}
	h.closed = true
	return nil
}
