// Package fakeclock is a manual runtime.Clock for the store's tests: time
// moves only when the test says so, and timers fire in (time, sequence)
// order on the caller's goroutine, like a node's loop.
package fakeclock

import (
	"container/heap"
	"time"

	"rocketsim/runtime"
)

// Clock is a manual clock. It is not safe for concurrent use; tests drive it
// from one goroutine, as the simulator drives a node.
type Clock struct {
	wall time.Time
	mono time.Duration
	seq  uint64
	q    timers
}

// New starts a clock at wall time start.
func New(start time.Time) *Clock { return &Clock{wall: start.Round(0)} }

func (c *Clock) Now() time.Time           { return c.wall.Add(c.mono) }
func (c *Clock) Monotonic() time.Duration { return c.mono }

// AfterFunc schedules fn at mono+d.
func (c *Clock) AfterFunc(d time.Duration, fn func()) runtime.Timer {
	if d < 0 {
		d = 0
	}
	c.seq++
	t := &timer{at: c.mono + d, seq: c.seq, fn: fn, c: c, index: -1}
	heap.Push(&c.q, t)
	return t
}

// Schedule adapts the clock to simdisk's Scheduler shape.
func (c *Clock) Schedule(d time.Duration, fn func()) { c.AfterFunc(d, fn) }

// JumpWall moves the wall clock (not the monotonic one), as NTP would.
func (c *Clock) JumpWall(d time.Duration) { c.wall = c.wall.Add(d) }

// Advance moves time forward by d, firing every timer due on the way.
func (c *Clock) Advance(d time.Duration) {
	end := c.mono + d
	for c.q.Len() > 0 && c.q[0].at <= end {
		t := heap.Pop(&c.q).(*timer)
		c.mono = t.at
		t.fn()
	}
	c.mono = end
}

// RunPending fires everything due now (zero-delay completions).
func (c *Clock) RunPending() { c.Advance(0) }

// Pending counts scheduled timers.
func (c *Clock) Pending() int { return c.q.Len() }

// Reset drops every timer, as a crash does to a process's timers.
func (c *Clock) Reset() { c.q = nil }

type timer struct {
	at    time.Duration
	seq   uint64
	fn    func()
	c     *Clock
	index int
}

func (t *timer) Stop() bool {
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.c.q, t.index)
	return true
}

type timers []*timer

func (q timers) Len() int { return len(q) }
func (q timers) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q timers) Swap(i, j int) {
	q[i], q[j] = q[j], q[i]
	q[i].index = i
	q[j].index = j
}
func (q *timers) Push(x any) {
	t := x.(*timer)
	t.index = len(*q)
	*q = append(*q, t)
}
func (q *timers) Pop() any {
	old := *q
	t := old[len(old)-1]
	old[len(old)-1] = nil
	t.index = -1
	*q = old[:len(old)-1]
	return t
}
