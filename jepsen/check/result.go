// Package check holds the checkers that judge a history (jepsen/history),
// one invariant per file: linearizability of each queue, delivery, ordering,
// retries and dead letters, delay levels, transactions, and statistics. Run
// combines them under a scenario's expectations into one verdict.
//
// Every checker is deterministic: it walks maps only in sorted key order, so
// the same history always yields byte-identical results.
package check

import (
	"fmt"
	"sort"
)

// Verdict is a checker's judgement.
type Verdict string

// The verdicts. Unknown means the checker could not decide (for example
// porcupine timed out); it is never read as a pass.
const (
	Pass    Verdict = "pass"
	Fail    Verdict = "fail"
	Unknown Verdict = "unknown"
)

// MaxAnomaliesPerKind bounds the anomalies a result lists for one kind; the
// Counts still count every one. A broken broker can produce thousands of
// identical anomalies, and a report that lists them all hides the first.
const MaxAnomaliesPerKind = 20

// Anomaly is one violation, with the history indices that show it.
type Anomaly struct {
	Kind string `json:"kind"`
	// Ops are the indices of the events involved, in history order.
	Ops []int64 `json:"ops,omitempty"`
	// Subject is what the anomaly is about: a message id, a queue, a key.
	Subject     string `json:"subject,omitempty"`
	Explanation string `json:"explanation"`
}

// Result is what one checker found.
type Result struct {
	Name    string  `json:"name"`
	Verdict Verdict `json:"verdict"`
	// Reasons say why the verdict is not pass, one per violated bound.
	Reasons []string `json:"reasons,omitempty"`
	// Counts are integer measurements (messages lost, duplicates, ...) and
	// the number of anomalies of each kind.
	Counts map[string]int64 `json:"counts"`
	// Figures are real-valued measurements (ratios, percentiles in ms).
	Figures   map[string]float64 `json:"figures,omitempty"`
	Anomalies []Anomaly          `json:"anomalies,omitempty"`
}

// builder accumulates a Result.
type builder struct {
	r       Result
	perKind map[string]int
}

func newBuilder(name string) *builder {
	return &builder{
		r:       Result{Name: name, Verdict: Pass, Counts: map[string]int64{}, Figures: map[string]float64{}},
		perKind: map[string]int{},
	}
}

// anomaly records one violation of kind; it is counted in Counts[kind].
func (b *builder) anomaly(kind, subject, explanation string, ops ...int64) {
	b.r.Counts[kind]++
	if b.perKind[kind] >= MaxAnomaliesPerKind {
		return
	}
	b.perKind[kind]++
	sorted := append([]int64(nil), ops...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	b.r.Anomalies = append(b.r.Anomalies, Anomaly{Kind: kind, Subject: subject, Ops: sorted, Explanation: explanation})
}

func (b *builder) add(name string, n int64)      { b.r.Counts[name] += n }
func (b *builder) figure(name string, v float64) { b.r.Figures[name] = v }
func (b *builder) count(name string) int64       { return b.r.Counts[name] }
func (b *builder) ensure(names ...string) {
	for _, n := range names {
		b.r.Counts[n] += 0
	}
}

// limit fails the result when Counts[name] exceeds max; max < 0 means no
// limit (the measurement is reported, not judged).
func (b *builder) limit(name string, max int64) {
	if max >= 0 && b.r.Counts[name] > max {
		b.fail(fmt.Sprintf("%s: %d > allowed %d", name, b.r.Counts[name], max))
	}
}

func (b *builder) fail(reason string) {
	b.r.Verdict = Fail
	b.r.Reasons = append(b.r.Reasons, reason)
}

// unknown downgrades a pass to unknown; a fail stays a fail.
func (b *builder) unknown(reason string) {
	if b.r.Verdict == Pass {
		b.r.Verdict = Unknown
	}
	b.r.Reasons = append(b.r.Reasons, reason)
}

func (b *builder) result() Result {
	if len(b.r.Figures) == 0 {
		b.r.Figures = nil
	}
	return b.r
}

// sortedKeys returns m's keys in order, for deterministic iteration.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
