// Package simclock models one simulated machine's clock: the wall clock a
// node reads (offset, drift, jumps) and the monotonic clock its timers run on.
//
// A Clock is pure arithmetic over the simulator's true time; it holds no
// timers and schedules nothing. The simulator asks it two questions: what do
// the node's clocks read at true time t, and at what true time will the
// node's monotonic clock reach m. Drift changes are continuous: the readings
// never jump when the rate changes, only their slope does.
package simclock

import (
	"fmt"
	"math"
	"time"
)

// Epoch is the wall time every simulated machine reads at true time zero
// (before offsets). It is fixed so that runs never depend on the real date.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// RateMin and RateMax bound the drift rate. Real oscillators are within a few
// hundred parts per million; the bounds are generous so faults can exaggerate,
// and they keep the float arithmetic far from zero and overflow.
const (
	RateMin = 0.5
	RateMax = 2.0
)

// Never is a true time no simulation reaches; TrueAt returns it for
// deadlines too far away to represent, such as AfterFunc(math.MaxInt64).
const Never = time.Duration(1 << 62)

// Clock is one machine's clock. The zero value is not usable; call New.
type Clock struct {
	// now reads the simulator's true time.
	now  func() time.Duration
	rate float64
	// trueRef and elapsedRef anchor the current rate segment: at true time
	// trueRef the machine's oscillator had counted elapsedRef.
	trueRef    time.Duration
	elapsedRef time.Duration
	// offset is the wall clock's distance from Epoch+elapsed: the configured
	// offset plus every jump.
	offset time.Duration
	// procStart is the oscillator count when the current process started:
	// the monotonic clock reads zero there.
	procStart time.Duration
	// onRate runs after the rate changed, so the simulator can move pending
	// timers to their new true deadlines.
	onRate func()
}

// New returns a clock running at rate 1 with no offset, reading true time
// from now (the simulator's clock).
func New(now func() time.Duration) *Clock { return &Clock{now: now, rate: 1} }

// Now is the machine's wall clock at the current true time.
func (c *Clock) Now() time.Time { return c.WallAt(c.now()) }

// Monotonic is the current process's monotonic clock at the current true
// time.
func (c *Clock) Monotonic() time.Duration { return c.MonotonicAt(c.now()) }

// OnRateChange registers fn to run after every SetDrift. The simulator uses
// it to recompute the true deadlines of the node's pending timers.
func (c *Clock) OnRateChange(fn func()) { c.onRate = fn }

// elapsed is the oscillator count at true time t.
func (c *Clock) elapsed(t time.Duration) time.Duration {
	if c.rate == 1 {
		return c.elapsedRef + (t - c.trueRef)
	}
	// The explicit float64 conversion forbids fused multiply-add, so the
	// result is the same on every architecture.
	scaled := float64(float64(t-c.trueRef) * c.rate)
	return c.elapsedRef + time.Duration(math.Floor(scaled))
}

// WallAt is the machine's wall clock at true time t. It carries no
// monotonic reading.
func (c *Clock) WallAt(t time.Duration) time.Time {
	return Epoch.Add(c.elapsed(t) + c.offset)
}

// MonotonicAt is the current process's monotonic clock at true time t.
func (c *Clock) MonotonicAt(t time.Duration) time.Duration {
	return c.elapsed(t) - c.procStart
}

// ProcessStart marks the current true time as the start of a new process:
// its monotonic clock reads zero there. The wall clock is unaffected.
func (c *Clock) ProcessStart() { c.procStart = c.elapsed(c.now()) }

// TrueAt is the earliest true time, not before the current one, at which
// the process's monotonic clock reads at least m.
func (c *Clock) TrueAt(m time.Duration) time.Duration {
	now := c.now()
	target := m + c.procStart // oscillator count to reach
	if c.elapsed(now) >= target {
		return now
	}
	if m >= Never || target < m { // far away, or overflowed
		return Never
	}
	var t time.Duration
	if c.rate == 1 {
		t = min(c.trueRef+(target-c.elapsedRef), Never)
	} else {
		q := float64(float64(target-c.elapsedRef) / c.rate)
		if q >= float64(Never-c.trueRef) {
			return Never
		}
		t = c.trueRef + time.Duration(math.Ceil(q))
	}
	t = max(t, now)
	// elapsed truncates to whole nanoseconds, so the division may be a
	// nanosecond off either way; settle on the earliest instant (at most a
	// couple of steps).
	for c.elapsed(t) < target {
		t++
	}
	for t > now && c.elapsed(t-1) >= target {
		t--
	}
	return t
}

// Rate is the current drift rate (1 = perfect).
func (c *Clock) Rate() float64 { return c.rate }

// SetDrift changes the oscillator rate from the current true time on: a
// rate of 1.0001 runs 100 ppm fast. Both clocks stay continuous. It panics
// outside [RateMin, RateMax]: a scenario asking for that is a bug.
func (c *Clock) SetDrift(rate float64) {
	now := c.now()
	if !(rate >= RateMin && rate <= RateMax) {
		panic(fmt.Sprintf("simclock: drift rate %v outside [%v, %v]", rate, RateMin, RateMax))
	}
	c.elapsedRef = c.elapsed(now)
	c.trueRef = now
	c.rate = rate
	if c.onRate != nil {
		c.onRate()
	}
}

// Offset is the wall clock's total offset from Epoch+elapsed (configured
// offset plus jumps).
func (c *Clock) Offset() time.Duration { return c.offset }

// SetOffset sets the wall clock's offset, discarding earlier jumps.
func (c *Clock) SetOffset(d time.Duration) { c.offset = d }

// Jump moves the wall clock by d (negative jumps backwards). The monotonic
// clock and therefore every timer are unaffected, as with an NTP step.
func (c *Clock) Jump(d time.Duration) { c.offset += d }
