package check

import (
	"fmt"
	"strings"
	"time"
)

// DefaultDelayLevels is RocketMQ's default messageDelayLevel
// ("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"); level n
// (1-based) waits DefaultDelayLevels[n-1].
var DefaultDelayLevels = []time.Duration{
	time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second,
	time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute,
	6 * time.Minute, 7 * time.Minute, 8 * time.Minute, 9 * time.Minute, 10 * time.Minute,
	20 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour,
}

// ParseDelayLevels parses a broker's messageDelayLevel value: durations with
// the units s, m, h, d separated by spaces.
func ParseDelayLevels(s string) ([]time.Duration, error) {
	var out []time.Duration
	for _, f := range strings.Fields(s) {
		if len(f) < 2 {
			return nil, fmt.Errorf("delay level %q: want a number and a unit (s, m, h, d)", f)
		}
		var unit time.Duration
		switch f[len(f)-1] {
		case 's':
			unit = time.Second
		case 'm':
			unit = time.Minute
		case 'h':
			unit = time.Hour
		case 'd':
			unit = 24 * time.Hour
		default:
			return nil, fmt.Errorf("delay level %q: unknown unit", f)
		}
		var n int64
		if _, err := fmt.Sscanf(f[:len(f)-1], "%d", &n); err != nil || n < 0 {
			return nil, fmt.Errorf("delay level %q: bad number", f)
		}
		out = append(out, time.Duration(n)*unit)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("delay levels %q: empty", s)
	}
	return out, nil
}

// levelDelay is the delay of level (1-based) in levels; levels beyond the
// last are clamped to it, as the broker does. Level 0 has no delay.
func levelDelay(levels []time.Duration, level int) time.Duration {
	if len(levels) == 0 {
		levels = DefaultDelayLevels
	}
	if level <= 0 {
		return 0
	}
	if level > len(levels) {
		level = len(levels)
	}
	return levels[level-1]
}
