package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rocketsim/jepsen/history"
)

func writeJSON(t *testing.T, path string, v any) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func verdict(scenario string, seed uint64, pass bool, acked, lost float64) map[string]any {
	v := "PASS"
	if !pass {
		v = "FAIL"
	}
	return map[string]any{
		"scenario": scenario, "path": "scenarios/" + scenario + ".yaml", "seed": seed,
		"trace_hash": scenario + "-" + string(rune('a'+seed)), "pass": pass, "simulated_ns": int64(40 * time.Second),
		"metrics": map[string]map[string]float64{
			"delivery": {"acknowledged": acked, "lost": lost, "lost:g": lost, "duplicates": 4, "dup-ratio": 0.04},
			"stats":    {"availability": 0.9, "availability-worst-window": 0.2, "send-latency-ms-p99": 3},
			"delay":    {"lateness-ms-max": float64(seed) * 100},
		},
		"verdict": v,
	}
}

func writeHistory(t *testing.T, path string, sendMs int64) {
	t.Helper()
	ms := int64(time.Millisecond)
	q := &history.Queue{Broker: "b", ID: 1}
	off := int64(0)
	ops := []history.Op{
		{Index: 0, Process: "p/0", Type: history.Invoke, F: history.FSend, Time: 0, Topic: "T", Queue: q, Key: "k"},
		{Index: 1, Process: "p/0", Type: history.OK, F: history.FSend, Time: sendMs * ms, Topic: "T", Queue: q, Key: "k", Offset: &off},
		{Index: 2, Process: "c/0", Type: history.OK, F: history.FReceive, Time: (sendMs + 1) * ms, Topic: "T", Queue: q, Key: "k", Group: "g", Offset: &off},
	}
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := history.Write(f, ops); err != nil {
		t.Fatal(err)
	}
}

// fixture lays out a sweep of "async" (seeds 1..4, seed 2 failed with its
// folder, the others only in summary.json) and two single runs of "sync"
// with histories.
func fixture(t *testing.T) string {
	root := t.TempDir()
	sweep := filepath.Join(root, "async")
	writeJSON(t, filepath.Join(sweep, "summary.json"), map[string]any{
		"scenario": "async", "path": "scenarios/async.yaml",
		"seeds": []map[string]any{
			{"seed": 1, "verdict": "PASS", "trace_hash": "x1"},
			{"seed": 2, "verdict": "FAIL", "trace_hash": "async-c"},
			{"seed": 3, "verdict": "PASS", "trace_hash": "x3"},
			{"seed": 4, "verdict": "PASS", "trace_hash": "x4"},
		},
	})
	writeJSON(t, filepath.Join(sweep, "seed-2", "verdict.json"), verdict("async", 2, false, 1000, 30))
	for seed, sendMs := range map[uint64]int64{1: 2, 2: 8} {
		dir := filepath.Join(root, "sync", "seed-"+string(rune('0'+seed)))
		writeJSON(t, filepath.Join(dir, "verdict.json"), verdict("sync", seed, true, 500, 0))
		writeHistory(t, filepath.Join(dir, "history.jsonl"), sendMs)
	}
	return root
}

func runMain(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = realMain(args, &o, &e)
	return code, o.String(), e.String()
}

func TestReportFromOutputFolders(t *testing.T) {
	in := fixture(t)
	out := filepath.Join(t.TempDir(), "report")
	code, stdout, stderr := runMain(t, "-in", in, "-out", out)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stdout, "async: 4 runs, 3 pass, 1 fail, 0 unknown") || !strings.Contains(stdout, "sync: 2 runs, 2 pass, 0 fail, 0 unknown") {
		t.Errorf("stdout:\n%s", stdout)
	}
	md := read(t, filepath.Join(out, "report.md"))
	for _, want := range []string{
		// async: only seed 2 has metrics: 1 of 1 seeds lost data; lost 30 of 1000.
		"| async | 4 | 3 | 1 | 0 | 1 / 1 = 100% [20.7%, 100%] ‡ | 3.00% (one seed: no interval) | 4.00% (one seed: no interval) | 200 | 3 † |",
		// sync: 0 of 2 lost; pooled send latencies 2 and 8 ms, end-to-end 3 and 9: p99s 8 and 9.
		"| sync | 2 | 2 | 0 | 0 | 0 / 2 = 0% [0%, 65.8%] | 0% [0%, 0%] | 4.00% [4.00%, 4.00%] | 200 | 8 | 9 |",
		"Checker metrics from 1 runs, histories from 0.",
		"‡ Loss figures from only some of the runs: the others have no checker metrics (a sweep keeps verdict.json for failing seeds alone",
		"Only 1 of 4 runs had loss counts. Loss figures from only some",
		"By consumer group: g lost in 1 / 1 = 100% [20.7%, 100%] (30 in all, at most 30 in one seed). Other groups lost nothing.",
		"Measured on the clients' own clocks: an end-to-end latency spans",
		"- seeds 1, 3..4: sweep seed without verdict.json: verdict only, no metrics",
		"![sync: latency CDF, pooled over seeds](plots/sync-latency-cdf.png)",
		"![seeds that lost acknowledged messages (95% Wilson interval)](overview-loss.png)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q\n%s", want, md)
		}
	}
	for _, f := range []string{"report.json", "runs.jsonl", "plots/sync-latency-cdf.png", "plots/sync-availability.png", "plots/sync-loss.png", "plots/async-loss.png", "overview-loss.png"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s: %v", f, err)
		}
	}
	var rep struct {
		Scenarios []struct {
			Name string `json:"name"`
			Runs int    `json:"runs"`
		} `json:"scenarios"`
	}
	if err := json.Unmarshal([]byte(read(t, filepath.Join(out, "report.json"))), &rep); err != nil || len(rep.Scenarios) != 2 || rep.Scenarios[0].Runs != 4 {
		t.Errorf("report.json: %+v, %v", rep, err)
	}
}

// TestDeterministic: the same inputs give byte-identical outputs, and the
// runs.jsonl written with a report rebuilds the same report.json.
func TestDeterministic(t *testing.T) {
	in := fixture(t)
	a, b, c := filepath.Join(t.TempDir(), "a"), filepath.Join(t.TempDir(), "b"), filepath.Join(t.TempDir(), "c")
	for _, out := range []string{a, b} {
		if code, _, stderr := runMain(t, "-in", in, "-out", out); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
	}
	files := 0
	err := filepath.WalkDir(a, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(a, path)
		if read(t, path) != read(t, filepath.Join(b, rel)) {
			t.Errorf("%s differs between two reports of the same runs", rel)
		}
		files++
		return nil
	})
	if err != nil || files != 8 {
		t.Errorf("compared %d files (err %v), want 8 (3 reports, the overview, 3 plots of sync, the loss plot of async)", files, err)
	}

	if code, _, stderr := runMain(t, "-runs", filepath.Join(a, "runs.jsonl"), "-out", c); code != exitOK {
		t.Fatalf("from runs.jsonl: exit %d: %s", code, stderr)
	}
	if read(t, filepath.Join(a, "report.json")) != read(t, filepath.Join(c, "report.json")) {
		t.Error("report.json rebuilt from runs.jsonl differs")
	}
	if read(t, filepath.Join(a, "plots/sync-latency-cdf.png")) != read(t, filepath.Join(c, "plots/sync-latency-cdf.png")) {
		t.Error("plot rebuilt from runs.jsonl differs")
	}
}

func TestInputErrors(t *testing.T) {
	in := fixture(t)
	bad := filepath.Join(in, "sync", "seed-1", "verdict.json")
	if err := os.WriteFile(bad, []byte("{\"scenario\": \"sync\",\n\"seed\": }"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "report")
	code, _, stderr := runMain(t, "-in", in, "-out", out)
	if code != exitUsage || !strings.Contains(stderr, bad+":2:") {
		t.Errorf("corrupt verdict: exit %d, stderr %q; want 2 naming %s:2", code, stderr, bad)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a failed report left %s behind (%v)", out, err)
	}

	missing := filepath.Join(t.TempDir(), "nope")
	if code, _, stderr := runMain(t, "-in", missing, "-out", out); code != exitUsage || !strings.Contains(stderr, missing) {
		t.Errorf("missing input: exit %d, stderr %q", code, stderr)
	}
	runsFile := filepath.Join(t.TempDir(), "runs.jsonl")
	os.WriteFile(runsFile, []byte(`{"scenario":"s","seed":1,"verdict":"pass"}`+"\n"+`{"scenario":"s","seed":2,"verdict":"pass","metrics":{"delivery":{"lost":"x"}}}`+"\n"), 0o644)
	if code, _, stderr := runMain(t, "-runs", runsFile, "-out", out); code != exitUsage || !strings.Contains(stderr, runsFile+":2:") {
		t.Errorf("corrupt runs file: exit %d, stderr %q", code, stderr)
	}

	// One seed read twice with different trace hashes.
	other := t.TempDir()
	writeJSON(t, filepath.Join(other, "verdict.json"), verdict("async", 2, false, 1000, 30))
	cur := filepath.Join(other, "verdict.json")
	b, _ := os.ReadFile(cur)
	os.WriteFile(cur, bytes.Replace(b, []byte("async-c"), []byte("zzz"), 1), 0o644)
	good := fixture(t)
	if code, _, stderr := runMain(t, "-in", good, "-in", other, "-out", out); code != exitUsage || !strings.Contains(stderr, "trace hash") {
		t.Errorf("conflicting runs: exit %d, stderr %q", code, stderr)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{},
		{"-in", "x"},
		{"-out", "y"},
		{"-in", "x", "-out", "y", "extra"},
		{"-in", "x", "-out", "y", "-window", "0s"},
		{"-bogus"},
	} {
		if code, _, stderr := runMain(t, args...); code != exitUsage || stderr == "" {
			t.Errorf("%q: exit %d, stderr %q; want 2 and a message", args, code, stderr)
		}
	}
}

func TestSlug(t *testing.T) {
	for in, want := range map[string]string{"mq-sync-flush": "mq-sync-flush", "a b/c": "a_b_c", "../x": "x", "": "scenario"} {
		if got := slugOf(in); got != want {
			t.Errorf("slugOf(%q) = %q, want %q", in, got, want)
		}
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
