package realrt

import (
	"container/heap"
	"time"

	"rocketsim/runtime"
)

// clockModel is the node's clock as the clock failpoints (ApplyFault) left
// it. The monotonic clock runs at rate since the last change; the wall clock
// is the machine's plus offset plus whatever the drift has accumulated. The
// model is immutable; a change swaps in a new one.
type clockModel struct {
	rate   float64
	realAt time.Duration // real time since start at the last rate change
	virtAt time.Duration // the node's monotonic reading at that moment
	offset time.Duration // wall offset set by clock-offset and clock-jump
}

// noClockFaults is the model until a clock failpoint is applied.
var noClockFaults = &clockModel{rate: 1}

// mono maps real time since start to the node's monotonic reading.
func (m *clockModel) mono(real time.Duration) time.Duration {
	if m.rate == 1 {
		return m.virtAt + (real - m.realAt)
	}
	return m.virtAt + time.Duration(float64(real-m.realAt)*m.rate)
}

// Now is the machine's wall clock, moved by any clock failpoints, without
// its monotonic reading so nothing downstream can mix the two clocks.
func (r *Runtime) Now() time.Time {
	t := time.Now()
	m := r.clock.Load()
	if m == noClockFaults {
		return t.Round(0)
	}
	real := t.Sub(r.start)
	return t.Round(0).Add(m.offset + m.mono(real) - real)
}

// Monotonic is the time since New on the machine's monotonic clock, at the
// rate a clock-drift failpoint set.
func (r *Runtime) Monotonic() time.Duration {
	return r.clock.Load().mono(time.Since(r.start))
}

// AfterFunc runs fn on the loop once d has passed on the monotonic clock.
// Timers fire in deadline order, ties in the order they were set, which
// keeps the real runtime as close to the simulator's (time, sequence) order
// as the OS allows. Loop only.
func (r *Runtime) AfterFunc(d time.Duration, fn func()) runtime.Timer {
	if fn == nil {
		panic("realrt: AfterFunc with nil fn")
	}
	if d < 0 {
		d = 0
	}
	t := &timer{rt: r, at: r.Monotonic() + d, seq: r.timerSeq, fn: fn, index: -1}
	r.timerSeq++
	if r.exiting {
		return t // the node is gone; the timer never fires
	}
	heap.Push(&r.timers, t)
	r.armAlarm()
	return t
}

// timer is one pending AfterFunc, an entry of the loop's timer heap.
type timer struct {
	rt    *Runtime
	at    time.Duration // deadline on the monotonic clock
	seq   uint64        // creation order, breaks ties
	fn    func()
	index int // position in the heap; -1 once fired or stopped
}

// Stop removes the timer. When it reports true, fn will not run. Loop only.
func (t *timer) Stop() bool {
	if t.index < 0 {
		return false
	}
	heap.Remove(&t.rt.timers, t.index)
	// The alarm may now fire early for nothing; fireTimers re-arms it.
	return true
}

// armAlarm makes sure the single OS timer fires no later than the earliest
// deadline in the heap.
func (r *Runtime) armAlarm() {
	if len(r.timers) == 0 {
		return
	}
	next := r.timers[0].at
	if r.alarmSet && r.alarmAt <= next {
		return
	}
	// Deadlines are on the node's clock; the alarm waits in real time.
	d := time.Duration(float64(next-r.Monotonic()) / r.clock.Load().rate)
	if r.alarm == nil {
		r.alarm = time.AfterFunc(d, func() { r.post(r.fireTimers) })
	} else {
		r.alarm.Reset(d)
	}
	r.alarmAt, r.alarmSet = next, true
}

// fireTimers runs on the loop when the alarm goes off: it runs every timer
// that was due when it started, in order. Timers set by those callbacks wait
// for the next alarm even when already due, so a timer that re-arms itself
// with a zero delay cannot starve the other events.
func (r *Runtime) fireTimers() {
	r.alarmSet = false
	now, seqLimit := r.Monotonic(), r.timerSeq
	for len(r.timers) > 0 && !r.exiting {
		t := r.timers[0]
		if t.at > now || t.seq >= seqLimit {
			break
		}
		heap.Pop(&r.timers)
		t.fn()
	}
	if !r.exiting {
		r.armAlarm()
	}
}

// timerHeap orders timers by (deadline, sequence).
type timerHeap []*timer

func (h timerHeap) Len() int { return len(h) }

func (h timerHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}

func (h timerHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index = i
	h[j].index = j
}

func (h *timerHeap) Push(x any) {
	t := x.(*timer)
	t.index = len(*h)
	*h = append(*h, t)
}

func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	t.index = -1
	return t
}
