package plots

import (
	"bytes"
	"image/png"
	"testing"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/reports/reliability"
	"rocketsim/reports/runs"
)

func scenario(lost float64) reliability.Scenario {
	sec := int64(time.Second)
	var rs []runs.Run
	for seed := uint64(1); seed <= 3; seed++ {
		rs = append(rs, runs.Run{Scenario: "s", Seed: seed, Verdict: runs.Pass,
			Metrics: map[string]map[string]float64{"delivery": {"acknowledged": 100, "lost": lost * float64(seed-1)}},
			Samples: &runs.Samples{
				SendLatencyMs: []float64{0, 1, 2, float64(seed) * 10},
				E2ELatencyMs:  []float64{3, 4, 500},
				WindowNs:      sec,
				Windows: []check.Window{
					{Start: 0, Sends: 4, OK: 4, Availability: 1},
					{Start: sec, Sends: 4, OK: 1, Availability: 0.25},
				},
			}})
	}
	return reliability.Build(rs).Scenarios[0]
}

func TestScenarioDrawsThreePNGs(t *testing.T) {
	figs, err := Scenario(scenario(5))
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{"latency-cdf", "availability", "loss"}
	if len(figs) != len(kinds) {
		t.Fatalf("got %d figures, want %d", len(figs), len(kinds))
	}
	for i, f := range figs {
		if f.Kind != kinds[i] {
			t.Errorf("figure %d is %q, want %q", i, f.Kind, kinds[i])
		}
		img, err := png.Decode(bytes.NewReader(f.PNG))
		if err != nil {
			t.Fatalf("%s: not a PNG: %v", f.Kind, err)
		}
		if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 200 {
			t.Errorf("%s: %v is too small", f.Kind, b)
		}
	}
}

func TestScenarioIsDeterministic(t *testing.T) {
	a, err := Scenario(scenario(5))
	if err != nil {
		t.Fatal(err)
	}
	b, err := Scenario(scenario(5))
	if err != nil {
		t.Fatal(err)
	}
	for i := range a {
		if !bytes.Equal(a[i].PNG, b[i].PNG) {
			t.Errorf("%s: two drawings of one scenario differ", a[i].Kind)
		}
	}
	c, _ := Scenario(scenario(9))
	if bytes.Equal(a[2].PNG, c[2].PNG) {
		t.Error("loss plots of different losses are identical: the data is not drawn")
	}
}

func TestNoLossStillDraws(t *testing.T) {
	figs, err := Scenario(scenario(0))
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 3 {
		t.Errorf("got %d figures for a loss-free scenario, want 3 (an all-zero loss plot says so)", len(figs))
	}
}

func TestNoDataNoPlots(t *testing.T) {
	sc := reliability.Build([]runs.Run{{Scenario: "bare", Seed: 1, Verdict: runs.Pass}}).Scenarios[0]
	figs, err := Scenario(sc)
	if err != nil {
		t.Fatal(err)
	}
	if len(figs) != 0 {
		t.Errorf("got %d figures from a run with no data", len(figs))
	}
}

func TestOverview(t *testing.T) {
	rep := reliability.Build([]runs.Run{
		{Scenario: "a", Seed: 1, Verdict: runs.Pass, Metrics: map[string]map[string]float64{"delivery": {"acknowledged": 10, "lost": 1}}},
		{Scenario: "b", Seed: 1, Verdict: runs.Pass, Metrics: map[string]map[string]float64{"delivery": {"acknowledged": 10, "lost": 0}}},
		{Scenario: "c", Seed: 1, Verdict: runs.Pass},
	})
	f, err := Overview(rep)
	if err != nil {
		t.Fatal(err)
	}
	if f == nil || f.Kind != "overview-loss" || f.Title != "seeds that lost acknowledged messages (95% Wilson interval)" {
		t.Fatalf("overview = %+v", f)
	}
	if _, err := png.Decode(bytes.NewReader(f.PNG)); err != nil {
		t.Errorf("not a PNG: %v", err)
	}
	none, err := Overview(reliability.Build([]runs.Run{{Scenario: "c", Seed: 1, Verdict: runs.Pass}}))
	if err != nil || none != nil {
		t.Errorf("overview without loss figures = %v, %v; want nil", none, err)
	}
}
