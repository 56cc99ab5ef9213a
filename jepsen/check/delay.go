package check

import (
	"fmt"
	"time"

	"rocketsim/jepsen/history"
)

// DelayOptions configures the delay-level checker.
type DelayOptions struct {
	// Levels is the broker's messageDelayLevel (nil: RocketMQ's default).
	Levels []time.Duration `yaml:"levels" json:"levels,omitempty"`
	// ClockError bounds how far the producer's and consumer's clocks may
	// disagree; an early delivery within it is forgiven.
	ClockError time.Duration `yaml:"clock_error" json:"clock_error,omitempty"`
	// MaxEarly bounds the early deliveries (0: none; negative: report only).
	MaxEarly int64 `yaml:"max_early" json:"max_early,omitempty"`
}

// Delay checks that a delayed message is never delivered before its level's
// delay has passed since its send was invoked (the earliest moment the
// broker could have stored it), and measures lateness: first delivery in
// each group minus (send acknowledged + delay). Both ends of lateness are
// bounds on the broker's true lateness, which lies between the two. Only
// first attempts (reconsume 0) count: retries have their own delays.
func Delay(ops []history.Op, opt DelayOptions) Result {
	b := newBuilder("delay")
	b.ensure(countNames["delay"]...)
	ms, err := indexMessages(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	var late []float64
	for _, id := range ms.ids {
		m := ms.byID[id]
		send := m.sendOp()
		if send == nil || send.DelayLevel == 0 || m.outcome() == history.Fail {
			continue
		}
		b.add("delayed_sent", 1)
		delay := levelDelay(opt.Levels, send.DelayLevel)
		// The earliest invoke among sends of this message (a resend is
		// another chance to be stored).
		start, ack := int64(history.Never), int64(history.Never)
		var startIdx int64
		for _, s := range m.sends {
			if s.Type() == history.Fail {
				continue
			}
			if s.Start() < start {
				start, startIdx = s.Start(), s.Index()
			}
			if s.Type() == history.OK && s.End() < ack {
				ack = s.End()
			}
		}
		first := map[string]*history.Op{}
		for _, r := range m.receives {
			if r.Reconsume > 0 {
				continue
			}
			if r.Time < start+int64(delay)-int64(opt.ClockError) {
				b.anomaly("early_delivery", id, fmt.Sprintf("%s (delay level %d, %v) delivered to group %s %v after its send was invoked",
					id, send.DelayLevel, delay, r.Group, time.Duration(r.Time-start)), startIdx, r.Index)
			}
			if first[r.Group] == nil {
				first[r.Group] = r
			}
		}
		if len(first) > 0 {
			b.add("delayed_delivered", 1)
		}
		if ack == history.Never {
			continue
		}
		for _, g := range sortedKeys(first) {
			late = append(late, float64(first[g].Time-ack-int64(delay))/float64(time.Millisecond))
		}
	}
	addPercentiles(b, "lateness_ms", late)
	b.limit("early_delivery", opt.MaxEarly)
	return b.result()
}
