package main

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"rocketsim/sim/scenario"
)

// sweepSeedsMax bounds one sweep, so a typo cannot queue a billion runs.
const sweepSeedsMax = 1_000_000

// parseSeeds reads --seeds: "N" is seeds 1..N, "A..B" is A to B inclusive.
func parseSeeds(s string) (first, last uint64, err error) {
	if a, b, ok := strings.Cut(s, ".."); ok {
		first, err = strconv.ParseUint(a, 10, 64)
		if err == nil {
			last, err = strconv.ParseUint(b, 10, 64)
		}
		if err != nil || last < first {
			return 0, 0, fmt.Errorf("--seeds %q: want N or A..B with A <= B", s)
		}
	} else {
		n, err := strconv.ParseUint(s, 10, 64)
		if err != nil || n == 0 {
			return 0, 0, fmt.Errorf("--seeds %q: want N or A..B with A <= B", s)
		}
		first, last = 1, n
	}
	if last-first >= sweepSeedsMax {
		return 0, 0, fmt.Errorf("--seeds %q: more than %d seeds", s, sweepSeedsMax)
	}
	return first, last, nil
}

// seedResult is one seed's outcome in a sweep; the history is dropped to
// keep a long sweep's memory flat.
type seedResult struct {
	seed uint64
	rep  *report
	err  error
}

// sweep runs the scenario for every seed in [first, last] on jobs workers
// (with --out, each failing seed's verdict.json and history.jsonl go to
// DIR/seed-N) and prints a verdict per seed (in seed order, so the output is a function
// of the scenario and the range), a summary per expectation, the replay
// command of each failure, and three closing lines:
//
//	seeds: A..B
//	failures: N
//	verdict: PASS|FAIL
func sweep(s *scenario.Scenario, file string, first, last uint64, jobs int, outDir string, stdout, progress io.Writer) int {
	total := int(last - first + 1)
	results := make([]seedResult, total)
	next := make(chan int)
	done := make(chan int, total)
	var wg sync.WaitGroup
	for range max(1, min(jobs, total)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				seed := first + uint64(i)
				rep, err := run(s, seed, runOptions{})
				if rep != nil && !rep.Pass && outDir != "" {
					// A failing seed's artefacts are written now, while
					// its history is still in memory.
					dir := filepath.Join(outDir, fmt.Sprintf("seed-%d", seed))
					if err := os.MkdirAll(dir, 0o755); err == nil {
						err = writeOut(dir, rep, replayCommand(file, seed))
					}
					if err != nil {
						rep.Problems = append(rep.Problems, fmt.Sprintf("--out: %v", err))
					}
				}
				if rep != nil {
					rep.History = nil // keep a long sweep's memory flat
				}
				results[i] = seedResult{seed: seed, rep: rep, err: err}
				done <- i
			}
		}()
	}
	go func() {
		for i := range total {
			next <- i
		}
		close(next)
	}()
	failed := 0
	for k := range total {
		i := <-done
		if r := results[i]; r.err != nil || !r.rep.Pass {
			failed++
		}
		if progress != nil {
			fmt.Fprintf(progress, "\r%d/%d seeds run, %d failed", k+1, total, failed)
		}
	}
	wg.Wait()
	if progress != nil {
		fmt.Fprintln(progress)
	}

	fmt.Fprintf(stdout, "scenario: %s (%s), seeds %d..%d\n", s.Name, file, first, last)
	var failures []seedResult
	for _, r := range results {
		switch {
		case r.err != nil:
			fmt.Fprintf(stdout, "seed %d: ERROR %v\n", r.seed, r.err)
			failures = append(failures, r)
		case !r.rep.Pass:
			fmt.Fprintf(stdout, "seed %d: FAIL %s (%s)\n", r.seed, r.rep.TraceHash, violated(r.rep))
			failures = append(failures, r)
		default:
			fmt.Fprintf(stdout, "seed %d: PASS %s\n", r.seed, r.rep.TraceHash)
		}
	}
	summary := summarize(results)
	fmt.Fprintln(stdout, "expectation                          failed  measured min / mean / max")
	for _, row := range summary {
		fmt.Fprintf(stdout, "%-36s %6d  %g / %.4g / %g\n", row.Name, row.Failed, row.Min, row.Mean, row.Max)
	}
	for _, r := range failures {
		fmt.Fprintf(stdout, "replay: %s\n", replayCommand(file, r.seed))
	}
	if outDir != "" {
		if err := writeSweep(outDir, s, file, first, last, results, summary); err != nil {
			fmt.Fprintln(progress, "sim: --out:", err)
		}
	}
	verdict := "PASS"
	if len(failures) > 0 {
		verdict = "FAIL"
	}
	fmt.Fprintf(stdout, "seeds: %d..%d\nfailures: %d\nverdict: %s\n", first, last, len(failures), verdict)
	if len(failures) > 0 {
		return exitFail
	}
	return exitPass
}

func violated(rep *report) string {
	var v []string
	for _, j := range rep.Judgements {
		if !j.Pass {
			v = append(v, fmt.Sprintf("%s.%s=%g", j.Checker, j.Key, j.Measured))
		}
	}
	if len(v) == 0 {
		return "the server did not recover"
	}
	return strings.Join(v, ", ")
}

// summaryRow is one expectation across the seeds of a sweep.
type summaryRow struct {
	Name           string  `json:"name"`
	Failed         int     `json:"failed"`
	Min, Mean, Max float64 `json:"-"`
}

func summarize(results []seedResult) []summaryRow {
	rows := map[string]*summaryRow{}
	n := map[string]int{}
	for _, r := range results {
		if r.rep == nil {
			continue
		}
		for _, j := range r.rep.Judgements {
			name := j.Checker + "." + j.Key
			row := rows[name]
			if row == nil {
				row = &summaryRow{Name: name, Min: math.Inf(1), Max: math.Inf(-1)}
				rows[name] = row
			}
			if !j.Pass {
				row.Failed++
			}
			row.Min = min(row.Min, j.Measured)
			row.Max = max(row.Max, j.Measured)
			row.Mean += j.Measured
			n[name]++
		}
	}
	var out []summaryRow
	for _, name := range slices.Sorted(maps.Keys(rows)) {
		row := *rows[name]
		row.Mean /= float64(n[name])
		out = append(out, row)
	}
	return out
}

// writeSweep writes summary.json into dir.
func writeSweep(dir string, s *scenario.Scenario, file string, first, last uint64, results []seedResult, summary []summaryRow) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	type seedLine struct {
		Seed      uint64 `json:"seed"`
		Verdict   string `json:"verdict"`
		TraceHash string `json:"trace_hash,omitempty"`
		Error     string `json:"error,omitempty"`
		Replay    string `json:"replay"`
		Counts    string `json:"counts,omitempty"`
	}
	type row struct {
		summaryRow
		Min  float64 `json:"min"`
		Mean float64 `json:"mean"`
		Max  float64 `json:"max"`
	}
	out := struct {
		Scenario string     `json:"scenario"`
		Path     string     `json:"path"`
		First    uint64     `json:"first_seed"`
		Last     uint64     `json:"last_seed"`
		Seeds    []seedLine `json:"seeds"`
		Summary  []row      `json:"summary"`
	}{Scenario: s.Name, Path: file, First: first, Last: last}
	for _, r := range results {
		l := seedLine{Seed: r.seed, Replay: replayCommand(file, r.seed)}
		switch {
		case r.err != nil:
			l.Verdict, l.Error = "ERROR", r.err.Error()
		case r.rep.Pass:
			l.Verdict, l.TraceHash, l.Counts = "PASS", r.rep.TraceHash, r.rep.Counts
		default:
			l.Verdict, l.TraceHash, l.Counts = "FAIL", r.rep.TraceHash, r.rep.Counts
		}
		out.Seeds = append(out.Seeds, l)
	}
	for _, r := range summary {
		out.Summary = append(out.Summary, row{r, r.Min, r.Mean, r.Max})
	}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, "summary.json"), append(b, '\n'), 0o644)
}
