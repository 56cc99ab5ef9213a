package synth

import (
	"bytes"
	"reflect"
	"sort"
	"testing"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

func TestModelBrokerPasses(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		o := Default(seed)
		ops := Generate(o)
		rep := check.Run(ops, o.CheckConfig())
		if rep.Verdict != check.Pass {
			t.Fatalf("seed %d: %s\n%s", seed, rep.Verdict, rep.Summary())
		}
		// The workload exercised what it claims to.
		c := map[string]map[string]int64{}
		for _, r := range rep.Checkers {
			c[r.Name] = r.Counts
		}
		if c["delivery"]["acknowledged"] < 200 || c["retry"]["dead_lettered"] == 0 || c["retry"]["retried_messages"] == 0 ||
			c["delay"]["delayed_delivered"] == 0 || c["transactions"]["committed"] == 0 || c["transactions"]["rolled_back"] == 0 ||
			c["ordering"]["keys"] == 0 || c["linearizable"]["writes_inferred"] == 0 || c["stats"]["sends_fail"] == 0 {
			t.Fatalf("seed %d: workload too thin:\n%s", seed, rep.Summary())
		}
	}
}

func TestGenerateDeterministic(t *testing.T) {
	var a, b bytes.Buffer
	history.Write(&a, Generate(Default(9)))
	history.Write(&b, Generate(Default(9)))
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("same seed, different histories")
	}
	var c bytes.Buffer
	history.Write(&c, Generate(Default(10)))
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Fatal("different seeds, same history")
	}
	// The history is well formed: it reads back and pairs.
	ops, err := history.Read(&a, "synth")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := history.Pair(ops); err != nil {
		t.Fatal(err)
	}
}

// Each broken broker fails exactly the checkers that exist for its bug.
func TestEachFaultIsCaught(t *testing.T) {
	cases := []struct {
		name   string
		fault  Faults
		expect func(*check.Expectations)
		failed []string
	}{
		{"drop acknowledged message", Faults{DropAcked: true}, nil, []string{"delivery"}},
		{"lose unsynced tail", Faults{LoseTail: true}, nil, []string{"delivery", "linearizable"}},
		{"swap two offsets", Faults{SwapOffsets: true}, nil, []string{"linearizable"}},
		{"deliver delayed message early", Faults{EarlyDelay: true}, nil, []string{"delay"}},
		{"deliver rolled-back half message", Faults{DeliverRolledBack: true}, nil, []string{"delivery", "transactions"}},
		{"skip a retry", Faults{SkipRetry: true}, nil, []string{"retry"}},
		{"retry before its delay", Faults{EarlyRetry: true}, nil, []string{"retry"}},
		{"reorder a queue", Faults{Reorder: true}, nil, []string{"ordering"}},
		{"consume and dead-letter", Faults{ConsumedAndDLQ: true}, nil, []string{"retry"}},
		{"skip a keyed message", Faults{OrderlyGap: true}, nil, []string{"delivery", "ordering"}},
		{"duplicate, when duplicates are forbidden", Faults{Duplicate: true},
			func(e *check.Expectations) { zero := 0.0; e.MaxDupRatio = &zero }, []string{"delivery"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for seed := uint64(1); seed <= 3; seed++ {
				o := Default(seed)
				o.Faults = c.fault
				cfg := o.CheckConfig()
				if c.expect != nil {
					c.expect(&cfg.Expect)
				}
				rep := check.Run(Generate(o), cfg)
				failed := append([]string(nil), rep.Failed...)
				sort.Strings(failed)
				if rep.Verdict != check.Fail || !reflect.DeepEqual(failed, c.failed) {
					t.Fatalf("seed %d: verdict %s, failed %v, want %v\n%s", seed, rep.Verdict, failed, c.failed, rep.Summary())
				}
			}
		})
	}
}

// The model broker passes under any mix of workload features, so a checker
// that fails on it has a false alarm.
func TestModelBrokerPassesAnyMix(t *testing.T) {
	pick := func(seed uint64, bit uint, n int) int {
		if seed>>bit&1 == 0 {
			return 0
		}
		return n
	}
	for seed := uint64(0); seed < 16; seed++ {
		o := Options{
			Seed: seed, Messages: 120, Queues: 1 + int(seed%3), Producers: 1 + int(seed%4),
			DelayEvery: pick(seed, 0, 5), TxnEvery: pick(seed, 1, 4), OrderlyEvery: pick(seed, 2, 3),
			FailSendEvery: pick(seed, 3, 7), TimeoutEvery: pick(seed, 0, 9), RetryEvery: pick(seed, 1, 6), DeadEvery: pick(seed, 2, 13),
		}
		rep := check.Run(Generate(o), o.CheckConfig())
		if rep.Verdict != check.Pass {
			t.Fatalf("options %+v: %s\n%s%s", o, rep.Verdict, rep.Summary(), rep.Explain(3))
		}
	}
}
