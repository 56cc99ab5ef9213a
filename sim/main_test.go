package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"rocketsim/jepsen/history"
	"rocketsim/sim/pingpong"
	"rocketsim/sim/scenario"
)

const (
	defaultScenario = "../scenarios/pingpong-partition-crash.yaml"
	// quickScenario is for tests of the CLI's mechanics, where the
	// default scenario's two simulated minutes would only cost time.
	quickScenario = "testdata/quick.yaml"
)

// tail3 matches the three lines every run must end with, exactly.
var tail3 = regexp.MustCompile(`\nseed: (\d+)\ntrace-hash: ([0-9a-f]+)\nverdict: (PASS|FAIL)\n$`)

// cli runs the command in-process and returns its exit code and outputs.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := realMain(args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func lastThree(t *testing.T, out string) (seed, hash, verdict string) {
	t.Helper()
	m := tail3.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("output does not end with the seed/trace-hash/verdict lines:\n%s", out)
	}
	return m[1], m[2], m[3]
}

// TestDeterminism is the empirical half of DESIGN.md's rule: one seed, one
// trace hash; another seed, another hash.
func TestDeterminism(t *testing.T) {
	code1, out1, _ := cli(t, defaultScenario, "--seed", "7")
	code2, out2, _ := cli(t, "--seed", "7", defaultScenario)
	code3, out3, _ := cli(t, defaultScenario, "--seed=8")
	s1, h1, v1 := lastThree(t, out1)
	s2, h2, _ := lastThree(t, out2)
	s3, h3, v3 := lastThree(t, out3)
	if s1 != "7" || s2 != "7" || s3 != "8" {
		t.Errorf("seeds printed %s %s %s", s1, s2, s3)
	}
	if h1 != h2 {
		t.Errorf("seed 7 twice: trace hashes %s and %s differ", h1, h2)
	}
	if out1 != out2 {
		t.Errorf("seed 7 twice: stdout differs:\n%s\n----\n%s", out1, out2)
	}
	if h1 == h3 {
		t.Errorf("seeds 7 and 8 gave the same trace hash %s", h1)
	}
	if v1 != "PASS" || v3 != "PASS" || code1 != 0 || code2 != 0 || code3 != 0 {
		t.Errorf("default scenario: verdicts %s %s, exit codes %d %d %d\n%s", v1, v3, code1, code2, code3, out1)
	}
}

func TestSeedFromFileOrChosen(t *testing.T) {
	src, err := os.ReadFile(quickScenario)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	seeded := filepath.Join(dir, "seeded.yaml")
	os.WriteFile(seeded, []byte(strings.Replace(string(src), "duration: 20s", "seed: 42\nduration: 20s", 1)), 0o644)
	_, out, _ := cli(t, seeded)
	if seed, _, _ := lastThree(t, out); seed != "42" {
		t.Errorf("a file with seed: 42 ran seed %s", seed)
	}
	_, out, _ = cli(t, seeded, "--seed", "5")
	if seed, _, _ := lastThree(t, out); seed != "5" {
		t.Errorf("--seed 5 did not override the file's seed: %s", seed)
	}
	// No seed anywhere: one is chosen, printed, and replays exactly.
	_, out, _ = cli(t, quickScenario)
	seed, hash, _ := lastThree(t, out)
	_, again, _ := cli(t, quickScenario, "--seed", seed)
	if _, hash2, _ := lastThree(t, again); hash2 != hash {
		t.Errorf("the chosen seed %s does not replay: %s vs %s", seed, hash, hash2)
	}
}

func TestTypoIsAUsageError(t *testing.T) {
	src, err := os.ReadFile(defaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	bad := strings.Replace(string(src), "settle: 15s", "setle: 15s", 1)
	if bad == string(src) {
		t.Fatal("the default scenario no longer has settle: 15s")
	}
	path := filepath.Join(t.TempDir(), "typo.yaml")
	if err := os.WriteFile(path, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := cli(t, path, "--seed", "1")
	if code != exitUsage {
		t.Fatalf("exit %d, want %d; stdout:\n%s", code, exitUsage, out)
	}
	line := 1 + strings.Count(bad[:strings.Index(bad, "setle")], "\n")
	want := fmt.Sprintf("%s:%d: unknown key %q", path, line, "setle")
	if !strings.Contains(errOut, want) {
		t.Errorf("stderr %q does not contain %q", errOut, want)
	}
	if strings.Contains(out, "verdict:") {
		t.Error("a usage error printed a verdict")
	}
}

func TestUsageErrors(t *testing.T) {
	cases := [][]string{
		{},
		{defaultScenario, defaultScenario},
		{defaultScenario, "--seed", "minus-one"},
		{defaultScenario, "--sede", "1"},
		{"no/such/scenario.yaml"},
		{defaultScenario, "--seed"},
	}
	for _, args := range cases {
		code, out, errOut := cli(t, args...)
		if code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
		if errOut == "" {
			t.Errorf("%q: no message on stderr", args)
		}
		if strings.Contains(out, "verdict:") {
			t.Errorf("%q: printed a verdict", args)
		}
	}
}

func TestParseArgsOrder(t *testing.T) {
	var sink bytes.Buffer
	for _, args := range [][]string{
		{"f.yaml", "--seed", "5", "-v", "--out", "d"},
		{"--seed", "5", "f.yaml", "--out=d", "-v"},
		{"-v", "--out", "d", "--seed=5", "f.yaml"},
		{"-seed", "5", "-out", "d", "-v", "--", "f.yaml"},
	} {
		c, err := parseArgs(args, &sink)
		if err != nil {
			t.Errorf("%q: %v", args, err)
			continue
		}
		if c.file != "f.yaml" || c.seed != 5 || !c.seedSet || !c.verbose || c.out != "d" || c.bench {
			t.Errorf("%q: parsed %+v", args, c)
		}
	}
	c, err := parseArgs([]string{"f.yaml"}, &sink)
	if err != nil || c.seedSet {
		t.Errorf("no --seed: %+v %v", c, err)
	}
}

// TestFailurePrintsReplay: a violated expectation exits 1 and prints the
// replay command just before the three lines.
func TestFailurePrintsReplay(t *testing.T) {
	src, err := os.ReadFile(quickScenario)
	if err != nil {
		t.Fatal(err)
	}
	strict := strings.Replace(string(src), "min-acks-after-heal: 10", "min-acks-after-heal: 1000000", 1)
	path := filepath.Join(t.TempDir(), "greedy.yaml")
	os.WriteFile(path, []byte(strict), 0o644)
	code, out, _ := cli(t, path, "--seed", "3")
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s", code, exitFail, out)
	}
	_, _, verdict := lastThree(t, out)
	if verdict != "FAIL" {
		t.Errorf("verdict %s", verdict)
	}
	want := "replay: go run ./sim " + path + " --seed 3\nseed: 3\n"
	if !strings.Contains(out, want) {
		t.Errorf("no replay line before the three lines:\n%s", out)
	}
	if !strings.Contains(out, "liveness.min-acks-after-heal") || !strings.Contains(out, "VIOLATED") {
		t.Errorf("the violated expectation is not named:\n%s", out)
	}
}

// TestCheckerCatchesPlantedBugs: the checker has to be shown to fail. A
// server that acknowledges before fsync loses acknowledged requests on the
// power loss; one that logs phantoms shows records nobody sent.
func TestCheckerCatchesPlantedBugs(t *testing.T) {
	s, err := scenario.Load(defaultScenario)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := run(s, 7, runOptions{serverBugs: pingpong.Bugs{AckBeforeSync: true}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass || rep.Metrics["durability"]["lost"] == 0 {
		t.Errorf("ack-before-sync passed: %s", rep.Counts)
	}
	rep, err = run(s, 7, runOptions{serverBugs: pingpong.Bugs{LogPhantom: true}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass || rep.Metrics["integrity"]["unexpected"] == 0 {
		t.Errorf("phantom records passed: %s", rep.Counts)
	}

	// fsyncgate: on a disk that drops dirty pages when fsync fails, a
	// server that just retries fsync acknowledges records after a hole.
	s, err = scenario.Load("../scenarios/pingpong-fsync-fail.yaml")
	if err != nil {
		t.Fatal(err)
	}
	rep, err = run(s, 1, runOptions{serverBugs: pingpong.Bugs{RetryFsyncBlindly: true}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Pass || rep.Metrics["durability"]["lost"] == 0 {
		t.Errorf("blind fsync retry passed: %s", rep.Counts)
	}
}

func TestOutDirAndTrace(t *testing.T) {
	dir := t.TempDir()
	tracePath := filepath.Join(dir, "t.txt")
	code, out, errOut := cli(t, defaultScenario, "--seed", "7", "--out", filepath.Join(dir, "o"), "--trace", tracePath)
	if code != exitPass {
		t.Fatalf("exit %d: %s %s", code, out, errOut)
	}
	_, hash, _ := lastThree(t, out)
	var v struct {
		Seed      uint64 `json:"seed"`
		TraceHash string `json:"trace_hash"`
		Verdict   string `json:"verdict"`
		Events    uint64 `json:"events"`
		Replay    string `json:"replay"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "o", "verdict.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if v.Seed != 7 || v.TraceHash != hash || v.Verdict != "PASS" || !strings.Contains(v.Replay, "--seed 7") {
		t.Errorf("verdict.json %+v", v)
	}
	lines := countLines(t, filepath.Join(dir, "o", "trace.txt"))
	if uint64(lines) != v.Events {
		t.Errorf("trace.txt has %d lines for %d events", lines, v.Events)
	}
	if l2 := countLines(t, tracePath); l2 != lines {
		t.Errorf("--trace has %d lines, --out's trace %d", l2, lines)
	}
	if tr, _ := os.ReadFile(tracePath); !bytes.Contains(tr, []byte(" fault/partition=")) || !bytes.Contains(tr, []byte(" fault/power-loss=")) {
		t.Error("the trace does not show where the faults struck")
	}
	h, err := os.Open(filepath.Join(dir, "o", "history.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	ops, err := history.Read(h, "history.jsonl")
	if err != nil {
		t.Fatalf("history.jsonl does not read back in the shared format: %v", err)
	}
	pairs, err := history.Pair(ops)
	if err != nil {
		t.Fatalf("history.jsonl does not pair invokes with completions: %v", err)
	}
	types := map[history.Type]int{}
	for _, op := range ops {
		types[op.Type]++
	}
	if len(ops) == 0 || types[history.Invoke] == 0 || types[history.OK] == 0 || len(pairs) != types[history.Invoke] {
		t.Errorf("history of %d events, %d operations: %v", len(ops), len(pairs), types)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Count(b, []byte("\n"))
}

// TestShippedScenariosPass runs every scenario in scenarios/ with one seed:
// the library's expectations must hold. (.ci/run sweeps more seeds with
// --seeds; go test stays quick.)
func TestShippedScenariosPass(t *testing.T) {
	files, err := filepath.Glob("../scenarios/*.yaml")
	if err != nil || len(files) < 2 {
		t.Fatalf("scenarios: %v %v", files, err)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel() // independent worlds; the two cores share the matrix
			s, err := scenario.Load(f)
			if err != nil {
				t.Fatal(err)
			}
			const seed = 1
			rep, err := run(s, seed, runOptions{})
			if err != nil {
				t.Fatalf("seed %d: %v", seed, err)
			}
			if !rep.Pass {
				t.Errorf("seed %d: FAIL: %s %v %v", seed, rep.Counts, rep.Problems, rep.Judgements)
			}
			if rep.Metrics["durability"]["acked"]+rep.Metrics["delivery"]["acknowledged"] == 0 {
				t.Errorf("seed %d: nothing acknowledged: the run tested nothing", seed)
			}
			// Crashed clients leave operations open; the shared history
			// format must still pair every completion with its invoke.
			if _, err := history.Pair(rep.History); err != nil {
				t.Errorf("seed %d: history does not pair: %v", seed, err)
			}
		})
	}
}

// TestAsyncFlushLosesSyncDoesNot: the checker sees loss where RocketMQ's
// documentation says it can happen (ASYNC_FLUSH and a power loss) and none
// where it says it cannot (SYNC_FLUSH), on the same seeds.
func TestAsyncFlushLosesSyncDoesNot(t *testing.T) {
	src, err := os.ReadFile("../scenarios/pingpong-async-flush.yaml")
	if err != nil {
		t.Fatal(err)
	}
	async, err := scenario.Parse(src, "async.yaml")
	if err != nil {
		t.Fatal(err)
	}
	syncSrc := strings.Replace(strings.Replace(string(src), "flush: async", "flush: sync", 1), "lost: allowed", "max-lost: 0", 1)
	sync, err := scenario.Parse([]byte(syncSrc), "sync.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{1, 2} {
		a, err := run(async, seed, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !a.Pass || a.Metrics["durability"]["lost"] == 0 {
			t.Errorf("async seed %d: pass %v, lost %v: a power loss under ASYNC_FLUSH should lose the unflushed tail (and be allowed to)", seed, a.Pass, a.Metrics["durability"]["lost"])
		}
		s, err := run(sync, seed, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !s.Pass || s.Metrics["durability"]["lost"] != 0 {
			t.Errorf("sync seed %d: pass %v, lost %v", seed, s.Pass, s.Metrics["durability"]["lost"])
		}
	}
}

// TestMQAsyncFlushLosesSyncDoesNot is the same demonstration on the real
// broker: ASYNC_FLUSH loses acknowledged messages on a power loss (allowed,
// reported), SYNC_FLUSH loses none, on the same seed.
func TestMQAsyncFlushLosesSyncDoesNot(t *testing.T) {
	for file, wantLoss := range map[string]bool{"../scenarios/mq-async-flush.yaml": true, "../scenarios/mq-sync-flush.yaml": false} {
		s, err := scenario.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := run(s, 2, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		lost := rep.Metrics["delivery"]["lost"]
		if !rep.Pass || (lost > 0) != wantLoss {
			t.Errorf("%s: pass %v, lost %v (want loss: %v)\n%s %v", file, rep.Pass, lost, wantLoss, rep.Counts, rep.Problems)
		}
		if rep.Metrics["delivery"]["acknowledged"] < 1000 {
			t.Errorf("%s: only %v messages acknowledged", file, rep.Metrics["delivery"]["acknowledged"])
		}
	}
}

// TestStdoutIgnoresLogging: logs and wall-clock figures go to stderr, so
// stdout (and the trace hash) are the same with -v and --bench as without.
func TestStdoutIgnoresLogging(t *testing.T) {
	_, plain, _ := cli(t, quickScenario, "--seed", "4")
	_, loud, errOut := cli(t, quickScenario, "--seed", "4", "-v", "--bench")
	if plain != loud {
		t.Errorf("stdout differs with -v --bench:\n%s\n----\n%s", plain, loud)
	}
	if !strings.Contains(errOut, "events/s") || !strings.Contains(errOut, "level=INFO") {
		t.Errorf("-v --bench wrote no logs or figures to stderr: %.300q", errOut)
	}
}

// TestMQFlowScenarios runs the delay, transactions and retry/DLQ scenario
// files on one seed: each passes, and each did exercise its flow under its
// faults (a pass on a run that sent no delayed message proves nothing).
func TestMQFlowScenarios(t *testing.T) {
	for file, exercised := range map[string][]string{
		"../scenarios/mq-delay.yaml":        {"delay.delayed-delivered", "delivery.acknowledged"},
		"../scenarios/mq-transactions.yaml": {"transactions.committed", "transactions.rolled-back", "transactions.checks"},
		// local-retries: the consumer records its send-backs, so retries it
		// made itself after a failed one are told from the broker's.
		"../scenarios/mq-retry-dlq.yaml": {"retry.dead-lettered", "retry.retried-messages", "delivery.dead-lettered", "retry.local-retries"},
	} {
		s, err := scenario.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := run(s, 1, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Pass {
			t.Errorf("%s: failed: %v", file, rep.Problems)
		}
		if len(rep.Faults) < 6 {
			t.Errorf("%s: only %d faults struck", file, len(rep.Faults))
		}
		for _, m := range exercised {
			checker, metric, _ := strings.Cut(m, ".")
			if rep.Metrics[checker][metric] < 1 {
				t.Errorf("%s: %s = %v: the flow was not exercised", file, m, rep.Metrics[checker][metric])
			}
		}
		if rep.Metrics["verifier"]["committed-duplicates"] != 0 {
			t.Errorf("%s: the verifier found %v commits stored twice", file, rep.Metrics["verifier"]["committed-duplicates"])
		}
	}
}

// TestMQOrderlyNormalVersusStrict runs the two orderly scenario files on a
// seed where the topic's queue set changes: with RocketMQ's normal
// ordering keys move to other queues and the ordering checker counts
// reorders (reported, allowed); with the topic in ORDER_TOPIC_CONFIG
// (strict) none, at the price of sends that fail while a key's broker is
// down.
func TestMQOrderlyNormalVersusStrict(t *testing.T) {
	reps := map[string]*report{}
	for _, file := range []string{"../scenarios/mq-orderly.yaml", "../scenarios/mq-orderly-strict.yaml"} {
		s, err := scenario.Load(file)
		if err != nil {
			t.Fatal(err)
		}
		rep, err := run(s, 3, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Pass {
			t.Errorf("%s: failed: %v", file, rep.Problems)
		}
		if rep.Metrics["ordering"]["keys"] < 1 {
			t.Errorf("%s: no sharding key judged", file)
		}
		reps[file] = rep
	}
	normal, strict := reps["../scenarios/mq-orderly.yaml"], reps["../scenarios/mq-orderly-strict.yaml"]
	if normal.Metrics["ordering"]["key-reorder"] < 1 {
		t.Errorf("normal ordering: no key reordered on seed 3; the scenario no longer shows the queue set changing")
	}
	if strict.Metrics["ordering"]["key-reorder"] != 0 || strict.Metrics["ordering"]["key-gap"] != 0 {
		t.Errorf("strict ordering: %v reorders, %v gaps", strict.Metrics["ordering"]["key-reorder"], strict.Metrics["ordering"]["key-gap"])
	}
	if strict.Metrics["delivery"]["unknown-sent"] <= normal.Metrics["delivery"]["unknown-sent"] {
		t.Errorf("strict ordering: %v sends of unknown outcome, normal %v: strict should fail sends while a broker is down",
			strict.Metrics["delivery"]["unknown-sent"], normal.Metrics["delivery"]["unknown-sent"])
	}
}

// TestFsyncFailAtRecoveryRewritesTheLog: seeds of pingpong-fsync-fail.yaml
// where the server restarts, its fsync after recovery fails (dropping the
// recovered pages it had not yet synced), and a power loss follows. The
// server lost 23 and 293 acknowledged requests there until it rewrote the
// recovered log after that failed fsync, as it does after any other.
func TestFsyncFailAtRecoveryRewritesTheLog(t *testing.T) {
	s, err := scenario.Load("../scenarios/pingpong-fsync-fail.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{39, 55} {
		rep, err := run(s, seed, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Pass || rep.Metrics["durability"]["lost"] != 0 {
			t.Errorf("seed %d: pass %v, lost %v: %v", seed, rep.Pass, rep.Metrics["durability"]["lost"], rep.Problems)
		}
	}
}

// TestRetryDLQSeedsFoundBySweep: seeds of mq-retry-dlq.yaml a sweep found
// failing. 71: the broker answered a send-back before the fsync (as Java
// does) and the final power loss took the retry copy, the message's only
// copy left; under SYNC_FLUSH the send-back now waits for the fsync. 77
// and 103: the consumer retried messages itself after failed send-backs,
// past maxReconsumeTimes as the official client does; the history did
// not record send-backs, so the checker took them for too many attempts.
func TestRetryDLQSeedsFoundBySweep(t *testing.T) {
	s, err := scenario.Load("../scenarios/mq-retry-dlq.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, seed := range []uint64{71, 77, 103} {
		rep, err := run(s, seed, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Pass {
			t.Errorf("seed %d: %v", seed, rep.Problems)
		}
	}
}

// TestMQBuggifyReachesEverySite: the buggify scenario passes on two
// seeds that between them take every rare path a SYNC_FLUSH cluster has
// (store/flush-early is ASYNC_FLUSH's), so a site that stops being
// reached, or that breaks a promise, fails here; and without buggify the
// same scenario takes none.
func TestMQBuggifyReachesEverySite(t *testing.T) {
	s, err := scenario.Load("../scenarios/mq-buggify.yaml")
	if err != nil {
		t.Fatal(err)
	}
	fired := map[string]int{}
	for _, seed := range []uint64{3, 6} {
		rep, err := run(s, seed, runOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.Pass {
			t.Errorf("seed %d failed: %v %v", seed, rep.Problems, rep.Judgements)
		}
		for site, n := range rep.Buggified {
			fired[site] += n
		}
	}
	for _, site := range []string{"broker/pull-one", "broker/pull-no-hold", "broker/send-busy", "namesrv/route-shuffled", "store/no-linger",
		"consumer/persist-late", "consumer/rebalance-extra", "consumer/pull-later", "producer/queue-jump",
		"schedule/deliver-late", "schedule/persist-late"} {
		if fired[site] == 0 {
			t.Errorf("site %s never fired on seeds 3 and 6 (fired: %v)", site, fired)
		}
	}
	s.Buggify = false
	rep, err := run(s, 3, runOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Buggified) != 0 {
		t.Errorf("buggify off took rare paths: %v", rep.Buggified)
	}
}
