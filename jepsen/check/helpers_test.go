package check

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"rocketsim/jepsen/history"
)

func load(t testing.TB, name string) []history.Op {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops, err := history.Read(f, name)
	if err != nil {
		t.Fatal(err)
	}
	return ops
}

func wantVerdict(t *testing.T, r Result, v Verdict) {
	t.Helper()
	if r.Verdict != v {
		t.Fatalf("%s: verdict %s, want %s; reasons %v; anomalies %+v; counts %v", r.Name, r.Verdict, v, r.Reasons, r.Anomalies, r.Counts)
	}
}

// wantAnomaly asserts the result lists an anomaly of kind naming all of ops.
func wantAnomaly(t *testing.T, r Result, kind string, ops ...int64) {
	t.Helper()
	for _, a := range r.Anomalies {
		if a.Kind != kind {
			continue
		}
		have := map[int64]bool{}
		for _, o := range a.Ops {
			have[o] = true
		}
		all := true
		for _, o := range ops {
			all = all && have[o]
		}
		if all {
			if a.Explanation == "" {
				t.Fatalf("anomaly %s has no explanation", kind)
			}
			return
		}
	}
	var kinds []string
	for _, a := range r.Anomalies {
		kinds = append(kinds, a.Kind)
	}
	t.Fatalf("%s: no %s anomaly naming ops %v; have %s: %+v", r.Name, kind, ops, strings.Join(kinds, ","), r.Anomalies)
}
