package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestParseSeeds(t *testing.T) {
	good := map[string][2]uint64{"5": {1, 5}, "3..9": {3, 9}, "0..0": {0, 0}, "7..7": {7, 7}}
	for in, want := range good {
		a, b, err := parseSeeds(in)
		if err != nil || a != want[0] || b != want[1] {
			t.Errorf("parseSeeds(%q) = %d, %d, %v; want %v", in, a, b, err, want)
		}
	}
	for _, in := range []string{"", "0", "-3", "9..3", "a..b", "1..", "1..2000000"} {
		if _, _, err := parseSeeds(in); err == nil {
			t.Errorf("parseSeeds(%q) accepted", in)
		}
	}
}

// TestSweepMatchesSingleRuns: a sweep runs seeds in parallel, yet each
// seed's trace hash is the one a single run prints; a failing expectation
// fails the sweep with a replay line per seed.
func TestSweepMatchesSingleRuns(t *testing.T) {
	code, out, errOut := cli(t, quickScenario, "--seeds", "6..8", "--jobs", "3")
	if code != exitPass {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	if !strings.HasSuffix(out, "seeds: 6..8\nfailures: 0\nverdict: PASS\n") {
		t.Errorf("sweep does not end with its three lines:\n%s", out)
	}
	_, single, _ := cli(t, quickScenario, "--seed", "7")
	_, hash, _ := lastThree(t, single)
	if !strings.Contains(out, "seed 7: PASS "+hash+"\n") {
		t.Errorf("seed 7 in a sweep does not have the single run's hash %s:\n%s", hash, out)
	}
	if !strings.Contains(errOut, "3/3 seeds run") {
		t.Errorf("no progress line on stderr: %q", errOut)
	}

	src, err := os.ReadFile(quickScenario)
	if err != nil {
		t.Fatal(err)
	}
	greedy := filepath.Join(t.TempDir(), "greedy.yaml")
	os.WriteFile(greedy, []byte(strings.Replace(string(src), "min-acks-after-heal: 10", "min-acks-after-heal: 1000000", 1)), 0o644)
	dir := t.TempDir()
	code, out, _ = cli(t, greedy, "--seeds", "2", "--out", dir)
	if code != exitFail {
		t.Fatalf("greedy sweep exit %d\n%s", code, out)
	}
	for _, want := range []string{
		"seed 1: FAIL ", "seed 2: FAIL ",
		"liveness.min-acks-after-heal              2  ",
		"replay: go run ./sim " + greedy + " --seed 1\n",
		"replay: go run ./sim " + greedy + " --seed 2\n",
		"seeds: 1..2\nfailures: 2\nverdict: FAIL\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("greedy sweep output lacks %q:\n%s", want, out)
		}
	}
	for _, seed := range []string{"1", "2"} {
		for _, f := range []string{"verdict.json", "history.jsonl"} {
			if _, err := os.Stat(filepath.Join(dir, "seed-"+seed, f)); err != nil {
				t.Errorf("failing seed %s: %v", seed, err)
			}
		}
	}
	b, err := os.ReadFile(filepath.Join(dir, "summary.json"))
	if err != nil || !regexp.MustCompile(`"verdict": "FAIL"`).Match(b) {
		t.Errorf("summary.json: %v\n%s", err, b)
	}

	for _, args := range [][]string{
		{quickScenario, "--seeds", "3", "--seed", "1"},
		{quickScenario, "--seeds", "3", "--trace", "x"},
		{quickScenario, "--seeds", "3", "--jobs", "0"},
		{quickScenario, "--seeds", "z"},
	} {
		if code, _, _ := cli(t, args...); code != exitUsage {
			t.Errorf("%q: exit %d, want %d", args, code, exitUsage)
		}
	}
}
