package realrt

import (
	"sync"
	"sync/atomic"
	"time"
)

// flusher is the runtime's group-commit goroutine. SyncAsync requests queue
// per file; each round the flusher takes every file with requests, fsyncs
// each once, and posts one event per file that runs all of that file's
// callbacks. A request that arrives while its file is being fsynced waits
// for the next round, because the running fsync may have started before the
// request's write.
//
// Bound: the flusher holds one callback per outstanding SyncAsync and puts
// no limit of its own on them. Every caller is already bounded upstream (a
// broker acknowledges at most the requests its connections' queues admit),
// and refusing a sync here would only turn a slow disk into lost acks.
type flusher struct {
	rt *Runtime

	mu       sync.Mutex
	pending  []*file // files with waiting callbacks, in request order
	stopping bool
	wake     chan struct{} // one slot: "pending changed or stopping"

	fsyncs     atomic.Uint64
	fsyncNanos atomic.Int64 // time inside the fsync calls
}

func newFlusher(rt *Runtime) *flusher {
	return &flusher{rt: rt, wake: make(chan struct{}, 1)}
}

// request queues done for f's next fsync; called on the loop.
func (fl *flusher) request(f *file, done func(error)) {
	fl.mu.Lock()
	f.waiting = append(f.waiting, done)
	if !f.queued {
		f.queued = true
		fl.pending = append(fl.pending, f)
	}
	fl.mu.Unlock()
	fl.poke()
}

// deferClose reports whether the flusher or the writer will close f itself
// because an fsync or a write of it is queued or running; called on the
// loop by File.Close.
func (fl *flusher) deferClose(f *file) bool {
	fl.mu.Lock()
	defer fl.mu.Unlock()
	if f.queued || f.syncing || f.writesQueued > 0 {
		f.closeAfter = true
		return true
	}
	return false
}

// stop makes run return once every queued request has been fsynced.
func (fl *flusher) stop() {
	fl.mu.Lock()
	fl.stopping = true
	fl.mu.Unlock()
	fl.poke()
}

func (fl *flusher) poke() {
	select {
	case fl.wake <- struct{}{}:
	default:
	}
}

// run is the flusher goroutine.
func (fl *flusher) run() {
	defer fl.rt.wg.Done()
	var round []*file
	var callbacks [][]func(error)
	for {
		fl.mu.Lock()
		for len(fl.pending) == 0 {
			if fl.stopping {
				fl.mu.Unlock()
				return
			}
			fl.mu.Unlock()
			<-fl.wake
			fl.mu.Lock()
		}
		round, fl.pending = fl.pending, round[:0]
		callbacks = callbacks[:0]
		for _, f := range round {
			callbacks = append(callbacks, f.waiting)
			f.waiting = nil
			f.queued = false
			f.syncing = true
		}
		fl.mu.Unlock()

		for i, f := range round {
			if fl.rt.testHookFsync != nil {
				fl.rt.testHookFsync()
			}
			began := time.Now()
			err := fl.rt.fsync(f.f, f.name)
			fl.fsyncNanos.Add(int64(time.Since(began)))
			if fl.rt.testHookFsynced != nil {
				fl.rt.testHookFsynced()
			}
			fl.fsyncs.Add(1)
			fl.mu.Lock()
			f.syncing = false
			closeNow := f.closeAfter && !f.queued && f.writesQueued == 0
			fl.mu.Unlock()
			if closeNow {
				f.closeNow()
			}
			dones := callbacks[i]
			fl.rt.post(func() {
				for _, done := range dones {
					done(err)
				}
			})
			callbacks[i] = nil
		}
		clear(round)
	}
}
