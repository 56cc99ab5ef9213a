package check

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"rocketsim/jepsen/history"
)

func TestRunCombines(t *testing.T) {
	// lin_good's delayed message arrives nanoseconds after its send: only
	// the delay checker objects.
	rep := Run(load(t, "lin_good.jsonl"), Config{})
	if rep.Verdict != Fail || !reflect.DeepEqual(rep.Failed, []string{"delay"}) {
		t.Fatalf("verdict %s failed %v\n%s", rep.Verdict, rep.Failed, rep.Summary())
	}
	anyEarly := int64(-1)
	rep = Run(load(t, "lin_good.jsonl"), Config{Expect: Expectations{EarlyDelay: &anyEarly}})
	if rep.Verdict != Pass || len(rep.Checkers) != 8 {
		t.Fatalf("verdict %s\n%s", rep.Verdict, rep.Summary())
	}
}

func TestRunExpectations(t *testing.T) {
	rep := Run(load(t, "del_lost.jsonl"), Config{})
	if rep.Verdict != Fail || !reflect.DeepEqual(rep.Failed, []string{"delivery"}) {
		t.Fatalf("verdict %s failed %v", rep.Verdict, rep.Failed)
	}
	anyLoss := int64(-1)
	rep = Run(load(t, "del_lost.jsonl"), Config{Expect: Expectations{Lost: &anyLoss}})
	if rep.Verdict != Pass {
		t.Fatalf("report-only loss failed the run:\n%s", rep.Summary())
	}
	if !strings.Contains(rep.Summary(), "lost=1") {
		t.Fatalf("loss not reported:\n%s", rep.Summary())
	}
	// A checker that is not required reports but cannot fail the run.
	no := false
	rep = Run(load(t, "ord_fifo_reorder.jsonl"), Config{Expect: Expectations{Ordering: &no, Linearizable: &no, Lost: &anyLoss, Unexpected: &anyLoss}})
	if rep.Verdict != Pass || rep.Checkers[3].Verdict != Fail || rep.Checkers[3].Required {
		t.Fatalf("verdict %s\n%s", rep.Verdict, rep.Summary())
	}
}

func TestRunProducerOnly(t *testing.T) {
	// Sends and no consumer: delivery cannot judge (unknown) unless the
	// scenario says there is nothing to deliver to.
	ops := statsHistory()[:14] // the sends, none of the receives
	if rep := Run(ops, Config{}); rep.Verdict != Unknown {
		t.Fatalf("verdict %s\n%s", rep.Verdict, rep.Summary())
	}
	no := false
	if rep := Run(ops, Config{Expect: Expectations{Delivery: &no}}); rep.Verdict != Pass {
		t.Fatalf("verdict %s\n%s", rep.Verdict, rep.Summary())
	}
}

func TestRunUnknownIsNotPass(t *testing.T) {
	rep := Run(hardHistory(64), Config{Linearizable: LinearizableOptions{QueueTimeout: 100 * time.Millisecond}})
	if rep.Verdict != Unknown {
		t.Fatalf("verdict %s\n%s", rep.Verdict, rep.Summary())
	}
}

func TestVerdictFileDeterministic(t *testing.T) {
	ops := synthetic(5000, 4, 3)
	dir1, dir2 := t.TempDir(), t.TempDir()
	if err := Run(ops, Config{}).WriteVerdict(dir1); err != nil {
		t.Fatal(err)
	}
	if err := Run(ops, Config{}).WriteVerdict(dir2); err != nil {
		t.Fatal(err)
	}
	a, err := os.ReadFile(filepath.Join(dir1, VerdictFile))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(filepath.Join(dir2, VerdictFile))
	if !bytes.Equal(a, b) {
		t.Fatal("two checks of one history wrote different verdict.json")
	}
	var back Report
	if err := json.Unmarshal(a, &back); err != nil {
		t.Fatal(err)
	}
	if back.Verdict == "" || len(back.Checkers) != 8 || len(back.Availability) == 0 || back.Checkers[0].Name != "history" || back.Events != len(ops) {
		t.Fatalf("verdict.json: %+v", back)
	}
}

func TestExpectationsYAML(t *testing.T) {
	text := "lost: -1\nmax_dup_ratio: 0.01\nordering: false\norderly_groups: [O]\nmin_availability: 0.5\n"
	var e Expectations
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err != nil {
		t.Fatal(err)
	}
	if *e.Lost != -1 || *e.MaxDupRatio != 0.01 || *e.Ordering || e.OrderlyGroups[0] != "O" || e.MinAvailability != 0.5 || e.Linearizable != nil {
		t.Fatalf("%+v", e)
	}
	dec = yaml.NewDecoder(strings.NewReader("lots: 0\n"))
	dec.KnownFields(true)
	if err := dec.Decode(&e); err == nil {
		t.Fatal("unknown expectation accepted")
	}
}

func TestConfigYAMLDurations(t *testing.T) {
	text := "clock_error: 50ms\nsettle: 2m\nretry:\n  max_reconsume_times: 3\n  retry_delays: [1s, 5s]\ntxn:\n  check_within: 70s\ndelay:\n  levels: [1s, 2s]\n"
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		t.Fatal(err)
	}
	if c.ClockError != 50*time.Millisecond || c.Settle != 2*time.Minute || c.Retry.MaxReconsumeTimes != 3 ||
		c.Retry.RetryDelays[1] != 5*time.Second || c.Txn.CheckWithin != 70*time.Second || c.Delay.Levels[1] != 2*time.Second {
		t.Fatalf("%+v", c)
	}
}

// Every count and figure a checker reports is in the catalog scenario files
// are validated against, and the catalog names nothing never reported.
func TestMetricCatalog(t *testing.T) {
	reported := map[string]map[string]bool{}
	histories := [][]history.Op{synthetic(3000, 2, 1), load(t, "retry_good.jsonl"), load(t, "delay_good.jsonl"), load(t, "txn_good.jsonl"),
		load(t, "ord_good.jsonl"), load(t, "del_good.jsonl"), statsHistory()}
	for _, bad := range []string{"lin_phantom.jsonl", "lin_lost_write.jsonl", "lin_failed_visible.jsonl"} {
		histories = append(histories, load(t, bad))
	}
	for _, ops := range histories {
		for c, m := range Run(ops, Config{}).Metrics() {
			if reported[c] == nil {
				reported[c] = map[string]bool{}
			}
			for k := range m {
				if !strings.Contains(k, ":") {
					reported[c][k] = true
				}
			}
		}
	}
	names := MetricNames()
	for c, ks := range reported {
		for k := range ks {
			if !slices.Contains(names[c], k) {
				t.Errorf("%s reports %s, missing from the catalog", c, k)
			}
		}
	}
	for c, ks := range names {
		for _, k := range ks {
			if !reported[c][k] {
				t.Errorf("catalog names %s.%s, never reported", c, k)
			}
		}
	}
}

func TestExplain(t *testing.T) {
	rep := Run(load(t, "del_lost.jsonl"), Config{})
	got := rep.Explain(5)
	if !strings.Contains(got, "delivery: lost: group G never received b") || !strings.Contains(got, "(events [2])") {
		t.Fatalf("explain:\n%s", got)
	}
	if Run(load(t, "retry_good.jsonl"), Config{Retry: retryOpt}).Explain(5) != "" {
		t.Fatal("a passing report explains nothing")
	}
}
