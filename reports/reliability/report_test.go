package reliability

import (
	"encoding/json"
	"math"
	"testing"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/reports/runs"
	"rocketsim/reports/stats"
)

func mqRun(seed uint64, v runs.Verdict, lostA, lostB, acked float64) runs.Run {
	return runs.Run{Scenario: "mq", Seed: seed, Verdict: v, Metrics: map[string]map[string]float64{
		"delivery": {"acknowledged": acked, "lost": lostA + lostB, "lost:a": lostA, "lost:b": lostB, "duplicates": float64(seed), "dup-ratio": 0.1},
		"stats":    {"availability": 1 - float64(seed)/100, "availability-worst-window": 0.5, "send-latency-ms-p99": 10 * float64(seed)},
	}}
}

func TestBuildLossAndVerdicts(t *testing.T) {
	rs := []runs.Run{
		mqRun(3, runs.Fail, 0, 20, 100), // worst group b: 20 of 100
		mqRun(1, runs.Pass, 0, 0, 100),
		mqRun(2, runs.Pass, 5, 1, 50), // worst group a: 5 of 50
		mqRun(4, runs.Pass, 0, 0, 100),
		{Scenario: "mq", Seed: 5, Verdict: runs.Unknown, Note: "simulator error: x"},
		{Scenario: "mq", Seed: 6, Verdict: runs.Pass, Note: "no metrics"},
		{Scenario: "mq", Seed: 7, Verdict: runs.Pass, Note: "no metrics"},
		{Scenario: "mq", Seed: 9, Verdict: runs.Pass, Note: "no metrics"},
		{Scenario: "other", Seed: 1, Verdict: runs.Pass, Metrics: map[string]map[string]float64{"durability": {"lost": 0, "acked": 10}}},
	}
	rep := Build(rs)
	if len(rep.Scenarios) != 2 || rep.Scenarios[0].Name != "mq" || rep.Scenarios[1].Name != "other" {
		t.Fatalf("scenarios %+v", rep.Scenarios)
	}
	sc := rep.Scenarios[0]
	if sc.Runs != 8 || sc.Pass != 6 || sc.Fail != 1 || sc.Unknown != 1 || sc.WithMetrics != 4 {
		t.Errorf("runs %d pass %d fail %d unknown %d with metrics %d; want 8 6 1 1 4", sc.Runs, sc.Pass, sc.Fail, sc.Unknown, sc.WithMetrics)
	}
	if SeedRanges(sc.Seeds) != "1..7, 9" {
		t.Errorf("seeds %v", sc.Seeds)
	}
	if len(sc.Notes) != 2 || sc.Notes[0] != "seed 5: simulator error: x" || sc.Notes[1] != "seeds 6..7, 9: no metrics" {
		t.Errorf("notes %q", sc.Notes)
	}
	l := sc.Loss
	if l.Metric != "delivery.lost (worst group)" {
		t.Errorf("loss metric %q", l.Metric)
	}
	// 2 of 4 seeds lost data: Wilson(2, 4).
	want := stats.Wilson(2, 4, 0.95)
	if l.SeedsWithLoss != want || l.SeedsWithLoss.Estimate != 0.5 {
		t.Errorf("seeds with loss %+v, want %+v", l.SeedsWithLoss, want)
	}
	// Per seed lost/acked: 0, 0.1, 0.2, 0 -> mean 0.075.
	if math.Abs(l.PerAcked.Estimate-0.075) > 1e-12 || l.PerAcked.N != 4 || l.PerAcked.Lo != 0 {
		t.Errorf("lost per acked %+v, want mean 0.075 over 4 seeds, lo clamped at 0", l.PerAcked)
	}
	if l.LostTotal != 25 || l.AckedTotal != 350 || l.Lost.Max != 20 {
		t.Errorf("totals lost %v acked %v max %v, want 25 350 20", l.LostTotal, l.AckedTotal, l.Lost.Max)
	}
	if len(l.PerSeed) != 4 || l.PerSeed[1] != (SeedLoss{Seed: 2, Lost: 5, Acked: 50}) {
		t.Errorf("per seed %+v", l.PerSeed)
	}
	wantGroups := []GroupLoss{
		{Group: "a", SeedsWithLoss: stats.Wilson(1, 4, 0.95), LostTotal: 5, LostMax: 5},
		{Group: "b", SeedsWithLoss: stats.Wilson(2, 4, 0.95), LostTotal: 21, LostMax: 20},
	}
	if len(l.Groups) != 2 || l.Groups[0] != wantGroups[0] || l.Groups[1] != wantGroups[1] {
		t.Errorf("groups %+v, want %+v", l.Groups, wantGroups)
	}
	if sc.Duplicates.Mean != 2.5 || sc.Duplicates.Max != 4 {
		t.Errorf("duplicates %+v, want mean 2.5 max 4", sc.Duplicates)
	}
	if sc.Send.P99OfSeeds.Max != 40 || sc.Send.Pooled.N != 0 {
		t.Errorf("send latency %+v: want p99-of-seeds max 40 and no pooled sample", sc.Send)
	}
	if sc.Availability.Overall.Min != 0.96 {
		t.Errorf("availability %+v, want min 0.96", sc.Availability.Overall)
	}
	if sc.LatenessMaxMs.N != 0 {
		t.Errorf("lateness %+v: no run reported it", sc.LatenessMaxMs)
	}
	var lostA *Metric
	for i := range sc.Metrics {
		if sc.Metrics[i].Checker == "delivery" && sc.Metrics[i].Name == "lost:a" {
			lostA = &sc.Metrics[i]
		}
	}
	if lostA == nil || lostA.Summary.N != 4 || lostA.Summary.Max != 5 {
		t.Errorf("metric delivery.lost:a = %+v", lostA)
	}
	for i := 1; i < len(sc.Metrics); i++ {
		a, b := sc.Metrics[i-1], sc.Metrics[i]
		if a.Checker > b.Checker || (a.Checker == b.Checker && a.Name >= b.Name) {
			t.Errorf("metrics out of order: %s.%s before %s.%s", a.Checker, a.Name, b.Checker, b.Name)
		}
	}

	o := rep.Scenarios[1]
	if o.Loss.Metric != "durability.lost" || o.Loss.SeedsWithLoss.Estimate != 0 || o.Loss.SeedsWithLoss.Hi <= 0 {
		t.Errorf("durability loss %+v", o.Loss)
	}
	if _, err := json.Marshal(rep); err != nil {
		t.Errorf("report does not marshal: %v", err)
	}
}

func TestBuildPoolsSamples(t *testing.T) {
	sec := int64(time.Second)
	rs := []runs.Run{
		{Scenario: "s", Seed: 1, Verdict: runs.Pass, Samples: &runs.Samples{
			SendLatencyMs: []float64{1, 2, 3}, E2ELatencyMs: []float64{10},
			WindowNs: sec, Windows: []check.Window{
				{Start: 100 * sec, Sends: 10, OK: 10, Availability: 1},
				{Start: 102 * sec, Sends: 4, OK: 1, Availability: 0.25},
			}}},
		{Scenario: "s", Seed: 2, Verdict: runs.Pass, Samples: &runs.Samples{
			SendLatencyMs: []float64{4, 100},
			WindowNs:      sec, Windows: []check.Window{
				{Start: 7 * sec, Sends: 10, OK: 5, Availability: 0.5},
				{Start: 9 * sec, Sends: 6, OK: 6, Availability: 1},
			}}},
	}
	sc := Build(rs).Scenarios[0]
	if sc.WithHistory != 2 || sc.Send.Seeds != 2 || sc.E2E.Seeds != 1 {
		t.Errorf("with history %d, send seeds %d, e2e seeds %d; want 2 2 1", sc.WithHistory, sc.Send.Seeds, sc.E2E.Seeds)
	}
	p := sc.Send.Pooled
	if p.N != 5 || p.Median != 3 || p.P99 != 100 || p.Mean != 22 {
		t.Errorf("pooled send %+v, want n 5 median 3 p99 100 mean 22", p)
	}
	if len(sc.Send.CDF) != 5 || sc.Send.CDF[4] != (Point{X: 100, Y: 1}) {
		t.Errorf("send CDF %+v", sc.Send.CDF)
	}
	ot := sc.Availability.OverTime
	want := []WindowPoint{
		{OffsetS: 0, Seeds: 2, Sends: 20, OK: 15, Pooled: 0.75, Worst: 0.5},
		{OffsetS: 2, Seeds: 2, Sends: 10, OK: 7, Pooled: 0.7, Worst: 0.25},
	}
	if sc.Availability.WindowNs != sec || len(ot) != 2 || ot[0] != want[0] || ot[1] != want[1] {
		t.Errorf("over time %+v (width %d), want %+v", ot, sc.Availability.WindowNs, want)
	}

	// Windows of different widths cannot be lined up.
	rs[1].Samples.WindowNs = 2 * sec
	if sc := Build(rs).Scenarios[0]; sc.Availability.OverTime != nil {
		t.Errorf("mixed widths gave %+v", sc.Availability.OverTime)
	}
}

func TestBuildIgnoresInputOrder(t *testing.T) {
	a := []runs.Run{mqRun(1, runs.Pass, 0, 0, 10), mqRun(2, runs.Fail, 3, 0, 10), mqRun(3, runs.Pass, 0, 1, 10)}
	b := []runs.Run{a[2], a[0], a[1]}
	ja, _ := json.Marshal(Build(a))
	jb, _ := json.Marshal(Build(b))
	if string(ja) != string(jb) {
		t.Errorf("input order changed the report:\n%s\n%s", ja, jb)
	}
	if a[0].Seed != 1 || b[0].Seed != 3 {
		t.Error("Build reordered its argument")
	}
}

func TestSeedRanges(t *testing.T) {
	if got := SeedRanges([]uint64{1, 2, 3, 5, 7, 8}); got != "1..3, 5, 7..8" {
		t.Errorf("SeedRanges = %q", got)
	}
	if got := SeedRanges(nil); got != "" {
		t.Errorf("SeedRanges(nil) = %q", got)
	}
}

func TestFaultKinds(t *testing.T) {
	rs := []runs.Run{
		{Scenario: "s", Seed: 1, Faults: []string{"   2.746s {kind: power-loss, nodes: [broker-a]}", "   5.901s {kind: restart, nodes: [broker-a]}", "  7.000s {kind: power-loss, nodes: [b]}"}},
		{Scenario: "s", Seed: 2, Faults: []string{"  1.000s {kind: heal}"}},
		{Scenario: "s", Seed: 3}, // a sweep seed: faults unknown, not zero
	}
	fk := Build(rs).Scenarios[0].Faults
	if len(fk) != 3 || fk[0].Kind != "heal" || fk[1].Kind != "power-loss" || fk[2].Kind != "restart" {
		t.Fatalf("fault kinds %+v", fk)
	}
	if p := fk[1].PerRun; p.N != 2 || p.Mean != 1 || p.Max != 2 || p.Min != 0 {
		t.Errorf("power-loss per run %+v, want n 2, mean 1, min 0, max 2", p)
	}
}

func TestLossLabel(t *testing.T) {
	for _, c := range []struct {
		m    map[string]float64
		lost float64
		want string
	}{
		{map[string]float64{"acknowledged": 10, "lost": 0}, 0, "delivery.lost (worst group)"},
		{map[string]float64{"acknowledged": 10, "lost": 3}, 3, "delivery.lost"},
		{map[string]float64{"acknowledged": 10, "lost": 5, "lost:a": 2, "lost:b": 3}, 3, "delivery.lost (worst group)"},
		{map[string]float64{"acknowledged": 10}, -1, ""},
	} {
		r := runs.Run{Metrics: map[string]map[string]float64{"delivery": c.m}}
		lost, _, metric, ok := lossOf(&r)
		if metric != c.want || (ok && lost != c.lost) || ok != (c.want != "") {
			t.Errorf("lossOf(%v) = %v, %q, %v; want %v, %q", c.m, lost, metric, ok, c.lost, c.want)
		}
	}
}

func TestClock(t *testing.T) {
	run := func(seed uint64, clock string) runs.Run {
		r := runs.Run{Scenario: "s", Seed: seed, Verdict: runs.Pass}
		if clock != "" {
			r.Samples = &runs.Samples{Clock: clock}
		}
		return r
	}
	for _, c := range []struct {
		rs   []runs.Run
		want string
	}{
		{[]runs.Run{run(1, ""), run(2, "")}, ""},
		{[]runs.Run{run(1, runs.ClockTrue), run(2, "")}, runs.ClockTrue},
		{[]runs.Run{run(1, runs.ClockClient), run(2, runs.ClockClient)}, runs.ClockClient},
		{[]runs.Run{run(1, runs.ClockTrue), run(2, runs.ClockClient)}, "mixed"},
	} {
		if got := Build(c.rs).Scenarios[0].Clock; got != c.want {
			t.Errorf("clock %q, want %q", got, c.want)
		}
	}
}

func TestLossByFault(t *testing.T) {
	run := func(seed uint64, lost float64, kinds ...string) runs.Run {
		r := runs.Run{Scenario: "chaos", Seed: seed, Verdict: runs.Pass,
			Metrics: map[string]map[string]float64{"durability": {"acked": 100, "lost": lost}}}
		for _, k := range kinds {
			r.Faults = append(r.Faults, "  1.000s {kind: "+k+", nodes: [n]}")
		}
		return r
	}
	rs := []runs.Run{
		run(1, 5, "power-loss", "crash"),
		run(2, 3, "power-loss", "power-loss", "crash"), // counted once
		run(3, 0, "crash"),
		run(4, 0, "crash", "partition"),
		run(5, 1, "crash", "partition"),
		{Scenario: "chaos", Seed: 6, Verdict: runs.Pass}, // no faults listed: left out
	}
	lf := Build(rs).Scenarios[0].LossByFault
	// crash struck every listed run: it splits nothing.
	if len(lf) != 2 || lf[0].Kind != "partition" || lf[1].Kind != "power-loss" {
		t.Fatalf("loss by fault %+v", lf)
	}
	pl := lf[1]
	if pl.With != stats.Wilson(2, 2, 0.95) || pl.Without != stats.Wilson(1, 3, 0.95) {
		t.Errorf("power-loss: with %+v without %+v; want 2/2 and 1/3", pl.With, pl.Without)
	}
	pa := lf[0]
	if pa.With != stats.Wilson(1, 2, 0.95) || pa.Without != stats.Wilson(2, 3, 0.95) {
		t.Errorf("partition: with %+v without %+v; want 1/2 and 2/3", pa.With, pa.Without)
	}
}
