package realrt

import "sync"

// queue is the loop's event queue: many producers (timers, reader, accept,
// dial and flusher goroutines, Post from any goroutine), one consumer (the
// loop). Producers never block on the loop: they append under a mutex and
// poke a one-slot wake channel.
//
// The queue itself is unbounded on purpose: a producer that blocked here
// could deadlock against the loop (the loop sends on a connection whose
// writer is waiting to post). The bounds live at the sources instead: each
// connection stops reading once RecvQueueMax bytes of its frames wait
// undelivered, timers are one entry per armed alarm, and the flusher posts
// one entry per fsync.
type queue struct {
	mu     sync.Mutex
	items  []func()
	spare  []func() // the batch slice last handed out, reused to avoid garbage
	closed bool
	wake   chan struct{}
}

func newQueue() *queue {
	return &queue{wake: make(chan struct{}, 1)}
}

// push appends fn; it reports false, dropping fn, once the queue is closed.
func (q *queue) push(fn func()) bool {
	q.mu.Lock()
	if q.closed {
		q.mu.Unlock()
		return false
	}
	q.items = append(q.items, fn)
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// take waits until events are queued and returns all of them in FIFO order;
// it returns nil once the queue is closed. The caller hands the slice back
// with recycle when done with it.
func (q *queue) take() []func() {
	for {
		q.mu.Lock()
		if q.closed {
			q.mu.Unlock()
			return nil
		}
		if len(q.items) > 0 {
			batch := q.items
			q.items = q.spare[:0]
			q.spare = nil
			q.mu.Unlock()
			return batch
		}
		q.mu.Unlock()
		<-q.wake
	}
}

// recycle returns a batch slice for reuse, clearing it so closures can be
// collected.
func (q *queue) recycle(batch []func()) {
	clear(batch)
	q.mu.Lock()
	if q.spare == nil {
		q.spare = batch[:0]
	}
	q.mu.Unlock()
}

// close drops everything queued, refuses later pushes and wakes a waiting
// take.
func (q *queue) close() {
	q.mu.Lock()
	q.closed = true
	q.items = nil
	q.mu.Unlock()
	select {
	case q.wake <- struct{}{}:
	default:
	}
}
