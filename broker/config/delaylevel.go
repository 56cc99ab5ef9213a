package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxDelayLevels bounds messageDelayLevel. Each level is a queue of
// SCHEDULE_TOPIC_XXXX with its own timer; RocketMQ ships 18 and a level is
// carried in a message property, so a few hundred is already absurd.
const MaxDelayLevels = 256

// DelayLevels is messageStoreConfig.messageDelayLevel: the delays a message
// can ask for, level 1 first ("1s 5s 10s 30s 1m ... 2h").
type DelayLevels []time.Duration

// delayUnits are the suffixes ScheduleMessageService accepts.
var delayUnits = map[byte]time.Duration{
	's': time.Second,
	'm': time.Minute,
	'h': time.Hour,
	'd': 24 * time.Hour,
}

// ParseDelayLevels reads blank-separated tokens, each a non-negative integer
// followed by one of s, m, h, d. Errors name the bad token and its position.
// RocketMQ splits on single spaces and fails on doubled ones; we accept any
// run of blanks, since that cannot change the meaning.
func ParseDelayLevels(s string) (DelayLevels, error) {
	tokens := strings.Fields(s)
	if len(tokens) == 0 {
		return nil, fmt.Errorf("no delay levels")
	}
	if len(tokens) > MaxDelayLevels {
		return nil, fmt.Errorf("%d delay levels, at most %d allowed", len(tokens), MaxDelayLevels)
	}
	levels := make(DelayLevels, len(tokens))
	for i, tok := range tokens {
		unit, ok := delayUnits[tok[len(tok)-1]]
		if !ok {
			return nil, fmt.Errorf("level %d %q: want a number followed by s, m, h or d", i+1, tok)
		}
		n, err := strconv.ParseInt(tok[:len(tok)-1], 10, 64)
		if err != nil || n < 0 {
			return nil, fmt.Errorf("level %d %q: want a non-negative integer before the unit", i+1, tok)
		}
		if n > int64(1<<63-1)/int64(unit) {
			return nil, fmt.Errorf("level %d %q: too long", i+1, tok)
		}
		levels[i] = time.Duration(n) * unit
	}
	return levels, nil
}

// Level returns the delay of 1-based level n. Out-of-range levels report
// false; RocketMQ clamps a too-large level to the last one, which is the
// caller's business (the send path), not this table's.
func (d DelayLevels) Level(n int) (time.Duration, bool) {
	if n < 1 || n > len(d) {
		return 0, false
	}
	return d[n-1], true
}

// String writes the levels in RocketMQ's notation, using the largest unit
// that divides each delay; a delay below whole seconds (built in code, not
// parsed) falls back to Go's notation.
func (d DelayLevels) String() string {
	parts := make([]string, len(d))
	for i, v := range d {
		var ok bool
		if parts[i], ok = formatDelay(v); !ok {
			parts[i] = v.String()
		}
	}
	return strings.Join(parts, " ")
}

func formatDelay(v time.Duration) (string, bool) {
	if v < 0 {
		return "", false
	}
	for _, u := range []struct {
		suffix string
		unit   time.Duration
	}{{"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second}} {
		if v%u.unit == 0 && (v != 0 || u.suffix == "s") {
			return strconv.FormatInt(int64(v/u.unit), 10) + u.suffix, true
		}
	}
	return "", false
}

// MarshalText implements encoding.TextMarshaler for properties.Dump. It
// fails for delays RocketMQ's notation cannot write.
func (d DelayLevels) MarshalText() ([]byte, error) {
	for i, v := range d {
		if _, ok := formatDelay(v); !ok {
			return nil, fmt.Errorf("delay level %d (%v) is not a whole number of seconds", i+1, v)
		}
	}
	return []byte(d.String()), nil
}

// UnmarshalText implements encoding.TextUnmarshaler for properties.Bind.
func (d *DelayLevels) UnmarshalText(b []byte) error {
	levels, err := ParseDelayLevels(string(b))
	if err != nil {
		return err
	}
	*d = levels
	return nil
}
