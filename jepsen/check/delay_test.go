package check

import (
	"math"
	"testing"
	"time"
)

func TestDelayGood(t *testing.T) {
	r := Delay(load(t, "delay_good.jsonl"), DelayOptions{})
	wantVerdict(t, r, Pass)
	if r.Counts["delayed_sent"] != 2 || r.Counts["delayed_delivered"] != 2 {
		t.Fatalf("counts %v", r.Counts)
	}
	// Lateness from the ack (0.1 s after invoke): a/G 0.1s, a/H 0.2s, b/G 0.4s.
	if math.Abs(r.Figures["lateness_ms_max"]-400) > 1e-6 || math.Abs(r.Figures["lateness_ms_p50"]-200) > 1e-6 {
		t.Fatalf("figures %v", r.Figures)
	}
}

func TestDelayEarly(t *testing.T) {
	r := Delay(load(t, "delay_early.jsonl"), DelayOptions{})
	wantVerdict(t, r, Fail)
	wantAnomaly(t, r, "early_delivery", 2, 5)
	if r.Counts["early_delivery"] != 1 {
		t.Fatalf("counts %v", r.Counts)
	}
	// A 2 s clock-error bound forgives the 2 s shortfall; report-only never fails.
	wantVerdict(t, Delay(load(t, "delay_early.jsonl"), DelayOptions{ClockError: 2 * time.Second}), Pass)
	wantVerdict(t, Delay(load(t, "delay_early.jsonl"), DelayOptions{MaxEarly: -1}), Pass)
}

func TestParseDelayLevels(t *testing.T) {
	got, err := ParseDelayLevels("1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h")
	if err != nil || len(got) != len(DefaultDelayLevels) {
		t.Fatalf("%v %v", got, err)
	}
	for i := range got {
		if got[i] != DefaultDelayLevels[i] {
			t.Fatalf("level %d: %v != %v", i+1, got[i], DefaultDelayLevels[i])
		}
	}
	for _, bad := range []string{"", "5x", "s", "-1s"} {
		if _, err := ParseDelayLevels(bad); err == nil {
			t.Errorf("%q: want error", bad)
		}
	}
	if levelDelay(nil, 99) != 2*time.Hour || levelDelay(nil, 0) != 0 {
		t.Fatal("level clamp")
	}
}
