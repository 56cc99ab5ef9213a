// Package longpoll holds pull requests that found nothing until a message
// arrives on their queue or their suspend time runs out (RocketMQ's
// PullRequestHoldService). It is event-driven: the broker calls Notify when
// it appends to a queue, and each held request has one timer for its
// deadline; nothing polls.
package longpoll

import (
	"cmp"
	"slices"
	"time"

	"rocketsim/runtime"
)

// HeldMaxDefault bounds the requests held at once. Each consumer holds at
// most one pull per queue it owns, so this covers 65,536 queue assignments;
// past it the broker answers at once instead of holding.
const HeldMaxDefault = 1 << 16

// Wake is called once for a held request: timedOut is false when a message
// arrived on its queue, true when its deadline passed. The callback may hold
// the request again (Hold) with the time it has left.
type Wake func(timedOut bool)

type held struct {
	key    key
	connID uint64
	timer  runtime.Timer
	wake   Wake
	done   bool
}

type key struct {
	topic string
	queue int32
}

// Holds is the set of held pull requests.
type Holds struct {
	clock   runtime.Clock
	max     int
	byQueue map[key][]*held
	n       int
}

// New returns an empty set that uses clock for deadlines and holds at most
// max requests (HeldMaxDefault when max <= 0).
func New(clock runtime.Clock, max int) *Holds {
	if max <= 0 {
		max = HeldMaxDefault
	}
	return &Holds{clock: clock, max: max, byQueue: map[key][]*held{}}
}

// Len is the number of held requests.
func (h *Holds) Len() int { return h.n }

// Hold keeps a request on topic/queue from connection connID for at most
// timeout. It reports false, holding nothing, when the bound is reached.
func (h *Holds) Hold(topic string, queue int32, connID uint64, timeout time.Duration, wake Wake) bool {
	if h.n >= h.max {
		return false
	}
	k := key{topic, queue}
	e := &held{key: k, connID: connID, wake: wake}
	e.timer = h.clock.AfterFunc(timeout, func() {
		if e.done {
			return
		}
		h.remove(e)
		e.done = true
		e.wake(true)
	})
	h.byQueue[k] = append(h.byQueue[k], e)
	h.n++
	return true
}

func (h *Holds) remove(e *held) {
	list := h.byQueue[e.key]
	for i, x := range list {
		if x == e {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(h.byQueue, e.key)
	} else {
		h.byQueue[e.key] = list
	}
	h.n--
}

// Notify wakes every request held on topic/queue, in the order they were
// held. Requests a wake holds again wait for the next Notify.
func (h *Holds) Notify(topic string, queue int32) {
	k := key{topic, queue}
	list := h.byQueue[k]
	if len(list) == 0 {
		return
	}
	delete(h.byQueue, k)
	h.n -= len(list)
	for _, e := range list {
		e.timer.Stop()
		e.done = true
	}
	for _, e := range list {
		e.wake(false)
	}
}

// DropConn forgets the requests of a closed connection without waking them:
// there is nobody left to answer.
func (h *Holds) DropConn(connID uint64) int {
	n := 0
	for _, k := range h.keys() {
		list := h.byQueue[k]
		kept := list[:0:0]
		for _, e := range list {
			if e.connID == connID {
				e.timer.Stop()
				e.done = true
				n++
				continue
			}
			kept = append(kept, e)
		}
		if len(kept) == 0 {
			delete(h.byQueue, k)
		} else {
			h.byQueue[k] = kept
		}
	}
	h.n -= n
	return n
}

// Close drops every held request without waking it (the broker is stopping;
// its connections close and clients retry elsewhere).
func (h *Holds) Close() {
	for _, k := range h.keys() {
		for _, e := range h.byQueue[k] {
			e.timer.Stop()
			e.done = true
		}
	}
	h.byQueue = map[key][]*held{}
	h.n = 0
}

// keys returns the held queues in order, so that timers are cancelled in the
// same order on every run (the simulator's trace sees cancellations).
func (h *Holds) keys() []key {
	ks := make([]key, 0, len(h.byQueue))
	for k := range h.byQueue {
		ks = append(ks, k)
	}
	slices.SortFunc(ks, func(a, b key) int {
		return cmp.Or(cmp.Compare(a.topic, b.topic), cmp.Compare(a.queue, b.queue))
	})
	return ks
}
