package check

import (
	"testing"
	"time"
)

var retryOpt = RetryOptions{MaxReconsumeTimes: 2, RetryDelays: []time.Duration{10 * time.Second, 30 * time.Second}, RequireDLQ: true}

func TestRetryGood(t *testing.T) {
	r := Retry(load(t, "retry_good.jsonl"), retryOpt)
	wantVerdict(t, r, Pass)
	if r.Counts["retried_messages"] != 2 || r.Counts["dead_lettered"] != 1 {
		t.Fatalf("counts %v", r.Counts)
	}
	if r.Figures["retry_wait_beyond_delay_ms_max"] < 0 {
		t.Fatalf("figures %v", r.Figures)
	}
}

func TestRetryDefaults(t *testing.T) {
	o := RetryOptions{}
	if o.max() != 16 || o.retryDelay(1) != 10*time.Second || o.retryDelay(2) != 30*time.Second || o.retryDelay(16) != 2*time.Hour {
		t.Fatalf("defaults: %d %v %v %v", o.max(), o.retryDelay(1), o.retryDelay(2), o.retryDelay(16))
	}
	// A clock-error bound as large as the shortfall forgives an early retry.
	opt := retryOpt
	opt.ClockError = 6 * time.Second
	wantVerdict(t, Retry(load(t, "retry_early.jsonl"), opt), Pass)
	// Settle time covers a retry not yet due.
	opt = retryOpt
	opt.Settle = 200 * time.Second
	wantVerdict(t, Retry(load(t, "retry_lost.jsonl"), opt), Pass)
}
