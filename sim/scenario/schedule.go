package scenario

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"rocketsim/faults"
)

// Scheduled is one entry of the fault schedule: a fault at a time, or a
// fault that recurs every period (with seeded jitter and an optional
// probability per occurrence) between From and Until.
type Scheduled struct {
	At     *time.Duration `yaml:"at"`
	Every  time.Duration  `yaml:"every"`
	Jitter time.Duration  `yaml:"jitter"`
	From   time.Duration  `yaml:"from"`
	// Until ends a recurring fault; zero means the scenario's duration.
	Until time.Duration `yaml:"until"`
	// Prob is the chance each occurrence of a recurring fault happens;
	// nil means always.
	Prob  *float64     `yaml:"prob"`
	Fault faults.Fault `yaml:"fault"`
}

// Planned is one fault at a concrete time, from entry Index of the schedule.
type Planned struct {
	At    time.Duration
	Fault faults.Fault
	Index int
}

// Plan expands the schedule into concrete faults, ordered by time (entries
// at the same time keep the file's order). Jitter and probabilities are
// drawn from rng, so one seed always yields one plan.
func (s *Scenario) Plan(rng *rand.Rand) ([]Planned, error) {
	var out []Planned
	for i, e := range s.Faults {
		if e.At != nil {
			out = append(out, Planned{At: *e.At, Fault: e.Fault, Index: i})
			continue
		}
		until := e.Until
		if until == 0 {
			until = s.Duration
		}
		for t := e.From; t <= until; t += e.Every {
			at := t
			if e.Jitter > 0 {
				at += time.Duration(rng.Int64N(int64(e.Jitter)))
			}
			if e.Prob != nil && rng.Float64() >= *e.Prob {
				continue
			}
			if at > until {
				continue
			}
			if len(out) >= PlannedMax {
				return nil, s.errorAt([]any{"faults", i}, "the schedule expands to more than %d faults", PlannedMax)
			}
			out = append(out, Planned{At: at, Fault: e.Fault, Index: i})
		}
	}
	slices.SortStableFunc(out, func(a, b Planned) int { return cmp.Compare(a.At, b.At) })
	return out, nil
}

func (s *Scenario) validateSchedule(nodes map[string]bool) error {
	for i, e := range s.Faults {
		at := []any{"faults", i}
		switch {
		case e.At != nil && (e.Every != 0 || e.Jitter != 0 || e.From != 0 || e.Until != 0 || e.Prob != nil):
			return s.errorAt(at, "give either at, or every (with jitter, from, until, prob), not both")
		case e.At == nil && e.Every == 0:
			return s.errorAt(at, "a fault needs at or every")
		case e.At != nil && (*e.At < 0 || *e.At > s.Duration):
			return s.errorAt(append(at, "at"), "at %v is outside the run (0 to duration %v)", *e.At, s.Duration)
		case e.At == nil && e.Every < 0:
			return s.errorAt(append(at, "every"), "every %v must be positive", e.Every)
		case e.Jitter < 0 || (e.Jitter > 0 && e.Jitter >= e.Every):
			return s.errorAt(append(at, "jitter"), "jitter %v must be in [0, every)", e.Jitter)
		case e.From < 0 || e.From > s.Duration:
			return s.errorAt(append(at, "from"), "from %v is outside the run (0 to duration %v)", e.From, s.Duration)
		case e.Until < 0 || e.Until > s.Duration || (e.Until != 0 && e.Until < e.From):
			return s.errorAt(append(at, "until"), "until %v must be between from %v and duration %v", e.Until, e.From, s.Duration)
		case e.Prob != nil && (*e.Prob <= 0 || *e.Prob > 1):
			return s.errorAt(append(at, "prob"), "prob %v must be in (0, 1]", *e.Prob)
		case e.Fault.Kind == "":
			return s.errorAt(at, "missing fault")
		}
		for _, n := range e.Fault.Targets() {
			if !nodes[n] {
				return s.errorAt(append(at, "fault"), "fault %s names unknown node %q (nodes: %s)", e.Fault.Kind, n, sortedNames(nodes))
			}
		}
	}
	if _, err := s.Plan(rand.New(rand.NewPCG(0, 0))); err != nil {
		return fmt.Errorf("%w", err)
	}
	return nil
}
