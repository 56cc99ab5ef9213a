// Package clean obeys the rule: it only gets the world from a runtime.
package clean

import (
	"math/rand/v2"
	"time"
)

type clock interface {
	Now() time.Time
	AfterFunc(d time.Duration, fn func())
}

func tick(c clock, r *rand.Rand) time.Time {
	c.AfterFunc(time.Duration(r.IntN(10))*time.Millisecond, func() {})
	return c.Now().Add(time.Second).Truncate(time.Millisecond)
}
