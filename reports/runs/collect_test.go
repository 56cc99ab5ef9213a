package runs

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"rocketsim/jepsen/check"
)

func TestCollectKeepsSeedOrder(t *testing.T) {
	seeds := Seeds(1, 40)
	if len(seeds) != 40 || seeds[0] != 1 || seeds[39] != 40 {
		t.Fatalf("Seeds(1, 40) = %v", seeds)
	}
	rs, err := Collect(seeds, 8, func(seed uint64) (Run, error) {
		time.Sleep(time.Duration(41-seed) * 100 * time.Microsecond) // later seeds finish first
		return Run{Scenario: "s", Seed: seed, Verdict: Pass}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rs {
		if r.Seed != uint64(i+1) {
			t.Fatalf("run %d is seed %d", i, r.Seed)
		}
	}
	_, err = Collect(seeds, 8, func(seed uint64) (Run, error) {
		if seed%7 == 0 {
			return Run{}, errors.New("boom")
		}
		return Run{}, nil
	})
	if err == nil || err.Error() != "seed 7: boom" {
		t.Errorf("err = %v, want seed 7's, the first in seed order", err)
	}
	if s := Seeds(5, 4); s != nil {
		t.Errorf("Seeds(5, 4) = %v", s)
	}
	if s := Seeds(^uint64(0)-1, ^uint64(0)); len(s) != 2 {
		t.Errorf("Seeds at the top of the range = %v", s)
	}
}

func TestFromReport(t *testing.T) {
	rep := check.Run(smallHistory(), check.Config{})
	r, err := FromReport("s", 3, "abc", rep, nil, smallHistory(), SampleOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Scenario != "s" || r.Seed != 3 || r.TraceHash != "abc" || r.Samples == nil || len(r.Samples.SendLatencyMs) != 1 {
		t.Errorf("run %+v", r)
	}
	if v, ok := r.Metric("delivery", "acknowledged"); !ok || v != 1 {
		t.Errorf("delivery.acknowledged = %v, %v", v, ok)
	}
	if want := map[check.Verdict]Verdict{check.Pass: Pass, check.Fail: Fail, check.Unknown: Unknown}[rep.Verdict]; r.Verdict != want {
		t.Errorf("verdict %s for a report that says %s", r.Verdict, rep.Verdict)
	}
	r, _ = FromReport("s", 3, "", rep, []string{"broker did not start"}, nil, SampleOptions{})
	if r.Verdict != Fail || !strings.Contains(r.Note, "broker did not start") || r.Samples != nil {
		t.Errorf("a run with a problem: %+v", r)
	}
	failed := check.Report{Verdict: check.Fail, Failed: []string{"delivery"}}
	if r, _ := FromReport("s", 1, "", failed, nil, nil, SampleOptions{}); r.Verdict != Fail || r.Note != fmt.Sprint("failed [delivery]") {
		t.Errorf("failed report: %+v", r)
	}
}
