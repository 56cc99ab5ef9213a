package runs

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

// verdictDoc is a verdict.json in the simulator's shape.
func verdictDoc(scenario string, seed uint64, verdict string, lost float64, extra map[string]map[string]float64) map[string]any {
	metrics := map[string]map[string]float64{
		"delivery":     {"acknowledged": 100, "lost": lost, "duplicates": 2},
		"linearizable": {"queues-unknown": 0},
	}
	for c, m := range extra {
		if metrics[c] == nil {
			metrics[c] = map[string]float64{}
		}
		for k, v := range m {
			metrics[c][k] = v
		}
	}
	return map[string]any{
		"scenario": scenario, "workload": "mq", "path": "scenarios/" + scenario + ".yaml",
		"seed": seed, "trace_hash": "h" + scenario, "pass": verdict == "PASS",
		"events": 10, "simulated_ns": int64(30 * time.Second), "faults": []string{"1.000s crash"},
		"judgements": []any{
			map[string]any{"Checker": "delivery", "Key": "lost", "Measured": lost, "Expect": map[string]any{"Allowed": false, "Limit": 0}, "Pass": lost == 0},
			map[string]any{"Checker": "ordering", "Key": "max-fifo-reorder", "Measured": 0, "Expect": map[string]any{"Allowed": false, "Limit": 0}, "Pass": true},
		}, "problems": []string{strings.Repeat("x", 500)}, "metrics": metrics, "counts": "", "verdict": verdict, "replay": "go run ./sim x",
	}
}

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

func ok(at int64) *int64 { return &at }

// smallHistory has two sends (one acked after 2 ms, one failed) and one
// delivery 5 ms after the first send's invoke.
func smallHistory() []history.Op {
	const ms = int64(time.Millisecond)
	q := &history.Queue{Broker: "b", ID: 0}
	return []history.Op{
		{Index: 0, Process: "p/0", Type: history.Invoke, F: history.FSend, Time: 0, Topic: "T", Queue: q, Key: "k1"},
		{Index: 1, Process: "p/0", Type: history.OK, F: history.FSend, Time: 2 * ms, Topic: "T", Queue: q, Key: "k1", Offset: ok(0)},
		{Index: 2, Process: "p/1", Type: history.Invoke, F: history.FSend, Time: 1500 * ms, Topic: "T", Queue: q, Key: "k2"},
		{Index: 3, Process: "p/1", Type: history.Fail, F: history.FSend, Time: 1501 * ms, Topic: "T", Queue: q, Key: "k2"},
		{Index: 4, Process: "c/0", Type: history.OK, F: history.FReceive, Time: 5 * ms, Topic: "T", Queue: q, Key: "k1", Group: "g", Offset: ok(0)},
	}
}

func TestReadSingleRunDirWithHistory(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "run1", "verdict.json"), verdictDoc("s", 7, "PASS", 0, nil))
	f, err := os.Create(filepath.Join(dir, "run1", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if err := history.Write(f, smallHistory()); err != nil {
		t.Fatal(err)
	}
	f.Close()

	rs, err := ReadDir(dir, Options{Histories: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 {
		t.Fatalf("got %d runs, want 1", len(rs))
	}
	r := rs[0]
	if r.Scenario != "s" || r.Seed != 7 || r.Verdict != Pass || r.TraceHash != "hs" {
		t.Errorf("run = %+v", r)
	}
	if v, ok := r.Metric("delivery", "acknowledged"); !ok || v != 100 {
		t.Errorf("delivery.acknowledged = %v, %v; want 100", v, ok)
	}
	s := r.Samples
	if s == nil {
		t.Fatal("no samples from history.jsonl")
	}
	if len(s.SendLatencyMs) != 1 || s.SendLatencyMs[0] != 2 {
		t.Errorf("send latencies %v, want [2]", s.SendLatencyMs)
	}
	if len(s.E2ELatencyMs) != 1 || s.E2ELatencyMs[0] != 5 {
		t.Errorf("e2e latencies %v, want [5]", s.E2ELatencyMs)
	}
	if len(s.Windows) != 2 || s.Windows[0].OK != 1 || s.Windows[1].Fail != 1 || s.Window() != time.Second {
		t.Errorf("windows %+v, want one ok window then one failed, 1s wide", s.Windows)
	}

	// Without histories the same folder gives no samples.
	rs, err = ReadDir(dir, Options{})
	if err != nil || rs[0].Samples != nil {
		t.Errorf("Histories off: samples %v, err %v", rs[0].Samples, err)
	}
}

func TestReadSweepDir(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "summary.json"), map[string]any{
		"scenario": "s", "path": "scenarios/s.yaml", "first_seed": 1, "last_seed": 3,
		"seeds": []map[string]any{
			{"seed": 1, "verdict": "PASS", "trace_hash": "a1"},
			{"seed": 2, "verdict": "FAIL", "trace_hash": "hs"},
			{"seed": 3, "verdict": "ERROR", "error": "boom"},
		},
	})
	writeJSON(t, filepath.Join(dir, "seed-2", "verdict.json"), verdictDoc("s", 2, "FAIL", 4, nil))
	rs, err := ReadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 3 {
		t.Fatalf("got %d runs, want 3: %+v", len(rs), rs)
	}
	if rs[0].Verdict != Pass || rs[0].Metrics != nil || !strings.Contains(rs[0].Note, "no metrics") {
		t.Errorf("seed 1 = %+v, want a pass without metrics and a note", rs[0])
	}
	if rs[1].Note != "failed delivery.lost = 4 (limit 0)" {
		t.Errorf("seed 2 note %q, want the violated expectation", rs[1].Note)
	}
	if v, _ := rs[1].Metric("delivery", "lost"); rs[1].Verdict != Fail || v != 4 {
		t.Errorf("seed 2 = %+v, want the failing seed's verdict.json with lost 4", rs[1])
	}
	if rs[2].Verdict != Unknown || !strings.Contains(rs[2].Note, "boom") {
		t.Errorf("seed 3 = %+v, want unknown with the error", rs[2])
	}
}

func TestUndecidedQueuesAreUnknown(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "verdict.json"), verdictDoc("s", 1, "PASS", 0, map[string]map[string]float64{"linearizable": {"queues-unknown": 2}}))
	rs, err := ReadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if rs[0].Verdict != Unknown || !strings.Contains(rs[0].Note, "2 queue") {
		t.Errorf("run = %+v, want unknown naming 2 queues", rs[0])
	}
}

func TestCorruptInputsNameTheFile(t *testing.T) {
	cases := []struct {
		name, file, body, want string
	}{
		{"syntax", "verdict.json", "{\n  \"scenario\": \"s\",\n  \"seed\": 1,\n  oops\n}", "verdict.json:4:"},
		{"type", "verdict.json", `{"scenario": "s", "seed": "one"}`, "verdict.json:1:"},
		{"no scenario", "verdict.json", `{"seed": 1, "verdict": "PASS", "metrics": {}}`, `no "scenario"`},
		{"no seed", "verdict.json", `{"scenario": "s", "verdict": "PASS", "metrics": {}}`, `no "seed"`},
		{"bad verdict", "verdict.json", `{"scenario": "s", "seed": 1, "verdict": "MAYBE", "metrics": {}}`, `verdict "MAYBE"`},
		{"no metrics", "verdict.json", `{"scenario": "s", "seed": 1, "verdict": "PASS"}`, `no "metrics"`},
		{"sweep syntax", "summary.json", `{"scenario": "s", "seeds": [`, "summary.json:1:"},
		{"sweep verdict", "summary.json", `{"scenario": "s", "seeds": [{"seed": 1, "verdict": "meh"}]}`, `seed 1: verdict "meh"`},
		{"sweep no seed", "summary.json", `{"scenario": "s", "seeds": [{"verdict": "PASS"}]}`, `seeds[0] has no "seed"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, c.file)
			if err := os.WriteFile(path, []byte(c.body), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := ReadDir(dir, Options{})
			if err == nil {
				t.Fatalf("no error for %s", c.body)
			}
			if !strings.Contains(err.Error(), path) && !strings.Contains(err.Error(), c.file) {
				t.Errorf("error %q does not name %s", err, path)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q does not say %q", err, c.want)
			}
		})
	}
}

func TestCorruptHistoryNamesTheFile(t *testing.T) {
	dir := t.TempDir()
	writeJSON(t, filepath.Join(dir, "verdict.json"), verdictDoc("s", 1, "PASS", 0, nil))
	hp := filepath.Join(dir, "history.jsonl")
	if err := os.WriteFile(hp, []byte("{\"index\":0,\"process\":\"p\",\"type\":\"invoke\",\"f\":\"send\",\"time\":1}\nnot json\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := ReadDir(dir, Options{Histories: true})
	if err == nil || !strings.Contains(err.Error(), hp) {
		t.Errorf("err = %v, want one naming %s", err, hp)
	}
}

func TestMissingAndEmptyInputs(t *testing.T) {
	if _, err := ReadDir(filepath.Join(t.TempDir(), "nope"), Options{}); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("missing folder: err = %v", err)
	}
	empty := t.TempDir()
	if _, err := ReadDir(empty, Options{}); err == nil || !strings.Contains(err.Error(), "no verdict.json") {
		t.Errorf("empty folder: err = %v", err)
	}
	if _, err := ReadFile(filepath.Join(empty, "runs.jsonl")); err == nil || !strings.Contains(err.Error(), "runs.jsonl") {
		t.Errorf("missing runs file: err = %v", err)
	}
}

func TestRunsFileRoundTrip(t *testing.T) {
	in := []Run{
		{Scenario: "b", Seed: 2, Verdict: Fail, Metrics: map[string]map[string]float64{"delivery": {"lost": 3, "acknowledged": 9}}},
		{Scenario: "a", Seed: 1, Verdict: Pass, Samples: &Samples{Clock: ClockClient, SendLatencyMs: []float64{1.5}, WindowNs: int64(time.Second)}},
	}
	var buf bytes.Buffer
	if err := Write(&buf, in); err != nil {
		t.Fatal(err)
	}
	out, err := Read(strings.NewReader("# a comment\n\n"+buf.String()), "runs.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Scenario != "b" || out[1].Samples.SendLatencyMs[0] != 1.5 || out[0].Metrics["delivery"]["lost"] != 3 {
		t.Errorf("round trip gave %+v", out)
	}
	if out[0].Source != "runs.jsonl:3" {
		t.Errorf("source %q, want runs.jsonl:3", out[0].Source)
	}
	var again bytes.Buffer
	if err := Write(&again, out); err != nil || again.String() != buf.String() {
		t.Errorf("second write differs:\n%s\n%s", buf.String(), again.String())
	}
}

func TestRunsFileErrors(t *testing.T) {
	cases := []struct{ body, want string }{
		{`{"scenario":"s","seed":1,"verdict":"pass"}` + "\n{bad", "runs.jsonl:2:"},
		{`{"scenario":"s","seed":1,"verdict":"PASS"}`, `runs.jsonl:1: scenario s seed 1: verdict "PASS"`},
		{`{"seed":1,"verdict":"pass"}`, `runs.jsonl:1: run has no "scenario"`},
		{`{"scenario":"s","seed":1,"verdict":"pass","lost":3}`, `runs.jsonl:1: json: unknown field "lost"`},
		{`{"scenario":"s","seed":1,"verdict":"pass"} {}`, "runs.jsonl:1: more than one"},
		{`{"scenario":"s","seed":1,"verdict":"pass","samples":{"availability":[{"start":0,"sends":1}]}}`, `without "window_ns"`},
	}
	for _, c := range cases {
		_, err := Read(strings.NewReader(c.body), "runs.jsonl")
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Read(%s): err = %v, want %q", c.body, err, c.want)
		}
	}
}

func TestDedup(t *testing.T) {
	rs := []Run{
		{Scenario: "s", Seed: 2, TraceHash: "x", Source: "a"},
		{Scenario: "s", Seed: 1, TraceHash: "y", Source: "a"},
		{Scenario: "s", Seed: 2, TraceHash: "x", Source: "b", Metrics: map[string]map[string]float64{}},
	}
	out, err := Dedup(rs)
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 2 || out[0].Seed != 1 || out[1].Source != "b" {
		t.Errorf("Dedup = %+v, want seeds 1 and 2, seed 2 from b (it has metrics)", out)
	}
	_, err = Dedup([]Run{{Scenario: "s", Seed: 2, TraceHash: "x", Source: "a"}, {Scenario: "s", Seed: 2, TraceHash: "z", Source: "b"}})
	if err == nil || !strings.Contains(err.Error(), "trace hash x in a but z in b") {
		t.Errorf("conflicting hashes: err = %v", err)
	}
}

func TestFailNoteWithoutViolation(t *testing.T) {
	dir := t.TempDir()
	doc := verdictDoc("s", 1, "FAIL", 0, nil)
	writeJSON(t, filepath.Join(dir, "verdict.json"), doc)
	rs, err := ReadDir(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if n := rs[0].Note; !strings.HasPrefix(n, "failed: xxx") || !strings.HasSuffix(n, "...") || len(n) > maxNoteProblem+20 {
		t.Errorf("note %q: want the first problem, cut", n)
	}
}

// TestRealSimulatorOutput reads files the simulator wrote (a single run of
// mq-async-flush with --out, and a sweep of pingpong-fsync-fail): if the
// simulator's output format drifts from what reports expects, copy fresh
// ones here and this test says what broke.
func TestRealSimulatorOutput(t *testing.T) {
	rs, err := ReadDir("testdata/real", Options{Histories: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 11 {
		t.Fatalf("got %d runs, want 1 single run and 10 sweep seeds", len(rs))
	}
	var single *Run
	for i := range rs {
		if rs[i].Scenario == "mq-async-flush" {
			single = &rs[i]
		} else if rs[i].Scenario != "pingpong-fsync-fail" || rs[i].Verdict != Pass || rs[i].Metrics != nil || rs[i].TraceHash == "" {
			t.Errorf("sweep seed %+v: want a pass with a trace hash and no metrics", rs[i])
		}
	}
	if single == nil {
		t.Fatal("no mq-async-flush run")
	}
	if single.Seed != 1 || single.Verdict != Pass || single.TraceHash == "" || len(single.Faults) == 0 || single.SimulatedNs <= 0 {
		t.Errorf("single run %+v", single)
	}
	acked, _ := single.Metric("delivery", "acknowledged")
	lost, _ := single.Metric("delivery", "lost")
	_, perGroup := single.Metric("delivery", "lost:sim-verify")
	if acked <= 0 || lost <= 0 || !perGroup {
		t.Errorf("delivery metrics acknowledged %v lost %v (per group %v): the ASYNC_FLUSH run lost messages", acked, lost, perGroup)
	}
	if _, ok := single.Metric("stats", "send-latency-ms-p99"); !ok {
		t.Error("no stats.send-latency-ms-p99")
	}
}

// TestManyHistories reads histories in parallel: every run gets its own
// samples, and of several corrupt histories the first in folder order is
// the one named, whatever the scheduling.
func TestManyHistories(t *testing.T) {
	dir := t.TempDir()
	for seed := uint64(1); seed <= 6; seed++ {
		sub := filepath.Join(dir, "run-"+string(rune('0'+seed)))
		writeJSON(t, filepath.Join(sub, "verdict.json"), verdictDoc("s", seed, "PASS", 0, nil))
		ops := smallHistory()
		ops[1].Time = int64(seed) * int64(time.Millisecond) // send latency = seed ms
		f, err := os.Create(filepath.Join(sub, "history.jsonl"))
		if err != nil {
			t.Fatal(err)
		}
		history.Write(f, ops)
		f.Close()
	}
	rs, err := ReadDir(dir, Options{Histories: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Samples == nil || len(r.Samples.SendLatencyMs) != 1 || r.Samples.SendLatencyMs[0] != float64(r.Seed) {
			t.Errorf("seed %d samples %+v, want its own send latency %d ms", r.Seed, r.Samples, r.Seed)
		}
	}
	for _, bad := range []string{"run-4", "run-2"} {
		os.WriteFile(filepath.Join(dir, bad, "history.jsonl"), []byte("garbage\n"), 0o644)
	}
	for range 5 {
		_, err := ReadDir(dir, Options{Histories: true})
		if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "run-2", "history.jsonl")) {
			t.Fatalf("err = %v, want the first corrupt history (run-2) named", err)
		}
	}
}

// TestSamplesUseTrueTime: a consumer whose clock runs 3 s ahead sees a
// message 3 s "after" the simulator's truth; samples of a simulated
// history use true time unless client clocks are asked for.
func TestSamplesUseTrueTime(t *testing.T) {
	const ms = int64(time.Millisecond)
	ops := smallHistory()
	for i := range ops {
		ops[i].SimTime = ops[i].Time + 1 // true time; +1 so 0 is set too
	}
	ops[4].Time += 3000 * ms // the consumer's clock is 3 s ahead
	s, err := SamplesOf(ops, SampleOptions{}, "h")
	if err != nil {
		t.Fatal(err)
	}
	if s.Clock != ClockTrue || len(s.E2ELatencyMs) != 1 || s.E2ELatencyMs[0] != 5 {
		t.Errorf("true time: clock %q, e2e %v; want true, [5]", s.Clock, s.E2ELatencyMs)
	}
	s, err = SamplesOf(ops, SampleOptions{ClientClocks: true}, "h")
	if err != nil {
		t.Fatal(err)
	}
	if s.Clock != ClockClient || s.E2ELatencyMs[0] != 3005 {
		t.Errorf("client clocks: clock %q, e2e %v; want client, [3005]", s.Clock, s.E2ELatencyMs)
	}
	if ops[4].Time != 3005*ms {
		t.Error("SamplesOf changed the caller's history")
	}
	s, _ = SamplesOf(smallHistory(), SampleOptions{}, "h")
	if s.Clock != ClockClient {
		t.Errorf("a history without sim_time measured on %q", s.Clock)
	}
}
