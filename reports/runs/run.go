// Package runs reads the raw material of a reliability report: one Run per
// simulated (scenario, seed), from the simulator's output folders or from a
// JSON-lines runs file, with the latency and availability samples of the
// run's history when it kept one.
package runs

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"rocketsim/jepsen/check"
)

// Verdict is a run's outcome as a report counts it.
type Verdict string

// The verdicts. Unknown means the run produced no usable judgement: the
// simulator reported an error for the seed, or the run met its
// expectations while a checker could not decide (porcupine ran out of
// budget on a queue), so "pass" would claim more than was shown.
const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Unknown Verdict = "unknown"
)

// Run is one scenario run with one seed.
type Run struct {
	Scenario string  `json:"scenario"`
	Path     string  `json:"path,omitempty"`
	Seed     uint64  `json:"seed"`
	Verdict  Verdict `json:"verdict"`
	// Note says why the verdict is unknown, or where a run's data is thin
	// ("passing sweep seed: no verdict.json").
	Note        string   `json:"note,omitempty"`
	TraceHash   string   `json:"trace_hash,omitempty"`
	SimulatedNs int64    `json:"simulated_ns,omitempty"`
	Faults      []string `json:"faults,omitempty"`
	// Metrics are the checkers' figures by checker and kebab-case metric,
	// as in jepsen/check.Report.Metrics; nil when the input had none (a
	// sweep keeps verdict.json of failing seeds only).
	Metrics map[string]map[string]float64 `json:"metrics,omitempty"`
	// Samples come from the run's history; nil without one.
	Samples *Samples `json:"samples,omitempty"`
	// Source is the file the run was read from, for error messages; it is
	// not part of the report.
	Source string `json:"-"`
	// historyPath is the history.jsonl whose samples are still to be read.
	historyPath string
}

// The clocks samples are measured on.
const (
	// ClockTrue is the simulator's true time (history sim_time).
	ClockTrue = "true"
	// ClockClient is each client's own clock (history time).
	ClockClient = "client"
)

// Samples are the raw measurements behind pooled distributions.
type Samples struct {
	// Clock is ClockTrue or ClockClient (see SampleOptions.ClientClocks).
	Clock string `json:"clock"`
	// SendLatencyMs and E2ELatencyMs are jepsen/check.Latencies of the
	// history: invoke to ack of acknowledged sends, and send invoke to
	// first delivery.
	SendLatencyMs []float64 `json:"send_latency_ms,omitempty"`
	E2ELatencyMs  []float64 `json:"e2e_latency_ms,omitempty"`
	// WindowNs is the width of each availability window.
	WindowNs int64 `json:"window_ns,omitempty"`
	// Windows are jepsen/check.Availability of the history, in time order.
	Windows []check.Window `json:"availability,omitempty"`
}

// Window is the availability window width of Samples.
func (s *Samples) Window() time.Duration { return time.Duration(s.WindowNs) }

// Metric returns one metric and whether the run has it.
func (r *Run) Metric(checker, name string) (float64, bool) {
	m, ok := r.Metrics[checker]
	if !ok {
		return 0, false
	}
	v, ok := m[name]
	return v, ok
}

// Sort orders runs by scenario, then seed: every output is built from runs
// in this order, whatever order the inputs were read in.
func Sort(rs []Run) {
	slices.SortStableFunc(rs, func(a, b Run) int {
		if c := cmp.Compare(a.Scenario, b.Scenario); c != 0 {
			return c
		}
		return cmp.Compare(a.Seed, b.Seed)
	})
}

// Dedup sorts rs and merges runs of the same scenario and seed read from
// several inputs (a sweep folder and a single-run folder of one of its
// seeds). Two copies of one run must have the same trace hash where both
// have one: a different hash means the scenario or the code changed
// between them, and mixing the two would report on neither, so that is an
// error naming both files. Of two copies the one with more data (samples,
// then metrics) is kept.
func Dedup(rs []Run) ([]Run, error) {
	Sort(rs)
	var out []Run
	for _, r := range rs {
		if n := len(out); n > 0 && out[n-1].Scenario == r.Scenario && out[n-1].Seed == r.Seed {
			prev := &out[n-1]
			if prev.TraceHash != "" && r.TraceHash != "" && prev.TraceHash != r.TraceHash {
				return nil, fmt.Errorf("scenario %s seed %d: trace hash %s in %s but %s in %s: runs of different code or scenario files cannot be reported together",
					r.Scenario, r.Seed, prev.TraceHash, prev.Source, r.TraceHash, r.Source)
			}
			if richness(r) > richness(*prev) {
				*prev = r
			}
			continue
		}
		out = append(out, r)
	}
	return out, nil
}

func richness(r Run) int {
	n := 0
	if r.Samples != nil {
		n += 2
	}
	if r.Metrics != nil {
		n++
	}
	return n
}
