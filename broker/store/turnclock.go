package store

import "time"

// turnClock is the clock reading the puts of one loop turn share: on the
// real runtime a reading costs two clock calls, a tenth of a put's time on
// the loop. The first put of a turn reads the clock and makes sure the
// end-of-turn write is posted (Options.Post runs it after the events
// already queued); that write forgets the reading. Every put waits for
// that write anyway, so the turn costs no event of its own. In the
// simulator time does not move within a turn, so nothing changes there.
// Without Post every put reads the clock.
type turnClock struct {
	valid bool
	nowMs int64         // wall clock, milliseconds (store timestamps)
	mono  time.Duration // monotonic (deadlines)
}

// putClock is the turn's reading, taken now if this is its first put.
func (s *Store) putClock() (nowMs int64, mono time.Duration) {
	c := &s.turnClock
	if c.valid {
		return c.nowMs, c.mono
	}
	nowMs, mono = s.clock.Now().UnixMilli(), s.clock.Monotonic()
	if s.opt.Post != nil {
		c.valid, c.nowMs, c.mono = true, nowMs, mono
		// A write posted before this reading ends it sooner: only a
		// fresher reading for the puts after it.
		s.scheduleWrite()
	}
	return nowMs, mono
}
