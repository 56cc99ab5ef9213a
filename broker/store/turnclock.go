package store

import "time"

// turnClock is the clock reading the puts of one loop turn share: on the
// real runtime a reading costs two clock calls, a tenth of a put's time on
// the loop. The first put of a turn reads the clock and posts the end of
// the turn (Options.Post runs it after the events already queued); in the
// simulator time does not move within a turn, so nothing changes there.
// Without Post every put reads the clock.
type turnClock struct {
	valid bool
	nowMs int64         // wall clock, milliseconds (store timestamps)
	mono  time.Duration // monotonic (deadlines)
	end   func()        // made once: a method value allocates
}

// putClock is the turn's reading, taken now if this is its first put.
func (s *Store) putClock() (nowMs int64, mono time.Duration) {
	c := &s.turnClock
	if c.valid {
		return c.nowMs, c.mono
	}
	nowMs, mono = s.clock.Now().UnixMilli(), s.clock.Monotonic()
	if s.opt.Post != nil {
		if c.end == nil {
			c.end = func() { c.valid = false }
		}
		c.valid, c.nowMs, c.mono = true, nowMs, mono
		s.opt.Post(c.end)
	}
	return nowMs, mono
}
