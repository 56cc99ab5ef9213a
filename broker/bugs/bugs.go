// Package bugs holds the broker's test-only fault switches: deliberate,
// named defects that make a broker break one of RocketMQ's guarantees, so
// that a test can show each jepsen checker catching the broker that breaks
// the guarantee it judges.
//
// The switches reach a broker only through code (server.NewWithBugs); no
// broker.conf key can set them, and a broker built by server.New has none.
// Every decision a switch makes is drawn from the node's own seeded stream
// (runtime.Runtime.Rand) and only while the switch is on, so a run without
// switches replays exactly as before and a run with them replays from its
// seed.
package bugs

import "math/rand/v2"

// Switches selects the defects a broker commits. Each field names the
// checker that must fail when it is on.
type Switches struct {
	// DropAckedMessage answers a send SEND_OK, with the offset the message
	// would have taken, without storing it. The delivery checker reports it
	// lost for every group, and the linearizability checker sees a read at
	// that offset return another message.
	DropAckedMessage bool
	// SwapOffsets swaps the queue offsets of the first two messages of a
	// pull response, so a consumer reads each at the other's offset: the
	// linearizability checker sees reads that return what was not written
	// there.
	SwapOffsets bool
	// DeliverDelayEarly stores a delayed message (DELAY property) in its
	// topic at once instead of in SCHEDULE_TOPIC_XXXX: the delay checker
	// counts it early.
	DeliverDelayEarly bool
	// DeliverRolledBack makes an END_TRANSACTION rollback commit the half
	// message: the transactions checker sees a rolled-back message
	// delivered (and the delivery checker an unexpected one).
	DeliverRolledBack bool
	// SkipRetry sends a message a consumer sent back straight to the
	// group's dead-letter queue, skipping the retries it still had: the
	// retry checker sees fewer than 1+maxReconsumeTimes deliveries before
	// the DLQ.
	SkipRetry bool
	// DuplicateDelivery repeats the first message of a pull response at
	// its end: the delivery checker counts duplicates, which fail a run that
	// bounds max_dup_ratio.
	DuplicateDelivery bool

	// Prob is the chance that an enabled switch strikes at each chance it
	// gets (0 means 1: every chance).
	Prob float64
	// Limit bounds how often each enabled switch strikes per broker
	// incarnation (0 means 1: one-shot), so a test breaks the broker in a
	// small, countable way.
	Limit int
}

// Bug names one switch.
type Bug int

// The bugs, one per switch.
const (
	DropAcked Bug = iota
	SwapOffsets
	DelayEarly
	RolledBackDelivered
	SkipRetry
	Duplicate
	bugCount
)

var names = [bugCount]string{"drop-acked", "swap-offsets", "delay-early", "rolled-back-delivered", "skip-retry", "duplicate"}

// String is the bug's name in logs.
func (b Bug) String() string {
	if b < 0 || b >= bugCount {
		return "unknown"
	}
	return names[b]
}

// On reports whether the switch for bug is on.
func (s Switches) On(bug Bug) bool {
	switch bug {
	case DropAcked:
		return s.DropAckedMessage
	case SwapOffsets:
		return s.SwapOffsets
	case DelayEarly:
		return s.DeliverDelayEarly
	case RolledBackDelivered:
		return s.DeliverRolledBack
	case SkipRetry:
		return s.SkipRetry
	case Duplicate:
		return s.DuplicateDelivery
	}
	panic("bugs: unknown bug " + bug.String())
}

// Any reports whether any switch is on.
func (s Switches) Any() bool {
	for b := range bugCount {
		if s.On(b) {
			return true
		}
	}
	return false
}

// Set is one broker incarnation's switches and what they have done.
// A nil *Set is a healthy broker: Fire always says no.
type Set struct {
	sw    Switches
	rng   *rand.Rand
	fired [bugCount]int
}

// New returns the switches of one broker incarnation, drawing from rng (the
// node's runtime.Rand). It returns nil when no switch is on.
func New(sw Switches, rng *rand.Rand) *Set {
	if !sw.Any() {
		return nil
	}
	if rng == nil {
		panic("bugs: New needs the node's random stream")
	}
	return &Set{sw: sw, rng: rng}
}

// Fire reports whether bug strikes at this chance, and counts it if so.
// It draws from the stream only when bug's switch is on and its limit is
// not reached, so a healthy path never changes the run.
func (s *Set) Fire(bug Bug) bool {
	if s == nil || !s.sw.On(bug) {
		return false
	}
	limit := s.sw.Limit
	if limit <= 0 {
		limit = 1
	}
	if s.fired[bug] >= limit {
		return false
	}
	if p := s.sw.Prob; p > 0 && p < 1 && s.rng.Float64() >= p {
		return false
	}
	s.fired[bug]++
	return true
}

// Fired is how often bug has struck in this incarnation.
func (s *Set) Fired(bug Bug) int {
	if s == nil {
		return 0
	}
	return s.fired[bug]
}
