package runs

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	goruntime "runtime"
	"strconv"
	"strings"
	"sync"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

// The simulator's artefact names (sim/output.go, sim/sweep.go).
const (
	verdictFile = check.VerdictFile
	historyFile = "history.jsonl"
	summaryFile = "summary.json"
)

// Options say what to read besides verdicts.
type Options struct {
	// Histories reads each run's history.jsonl, when present, for latency
	// and availability samples. Histories are large (megabytes per seed);
	// off, the report falls back to each run's own percentiles.
	Histories bool
	SampleOptions
}

// SampleOptions say how samples are taken from a history.
type SampleOptions struct {
	// Window is the availability window width (0: check.DefaultWindow).
	Window time.Duration
	// ClientClocks measures on the clients' own clocks even when the
	// history has the simulator's true time. By default a simulated
	// history's latencies and windows use true time: a report is analysis,
	// not a verdict, and true time keeps an end-to-end latency from
	// including the offset between the producer's and the consumer's
	// clocks (a consumer 3 s ahead would see messages 3 s "before" they
	// were sent). Verdicts, in jepsen/check, always use client clocks.
	ClientClocks bool
}

// ReadDir reads every run under dir: a single run's --out folder
// (verdict.json, history.jsonl), a sweep's --out folder (summary.json and
// seed-N/ folders for failing seeds), or any tree of those. Folders are
// visited in lexical order. It is an error for dir to hold no run at all.
func ReadDir(dir string, opt Options) ([]Run, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("reading runs: %s is not a folder (a runs file is given with -runs)", dir)
	}
	var out []Run
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if exists(filepath.Join(path, summaryFile)) {
			rs, err := readSweep(path, opt)
			if err != nil {
				return err
			}
			out = append(out, rs...)
			return fs.SkipDir // its seed-N folders were read with it
		}
		if exists(filepath.Join(path, verdictFile)) {
			r, err := readRunDir(path, opt)
			if err != nil {
				return err
			}
			out = append(out, r)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := readHistories(out, opt.SampleOptions); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("reading runs: no %s or %s under %s (write them with go run ./sim FILE --seed N --out DIR)", verdictFile, summaryFile, dir)
	}
	return out, nil
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// verdictJSON is the part of the simulator's verdict.json a report reads.
type verdictJSON struct {
	Scenario   string                        `json:"scenario"`
	Path       string                        `json:"path"`
	Seed       *uint64                       `json:"seed"`
	TraceHash  string                        `json:"trace_hash"`
	Simulated  int64                         `json:"simulated_ns"`
	Faults     []string                      `json:"faults"`
	Metrics    map[string]map[string]float64 `json:"metrics"`
	Verdict    string                        `json:"verdict"`
	Problems   []string                      `json:"problems"`
	Judgements []judgementJSON               `json:"judgements"`
}

// judgementJSON is one expectation the simulator judged (scenario.Judgement).
type judgementJSON struct {
	Checker  string
	Key      string
	Measured float64
	Expect   struct{ Limit float64 }
	Pass     bool
}

// maxNoteProblem bounds how much of a simulator problem a note quotes: a
// problem line can carry a checker's whole JSON result.
const maxNoteProblem = 200

// failNote says why a run failed: its violated expectations, else its
// first problem (a server that did not recover fails with none violated).
func failNote(v *verdictJSON) string {
	var parts []string
	for _, j := range v.Judgements {
		if !j.Pass {
			parts = append(parts, fmt.Sprintf("%s.%s = %g (limit %g)", j.Checker, j.Key, j.Measured, j.Expect.Limit))
		}
	}
	if len(parts) > 0 {
		return "failed " + strings.Join(parts, ", ")
	}
	if len(v.Problems) > 0 {
		p := v.Problems[0]
		if len(p) > maxNoteProblem {
			p = p[:maxNoteProblem] + "..."
		}
		return "failed: " + p
	}
	return "failed"
}

// readRunDir reads one run's folder.
func readRunDir(dir string, opt Options) (Run, error) {
	path := filepath.Join(dir, verdictFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return Run{}, fmt.Errorf("reading runs: %w", err)
	}
	r, err := parseVerdict(b, path)
	if err != nil {
		return Run{}, err
	}
	if hp := filepath.Join(dir, historyFile); opt.Histories && exists(hp) {
		r.historyPath = hp // read by readHistories, in parallel
	}
	return r, nil
}

// maxParallelHistories bounds the histories decoded at once: each is
// megabytes of JSON and holds its operations in memory while its samples
// are extracted.
const maxParallelHistories = 8

// readHistories fills the samples of every run that has a history, on
// several cores: a sweep's histories are the bulk of a report's input. The
// runs' order and the error returned (the first in run order) do not
// depend on scheduling.
func readHistories(rs []Run, opt SampleOptions) error {
	var idx []int
	for i := range rs {
		if rs[i].historyPath != "" {
			idx = append(idx, i)
		}
	}
	errs := make([]error, len(rs))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(len(idx), goruntime.GOMAXPROCS(0), maxParallelHistories) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				rs[i].Samples, errs[i] = ReadSamples(rs[i].historyPath, opt)
			}
		}()
	}
	for _, i := range idx {
		work <- i
	}
	close(work)
	wg.Wait()
	return firstError(errs)
}

func firstError(errs []error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// parseVerdict turns a verdict.json into a Run; path names it in errors.
func parseVerdict(b []byte, path string) (Run, error) {
	var v verdictJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return Run{}, jsonError(path, b, err)
	}
	switch {
	case v.Scenario == "":
		return Run{}, fmt.Errorf("%s: not a simulator verdict: no \"scenario\"", path)
	case v.Seed == nil:
		return Run{}, fmt.Errorf("%s: not a simulator verdict: no \"seed\"", path)
	}
	r := Run{Scenario: v.Scenario, Path: v.Path, Seed: *v.Seed, TraceHash: v.TraceHash,
		SimulatedNs: v.Simulated, Faults: v.Faults, Metrics: v.Metrics, Source: path}
	switch v.Verdict {
	case "PASS":
		r.Verdict = Pass
	case "FAIL":
		r.Verdict = Fail
		r.Note = failNote(&v)
	default:
		return Run{}, fmt.Errorf("%s: verdict %q: want PASS or FAIL", path, v.Verdict)
	}
	if r.Metrics == nil {
		return Run{}, fmt.Errorf("%s: no \"metrics\": written by a simulator too old for reports", path)
	}
	undecided(&r)
	return r, nil
}

// undecided turns a pass into unknown when the linearizability checker
// left queues undecided: the run met its expectations on what was checked,
// but not everything was.
func undecided(r *Run) {
	if r.Verdict != Pass {
		return
	}
	if n, _ := r.Metric("linearizable", "queues-unknown"); n > 0 {
		r.Verdict = Unknown
		r.Note = fmt.Sprintf("%g queue(s) not decided by the linearizability checker", n)
	}
}

// sweepJSON is the part of a sweep's summary.json a report reads.
type sweepJSON struct {
	Scenario string `json:"scenario"`
	Path     string `json:"path"`
	Seeds    []struct {
		Seed      *uint64 `json:"seed"`
		Verdict   string  `json:"verdict"`
		TraceHash string  `json:"trace_hash"`
		Error     string  `json:"error"`
	} `json:"seeds"`
}

var seedDir = regexp.MustCompile(`^seed-([0-9]+)$`)

// readSweep reads a sweep's folder: every seed of summary.json, with the
// seed-N/verdict.json the sweep wrote for failing seeds (and any other
// seed-N folder a user added by replaying a seed with --out).
func readSweep(dir string, opt Options) ([]Run, error) {
	path := filepath.Join(dir, summaryFile)
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	var s sweepJSON
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, jsonError(path, b, err)
	}
	if s.Scenario == "" {
		return nil, fmt.Errorf("%s: not a sweep summary: no \"scenario\"", path)
	}
	detailed := map[uint64]Run{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading runs: %w", err)
	}
	for _, e := range entries {
		m := seedDir.FindStringSubmatch(e.Name())
		if m == nil || !e.IsDir() || !exists(filepath.Join(dir, e.Name(), verdictFile)) {
			continue
		}
		seed, err := strconv.ParseUint(m[1], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", filepath.Join(dir, e.Name()), err)
		}
		r, err := readRunDir(filepath.Join(dir, e.Name()), opt)
		if err != nil {
			return nil, err
		}
		if r.Seed != seed || r.Scenario != s.Scenario {
			return nil, fmt.Errorf("%s: scenario %s seed %d, but the folder is %s of a sweep of %s",
				r.Source, r.Scenario, r.Seed, e.Name(), s.Scenario)
		}
		detailed[seed] = r
	}
	var out []Run
	for i, l := range s.Seeds {
		if l.Seed == nil {
			return nil, fmt.Errorf("%s: seeds[%d] has no \"seed\"", path, i)
		}
		if r, ok := detailed[*l.Seed]; ok {
			if l.TraceHash != "" && r.TraceHash != l.TraceHash {
				return nil, fmt.Errorf("%s: seed %d has trace hash %s but %s says %s: the folder mixes two sweeps",
					r.Source, r.Seed, r.TraceHash, path, l.TraceHash)
			}
			out = append(out, r)
			delete(detailed, *l.Seed)
			continue
		}
		r := Run{Scenario: s.Scenario, Path: s.Path, Seed: *l.Seed, TraceHash: l.TraceHash, Source: path}
		switch l.Verdict {
		case "PASS":
			r.Verdict = Pass
			r.Note = "sweep seed without verdict.json: verdict only, no metrics"
		case "FAIL":
			r.Verdict = Fail
			r.Note = "sweep seed without verdict.json: verdict only, no metrics"
		case "ERROR":
			r.Verdict, r.Note = Unknown, "simulator error: "+l.Error
		default:
			return nil, fmt.Errorf("%s: seed %d: verdict %q: want PASS, FAIL or ERROR", path, *l.Seed, l.Verdict)
		}
		out = append(out, r)
	}
	// Seed folders outside the summary's range are runs too.
	for _, r := range detailed {
		out = append(out, r)
	}
	Sort(out)
	return out, nil
}

// ReadSamples reads a history file and extracts its latency and
// availability samples.
func ReadSamples(path string, opt SampleOptions) (*Samples, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	defer f.Close()
	ops, err := history.Read(f, path)
	if err != nil {
		return nil, fmt.Errorf("reading history: %w", err)
	}
	return SamplesOf(ops, opt, path)
}

// SamplesOf extracts the samples of a history; name labels errors.
func SamplesOf(ops []history.Op, opt SampleOptions, name string) (*Samples, error) {
	window := opt.Window
	if window <= 0 {
		window = check.DefaultWindow
	}
	clock := ClockClient
	if !opt.ClientClocks && hasSimTime(ops) {
		ops, clock = history.UseSimTime(ops), ClockTrue
	}
	send, e2e, err := check.Latencies(ops)
	if err != nil {
		return nil, fmt.Errorf("%s: latencies: %w", name, err)
	}
	wins, err := check.Availability(ops, window)
	if err != nil {
		return nil, fmt.Errorf("%s: availability: %w", name, err)
	}
	return &Samples{Clock: clock, SendLatencyMs: send, E2ELatencyMs: e2e, WindowNs: int64(window), Windows: wins}, nil
}

// hasSimTime says whether the history came from the simulator: every
// event but one at true time 0 carries sim_time.
func hasSimTime(ops []history.Op) bool {
	for i := range ops {
		if ops[i].SimTime != 0 {
			return true
		}
	}
	return false
}

// jsonError names the file, line and column of a JSON error.
func jsonError(path string, b []byte, err error) error {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 {
		return fmt.Errorf("%s: %w", path, err)
	}
	line, col := 1, 1
	for _, c := range b[:min(int(off), len(b))] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Errorf("%s:%d:%d: %w", path, line, col, err)
}
