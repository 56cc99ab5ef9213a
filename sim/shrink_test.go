package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rocketsim/faults"
	"rocketsim/sim/pingpong"
	"rocketsim/sim/scenario"
)

// fsyncgate is a small cousin of scenarios/pingpong-fsync-fail.yaml with
// faults that do not matter to the planted bug.
const fsyncgate = `duration: 16s
settle: 2s
topology:
  nodes:
    - {name: server, role: server, disk: {fsync-fail-drops-dirty: true, fsync-latency: {min: 1ms, max: 5ms}}}
    - {name: client-1, role: client}
    - {name: client-2, role: client}
workload:
  kind: pingpong
  params: {interval: 10ms, timeout: 300ms}
faults:
  - {at: 1s, fault: {kind: partition, groups: [[server], [client-2]]}}
  - {at: 2s, fault: {kind: fsync-fail, nodes: [server], prob: 0.3}}
  - {at: 3s, fault: {kind: heal}}
  - {at: 4s, fault: {kind: clock-jump, nodes: [client-1], by: 1m}}
  - {at: 5s, fault: {kind: pause, nodes: [client-2]}}
  - {at: 6s, fault: {kind: resume, nodes: [client-2]}}
  - {at: 12s, fault: {kind: fsync-fail, nodes: [server], prob: 0}}
`

// TestShrinkKeepsTheCause: with a server that loses data only after a
// failed fsync, shrinking must keep the fault that turns fsync failures on
// and drop the rest.
func TestShrinkKeepsTheCause(t *testing.T) {
	s, err := scenario.Parse([]byte(fsyncgate), "fsyncgate.yaml")
	if err != nil {
		t.Fatal(err)
	}
	best, err := shrinkScenario(s, 1, runOptions{serverBugs: pingpong.Bugs{RetryFsyncBlindly: true}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if best == nil || best.rep.Pass {
		t.Fatal("the planted bug did not fail the run")
	}
	if len(best.s.Faults) != 1 || best.s.Faults[0].Fault.Kind != faults.FsyncFail || best.s.Faults[0].Fault.Prob == 0 {
		t.Errorf("shrunk to %d faults: %+v", len(best.s.Faults), best.s.Faults)
	}
	if len(best.s.Topology.Nodes) != 2 {
		t.Errorf("shrunk topology keeps %d nodes, want the server and one client", len(best.s.Topology.Nodes))
	}
	if best.s.Duration >= s.Duration {
		t.Errorf("duration not reduced: %v", best.s.Duration)
	}
	again, err := scenario.Parse(best.src, "shrunk.yaml")
	if err != nil {
		t.Fatalf("the shrunk source does not parse: %v", err)
	}
	rep, err := run(again, 1, runOptions{serverBugs: pingpong.Bugs{RetryFsyncBlindly: true}})
	if err != nil || rep.Pass || rep.TraceHash != best.rep.TraceHash {
		t.Errorf("the shrunk file does not replay its failure: %v pass=%v hash %s vs %s", err, rep.Pass, rep.TraceHash, best.rep.TraceHash)
	}
	if best.runs > shrinkRunsMax {
		t.Errorf("%d runs, bound %d", best.runs, shrinkRunsMax)
	}
}

func TestShrinkCLI(t *testing.T) {
	src, err := os.ReadFile(quickScenario)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	greedy := filepath.Join(dir, "greedy.yaml")
	os.WriteFile(greedy, []byte(strings.Replace(string(src), "min-acks-after-heal: 10", "min-acks-after-heal: 1000000", 1)), 0o644)
	code, out, errOut := cli(t, greedy, "--seed", "3", "--shrink", "--out", dir)
	if code != exitFail {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	shrunkPath := filepath.Join(dir, "shrunk.yaml")
	if !strings.Contains(out, "replay: go run ./sim "+shrunkPath+" --seed 3\n") {
		t.Errorf("no replay line for the shrunk file:\n%s", out)
	}
	_, hash, verdict := lastThree(t, out)
	code, out2, _ := cli(t, shrunkPath, "--seed", "3")
	_, hash2, verdict2 := lastThree(t, out2)
	if code != exitFail || hash != hash2 || verdict != "FAIL" || verdict2 != "FAIL" {
		t.Errorf("replaying the shrunk file: exit %d, hash %s vs %s, verdicts %s %s", code, hash2, hash, verdict, verdict2)
	}
	s, err := scenario.Load(shrunkPath)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Faults) != 0 || s.Duration > 2*time.Second {
		t.Errorf("a failure that needs no faults shrank to %d faults over %v", len(s.Faults), s.Duration)
	}

	code, out, _ = cli(t, quickScenario, "--seed", "3", "--shrink")
	if code != exitPass || !strings.Contains(out, "nothing to shrink") {
		t.Errorf("shrinking a passing run: exit %d\n%s", code, out)
	}
	if code, _, _ := cli(t, quickScenario, "--seeds", "3", "--shrink"); code != exitUsage {
		t.Errorf("--shrink with --seeds: exit %d", code)
	}
}
