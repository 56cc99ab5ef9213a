package blocking

import (
	"sync"

	"rocketsim/client/producer"
)

// asyncSend is one SendAsync call not yet answered.
type asyncSend struct {
	cb         func(*producer.SendResult, error)
	prev, next *asyncSend
	linked     bool
}

// asyncList is the unanswered SendAsync calls in send order: a doubly
// linked list, so a call links and unlinks itself in constant time.
type asyncList struct{ head, tail *asyncSend }

func (l *asyncList) push(a *asyncSend) {
	a.prev, a.next, a.linked = l.tail, nil, true
	if l.tail != nil {
		l.tail.next = a
	} else {
		l.head = a
	}
	l.tail = a
}

// remove unlinks a and reports whether it was linked: of the core's
// answer and the producer's end, only the first gets true.
func (l *asyncList) remove(a *asyncSend) bool {
	if !a.linked {
		return false
	}
	if a.prev != nil {
		a.prev.next = a.next
	} else {
		l.head = a.next
	}
	if a.next != nil {
		a.next.prev = a.prev
	} else {
		l.tail = a.prev
	}
	a.prev, a.next, a.linked = nil, nil, false
	return true
}

// takeAll unlinks every call and returns them in send order.
func (l *asyncList) takeAll() []*asyncSend {
	var out []*asyncSend
	for a := l.head; a != nil; {
		next := a.next
		a.prev, a.next, a.linked = nil, nil, false
		out = append(out, a)
		a = next
	}
	l.head, l.tail = nil, nil
	return out
}

// callbackRunner runs callbacks one at a time, in the order given, on a
// goroutine of its own: started when a callback is due and none runs,
// ended when none is left. Under load one goroutine runs them all, where
// a goroutine per callback was a tenth of an async publisher's CPU. Its
// queue holds at most one entry per SendAsync call, so the sends a
// producer has in flight (the endpoint's remoting.PendingMaxDefault)
// bound it.
type callbackRunner struct {
	mu      sync.Mutex
	due     []callbackCall
	spare   []callbackCall
	running bool
}

type callbackCall struct {
	cb  func(*producer.SendResult, error)
	res *producer.SendResult
	err error
}

// run queues cb(res, err); it never blocks on a callback.
func (r *callbackRunner) run(cb func(*producer.SendResult, error), res *producer.SendResult, err error) {
	r.mu.Lock()
	r.due = append(r.due, callbackCall{cb, res, err})
	start := !r.running
	r.running = true
	r.mu.Unlock()
	if start {
		go r.loop()
	}
}

func (r *callbackRunner) loop() {
	for {
		r.mu.Lock()
		batch := r.due
		if len(batch) == 0 {
			r.running = false
			r.mu.Unlock()
			return
		}
		r.due, r.spare = r.spare[:0], nil
		r.mu.Unlock()
		for _, c := range batch {
			c.cb(c.res, c.err)
		}
		clear(batch) // drop the results for the GC
		r.mu.Lock()
		if r.spare == nil {
			r.spare = batch[:0]
		}
		r.mu.Unlock()
	}
}
