// Package fifo is a first-in first-out queue over a slice, for the
// broker's waiting lists (puts waiting for a write, an fsync or a slave;
// records waiting for dispatch): push at the back, look at and pop the
// front, without the slice growing forever under a steady flow.
package fifo

// compactAfter: once this many popped slots lead the slice and they are
// most of it, the live part moves to the front so a queue that never
// empties does not grow forever.
const compactAfter = 1024

// Queue is a FIFO of T. The zero value is an empty queue.
type Queue[T any] struct {
	items []T
	head  int
}

// Len is how many items are queued.
func (q *Queue[T]) Len() int { return len(q.items) - q.head }

// Push adds v at the back.
func (q *Queue[T]) Push(v T) { q.items = append(q.items, v) }

// Front is the oldest item, to read or change in place. The queue must
// not be empty.
func (q *Queue[T]) Front() *T {
	if q.Len() == 0 {
		panic("fifo: Front of an empty queue")
	}
	return &q.items[q.head]
}

// Pop removes and returns the oldest item. The queue must not be empty.
func (q *Queue[T]) Pop() T {
	v := *q.Front()
	var zero T
	q.items[q.head] = zero // let what it holds go
	q.head++
	if q.head == len(q.items) {
		q.items, q.head = q.items[:0], 0
	} else if q.head > compactAfter && q.head*2 > len(q.items) {
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return v
}
