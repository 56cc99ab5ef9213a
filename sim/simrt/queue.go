package simrt

import "time"

// eventKind says what an event is, for the trace.
type eventKind uint8

const (
	kindWorld eventKind = iota // World.At
	kindTimer                  // AfterFunc
	kindPost                   // Runtime.Post
	kindDisk                   // a disk completion (SyncAsync)
	kindNet                    // a network delivery
)

var kindNames = [...]string{"world", "timer", "post", "disk", "net"}

// event is one entry of the world's queue. Events are pooled: the hot path
// (a frame delivery) allocates nothing.
type event struct {
	at time.Duration
	// tie orders events due at the same time: 0 for world events (faults
	// apply first), else a hash of (seed, node, at). Two nodes' events at
	// one instant run in an order the seed picks, while one node's events
	// at one instant keep the order they were scheduled in (seq).
	tie  uint64
	seq  uint64
	node int32 // index into World.nodes; -1 for a world event
	// inc is the node incarnation the event belongs to; a crash drops them.
	// Zero marks host events (network deliveries), which outlive processes:
	// the network itself checks who is still alive.
	inc  uint32
	kind eventKind
	idx  int32 // position in the heap, -1 when not in it
	fn   func()
	tm   *timer
}

func (e *event) before(o *event) bool {
	if e.at != o.at {
		return e.at < o.at
	}
	if e.tie != o.tie {
		return e.tie < o.tie
	}
	return e.seq < o.seq
}

// queue is a binary min-heap on (at, seq), hand-rolled so that no event is
// boxed in an interface.
type queue struct {
	h []*event
}

func (q *queue) len() int { return len(q.h) }

func (q *queue) peek() *event {
	if len(q.h) == 0 {
		return nil
	}
	return q.h[0]
}

func (q *queue) push(e *event) {
	e.idx = int32(len(q.h))
	q.h = append(q.h, e)
	q.up(len(q.h) - 1)
}

func (q *queue) pop() *event {
	n := len(q.h) - 1
	e := q.h[0]
	q.swap(0, n)
	q.h[n] = nil
	q.h = q.h[:n]
	if n > 0 {
		q.down(0)
	}
	e.idx = -1
	return e
}

// remove takes e out of the heap wherever it is.
func (q *queue) remove(e *event) {
	i := int(e.idx)
	n := len(q.h) - 1
	if i != n {
		q.swap(i, n)
	}
	q.h[n] = nil
	q.h = q.h[:n]
	if i != n {
		if !q.down(i) {
			q.up(i)
		}
	}
	e.idx = -1
}

// filter keeps the events keep accepts and restores the heap; O(n), for
// rare whole-node operations (crash, drift change).
func (q *queue) filter(keep func(*event) bool) {
	kept := q.h[:0]
	for _, e := range q.h {
		if keep(e) {
			kept = append(kept, e)
		} else {
			e.idx = -1
		}
	}
	clear(q.h[len(kept):])
	q.h = kept
	q.init()
}

// init restores the heap property after keys changed in place.
func (q *queue) init() {
	for i := range q.h {
		q.h[i].idx = int32(i)
	}
	for i := len(q.h)/2 - 1; i >= 0; i-- {
		q.down(i)
	}
}

func (q *queue) swap(i, j int) {
	q.h[i], q.h[j] = q.h[j], q.h[i]
	q.h[i].idx = int32(i)
	q.h[j].idx = int32(j)
}

func (q *queue) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !q.h[j].before(q.h[i]) {
			break
		}
		q.swap(i, j)
		j = i
	}
}

// down sifts element i0 down and reports whether it moved.
func (q *queue) down(i0 int) bool {
	i := i0
	n := len(q.h)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && q.h[r].before(q.h[l]) {
			j = r
		}
		if !q.h[j].before(q.h[i]) {
			break
		}
		q.swap(i, j)
		i = j
	}
	return i > i0
}
