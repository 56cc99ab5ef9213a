package mq

import (
	"fmt"
	"path/filepath"
	"strings"

	"rocketsim/jepsen/history"
)

// HistoryFile is the history's name in an output folder.
const HistoryFile = "history.jsonl"

// WriteOut writes the history (history.jsonl) and the checkers' verdict
// (verdict.json) to dir, creating it. This package is a simulator internal,
// allowed to touch the real file system; nodes never do.
func (r *Result) WriteOut(dir string) error {
	if err := r.Report.WriteVerdict(dir); err != nil {
		return fmt.Errorf("mq: write verdict: %w", err)
	}
	if err := history.WriteFile(filepath.Join(dir, HistoryFile), r.Ops); err != nil {
		return fmt.Errorf("mq: write history: %w", err)
	}
	return nil
}

// Lines are the run's closing lines, as the simulator's CLI prints them:
// the checkers' summary, any problems, then seed, trace hash and verdict
// last.
func (r *Result) Lines() []string {
	var out []string
	out = append(out, strings.Split(strings.TrimRight(r.Report.Summary(), "\n"), "\n")...)
	for _, p := range r.Problems {
		out = append(out, "problem: "+p)
	}
	verdict := "PASS"
	if !r.Passed() {
		verdict = "FAIL"
	}
	return append(out, fmt.Sprintf("seed: %d", r.Seed), "trace-hash: "+r.TraceHash, "verdict: "+verdict)
}
