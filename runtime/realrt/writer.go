package realrt

import (
	goruntime "runtime"
	"sync/atomic"
)

// writer is the runtime's write-behind goroutine: File.WriteAsync queues a
// write here, the goroutine makes the pwrite, and the completion runs on the
// loop. A store that writes its log this way keeps the loop for encoding
// while the kernel copies the previous batch, which on two cores is most of
// the difference between the loop's throughput and the disk's.
//
// Order: one goroutine, one FIFO, so a file's writes complete in call
// order. A SyncAsync called while the file has writes queued goes through
// the same FIFO as a marker and reaches the flusher only after them, so the
// fsync covers them; a blocking Sync waits until they are done.
//
// Its state shares the flusher's mutex: closing a file must see at once
// whether a write or an fsync still needs its descriptor.
//
// Bound: like the flusher, the writer holds what the loop hands it and puts
// no limit of its own on it; the caller bounds its buffers in flight (the
// store's commit log has a fixed number).
type writer struct {
	fl       *flusher
	queue    []writeOp   // guarded by fl.mu
	stopping bool        // guarded by fl.mu
	dropping atomic.Bool // Kill: queued writes are dropped, not made
	wake     chan struct{}
	exited   chan struct{}
	idle     chan struct{} // closed and replaced whenever the queue drains
}

// writeOp is one queued WriteAsync, or, with sync set, a SyncAsync that
// waits for the writes queued before it.
type writeOp struct {
	f    *file
	p    []byte
	off  int64
	done func(int, error)
	sync func(error)
}

func newWriter(fl *flusher) *writer {
	return &writer{fl: fl, wake: make(chan struct{}, 1), exited: make(chan struct{}), idle: make(chan struct{})}
}

// write queues a write of f; called on the loop.
func (w *writer) write(f *file, p []byte, off int64, done func(int, error)) {
	w.fl.mu.Lock()
	f.writesQueued++
	w.queue = append(w.queue, writeOp{f: f, p: p, off: off, done: done})
	w.fl.mu.Unlock()
	if w.poke() {
		// The wake-up made the writer runnable on the loop's P, where Go
		// runs it only once the loop blocks: the write would wait for the
		// rest of the loop's turn. Yield so the writer starts now and the
		// loop moves on to the idle P.
		goruntime.Gosched()
	}
}

// syncAfterWrites hands done to the flusher, behind f's queued writes if
// it has any; called on the loop.
func (w *writer) syncAfterWrites(f *file, done func(error)) {
	w.fl.mu.Lock()
	if f.writesQueued == 0 {
		w.fl.mu.Unlock()
		w.fl.request(f, done)
		return
	}
	f.writesQueued++ // the marker holds the file open like a write
	w.queue = append(w.queue, writeOp{f: f, sync: done})
	w.fl.mu.Unlock()
	w.poke()
}

// waitWrites blocks until f has no queued writes (a blocking Sync).
func (w *writer) waitWrites(f *file) {
	for {
		w.fl.mu.Lock()
		n, idle := f.writesQueued, w.idle
		w.fl.mu.Unlock()
		if n == 0 {
			return
		}
		<-idle
	}
}

// poke wakes the writer; it reports whether the wake slot was empty (the
// writer may be asleep).
func (w *writer) poke() bool {
	select {
	case w.wake <- struct{}{}:
		return true
	default:
		return false
	}
}

// stop makes run return once every queued write is done, or, with drop
// (Kill), once the write in progress is: a crashed process never made the
// writes it had only queued. It waits.
func (w *writer) stop(drop bool) {
	w.fl.mu.Lock()
	w.stopping = true
	w.dropping.Store(drop)
	w.fl.mu.Unlock()
	w.poke()
	<-w.exited
}

// run is the writer goroutine.
func (w *writer) run() {
	defer w.fl.rt.wg.Done()
	defer close(w.exited)
	var batch []writeOp
	for {
		w.fl.mu.Lock()
		for len(w.queue) == 0 {
			if w.stopping {
				w.fl.mu.Unlock()
				return
			}
			w.fl.mu.Unlock()
			<-w.wake
			w.fl.mu.Lock()
		}
		batch, w.queue = w.queue, batch[:0]
		w.fl.mu.Unlock()

		for i := range batch {
			op := &batch[i]
			switch {
			case w.dropping.Load():
				// Killed: the loop is gone, so nobody would see the
				// completion; only the descriptor bookkeeping below runs.
			case op.sync != nil:
				w.fl.request(op.f, op.sync)
			default:
				if w.fl.rt.testHookWrite != nil {
					w.fl.rt.testHookWrite()
				}
				n, err := op.f.writeNow(op.p, op.off)
				done := op.done
				w.fl.rt.post(func() { done(n, err) })
				if i < len(batch)-1 {
					// The post made the loop runnable on this P, where Go
					// runs it only once this goroutine blocks, i.e. after
					// the next write: yield so the loop runs now and this
					// goroutine moves to the idle P.
					goruntime.Gosched()
				}
			}
			w.fl.mu.Lock()
			op.f.writesQueued--
			closeNow := op.f.closeAfter && op.f.writesQueued == 0 && !op.f.queued && !op.f.syncing
			if len(w.queue) == 0 && i == len(batch)-1 {
				close(w.idle)
				w.idle = make(chan struct{})
			}
			w.fl.mu.Unlock()
			if closeNow {
				op.f.closeNow()
			}
			*op = writeOp{}
		}
	}
}
