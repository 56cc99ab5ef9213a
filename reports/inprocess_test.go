package main

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/reports/reliability"
	"rocketsim/reports/render"
	"rocketsim/reports/runs"
	"rocketsim/sim/mq"
)

// TestInProcessFlushModes is the in-process route end to end: the real
// broker under one seeded power loss, SYNC_FLUSH and ASYNC_FLUSH, run
// through sim/mq on several goroutines, judged, collected and reported.
// SYNC_FLUSH must lose nothing in any seed; both must yield every figure
// the report promises.
func TestInProcessFlushModes(t *testing.T) {
	spec := func(flush string) mq.Spec {
		s := mq.DefaultSpec()
		s.Duration = 8 * time.Second
		s.Drain = 30 * time.Second
		s.BrokerConf = map[string]string{"flushDiskType": flush}
		s.Faults = []mq.Fault{{Kind: mq.PowerLoss, Node: mq.BrokerName(0), At: 2 * time.Second, Jitter: 4 * time.Second, For: time.Second}}
		return s
	}
	// ASYNC_FLUSH may lose its unsynced tail: measured, not failed.
	lost, lin := int64(-1), false
	lenient := mq.Options{Check: check.Config{Expect: check.Expectations{Lost: &lost, Linearizable: &lin}}}

	var all []runs.Run
	for _, c := range []struct {
		name string
		spec mq.Spec
		opts mq.Options
	}{
		{"sync-flush", spec("SYNC_FLUSH"), mq.Options{}},
		{"async-flush", spec("ASYNC_FLUSH"), lenient},
	} {
		rs, err := runs.Collect(runs.Seeds(1, 3), 2, func(seed uint64) (runs.Run, error) {
			res, err := mq.Run(seed, c.spec, c.opts)
			if err != nil {
				return runs.Run{}, err
			}
			return runs.FromReport(c.name, seed, res.TraceHash, res.Report, res.Problems, res.Ops, runs.SampleOptions{})
		})
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, rs...)
	}
	rep := reliability.Build(all)
	if len(rep.Scenarios) != 2 {
		t.Fatalf("%d scenarios", len(rep.Scenarios))
	}
	for _, sc := range rep.Scenarios {
		if sc.Runs != 3 || sc.WithMetrics != 3 || sc.WithHistory != 3 {
			t.Errorf("%s: runs %d, with metrics %d, with history %d; want 3 each", sc.Name, sc.Runs, sc.WithMetrics, sc.WithHistory)
		}
		if sc.Loss.AckedTotal < 300 || sc.Send.Pooled.N < 300 || !(sc.Send.Pooled.P99 > 0) || len(sc.Availability.OverTime) < 5 {
			t.Errorf("%s: acked %v, send samples %d (p99 %v), %d availability windows: the workload did not run",
				sc.Name, sc.Loss.AckedTotal, sc.Send.Pooled.N, sc.Send.Pooled.P99, len(sc.Availability.OverTime))
		}
		if sc.Pass != 3 {
			t.Errorf("%s: %d of 3 seeds pass; notes %q", sc.Name, sc.Pass, sc.Notes)
		}
	}
	sync := rep.Scenarios[1]
	if sync.Name != "sync-flush" || sync.Loss.LostTotal != 0 || sync.Loss.SeedsWithLoss.Estimate != 0 {
		t.Errorf("%s lost %v messages in %v of its seeds: SYNC_FLUSH must lose nothing acknowledged", sync.Name, sync.Loss.LostTotal, sync.Loss.SeedsWithLoss.Estimate)
	}
	var md bytes.Buffer
	if err := render.Markdown(&md, rep, render.Options{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "| sync-flush | 3 | 3 | 0 | 0 | 0 / 3 = 0% [0%, 56.1%] |") {
		t.Errorf("report:\n%s", md.String())
	}
	t.Logf("ASYNC_FLUSH: %v lost of %v acknowledged; seeds with loss %v", rep.Scenarios[0].Loss.LostTotal, rep.Scenarios[0].Loss.AckedTotal, rep.Scenarios[0].Loss.SeedsWithLoss)
}
