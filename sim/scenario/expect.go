package scenario

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// Expect is one bound on a checker's metric. In a file it is written under
// the checker's name as
//
//	max-lost: 0        the metric must not exceed 0
//	min-acks-after-heal: 1
//	lost: allowed      the metric is reported but not judged
type Expect struct {
	Allowed bool
	Limit   float64
}

// UnmarshalYAML reads a number or the word "allowed".
func (e *Expect) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: an expectation is a number or \"allowed\"", n.Line)
	}
	if n.Value == "allowed" {
		*e = Expect{Allowed: true}
		return nil
	}
	v, err := strconv.ParseFloat(n.Value, 64)
	if err != nil {
		return fmt.Errorf("line %d: an expectation is a number or \"allowed\", got %q", n.Line, n.Value)
	}
	*e = Expect{Limit: v}
	return nil
}

// bound is an expectation key taken apart: "max-lost" is {max, lost},
// "max-lost:G" is {max, lost:G} (a per-group count).
type bound struct {
	op     string // "max", "min", or "" for allowed
	metric string
}

func parseBound(key string, e Expect) (bound, error) {
	if e.Allowed {
		if strings.HasPrefix(key, "max-") || strings.HasPrefix(key, "min-") {
			return bound{}, fmt.Errorf("%q: a bound takes a number; write %q: allowed to lift it", key, key[4:])
		}
		return bound{metric: key}, nil
	}
	op, metric, ok := strings.Cut(key, "-")
	if !ok || (op != "max" && op != "min") || metric == "" {
		return bound{}, fmt.Errorf("%q: write max-METRIC: N, min-METRIC: N or METRIC: allowed", key)
	}
	return bound{op: op, metric: metric}, nil
}

// Judgement is one expectation checked against a run's figures.
type Judgement struct {
	Checker  string
	Key      string // "max-lost", or the metric name when allowed
	Measured float64
	Expect   Expect
	Pass     bool
}

func (j Judgement) String() string {
	verdict := "ok"
	if !j.Pass {
		verdict = "VIOLATED"
	}
	if j.Expect.Allowed {
		return fmt.Sprintf("%s.%s = %v (allowed)", j.Checker, j.Key, j.Measured)
	}
	return fmt.Sprintf("%s.%s: measured %v, limit %v: %s", j.Checker, j.Key, j.Measured, j.Expect.Limit, verdict)
}

// Bounds returns the expectations in force: the workload kind's defaults,
// where for each metric the file's keys, if any, replace the defaults'.
func (s *Scenario) Bounds() map[string]map[string]Expect {
	out := map[string]map[string]Expect{}
	for checker, keys := range kinds[s.Workload.Kind].defaults {
		out[checker] = map[string]Expect{}
		for k, e := range keys {
			out[checker][k] = e
		}
	}
	for checker, keys := range s.Expectations {
		if out[checker] == nil {
			out[checker] = map[string]Expect{}
		}
		for k, e := range keys {
			b, _ := parseBound(k, e) // validated at load
			for dk, de := range out[checker] {
				if db, _ := parseBound(dk, de); db.metric == b.metric {
					delete(out[checker], dk)
				}
			}
		}
		for k, e := range keys {
			out[checker][k] = e
		}
	}
	return out
}

// Judge checks the run's figures (by checker, then metric) against the
// expectations in force, in a stable order. A bound on a metric the run did
// not measure fails: silence is not a pass.
func (s *Scenario) Judge(metrics map[string]map[string]float64) []Judgement {
	var out []Judgement
	for checker, keys := range s.Bounds() {
		for k, e := range keys {
			b, _ := parseBound(k, e)
			v, measured := metrics[checker][b.metric]
			if base, _, perGroup := strings.Cut(b.metric, ":"); perGroup && !measured {
				// Checkers list per-group counts only where they are not
				// zero; the base count says the checker did measure.
				_, measured = metrics[checker][base]
			}
			j := Judgement{Checker: checker, Key: k, Measured: v, Expect: e}
			switch b.op {
			case "max":
				j.Pass = measured && v <= e.Limit
			case "min":
				j.Pass = measured && v >= e.Limit
			default:
				j.Pass = true
			}
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b Judgement) int {
		return cmp.Or(cmp.Compare(a.Checker, b.Checker), cmp.Compare(a.Key, b.Key))
	})
	return out
}

func (s *Scenario) validateExpectations() error {
	k := kinds[s.Workload.Kind]
	for _, checker := range sortedKeys(s.Expectations) {
		metrics, ok := k.metrics[checker]
		if !ok {
			return s.errorAt([]any{"expectations", checker}, "unknown checker %q for workload %s (known: %s)", checker, s.Workload.Kind, strings.Join(sortedKeys(k.metrics), ", "))
		}
		for _, key := range sortedKeys(s.Expectations[checker]) {
			b, err := parseBound(key, s.Expectations[checker][key])
			if err != nil {
				return s.errorAt([]any{"expectations", checker, key}, "%v", err)
			}
			// A per-group count ("lost:sim-verify") is valid when its
			// base metric is.
			base, _, _ := strings.Cut(b.metric, ":")
			if !slices.Contains(metrics, base) {
				return s.errorAt([]any{"expectations", checker, key}, "checker %s has no metric %q (metrics: %s)", checker, b.metric, strings.Join(metrics, ", "))
			}
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
