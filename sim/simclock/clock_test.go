package simclock

import (
	"testing"
	"time"
)

type fakeTime struct{ t time.Duration }

func (f *fakeTime) now() time.Duration { return f.t }

func TestWallAndMonotonicAtRateOne(t *testing.T) {
	ft := &fakeTime{}
	c := New(ft.now)
	ft.t = 5 * time.Second
	if got, want := c.Now(), Epoch.Add(5*time.Second); !got.Equal(want) {
		t.Fatalf("Now = %v, want %v", got, want)
	}
	if got := c.Monotonic(); got != 5*time.Second {
		t.Fatalf("Monotonic = %v, want 5s", got)
	}
	c.ProcessStart()
	ft.t = 7 * time.Second
	if got := c.Monotonic(); got != 2*time.Second {
		t.Fatalf("Monotonic after restart = %v, want 2s", got)
	}
	if got, want := c.Now(), Epoch.Add(7*time.Second); !got.Equal(want) {
		t.Fatalf("restart moved wall clock: %v, want %v", got, want)
	}
}

func TestJumpMovesWallNotMonotonic(t *testing.T) {
	ft := &fakeTime{t: time.Second}
	c := New(ft.now)
	deadline := c.TrueAt(c.Monotonic() + 10*time.Second)
	c.Jump(-time.Hour)
	c.SetOffset(c.Offset() + 30*time.Minute)
	if got, want := c.Now(), Epoch.Add(time.Second-30*time.Minute); !got.Equal(want) {
		t.Fatalf("Now after jumps = %v, want %v", got, want)
	}
	if got := c.Monotonic(); got != time.Second {
		t.Fatalf("jump moved monotonic clock to %v", got)
	}
	if got := c.TrueAt(11 * time.Second); got != deadline || got != 11*time.Second {
		t.Fatalf("jump moved timer deadline: %v, was %v", got, deadline)
	}
}

func TestDriftScalesClocksAndDeadlines(t *testing.T) {
	ft := &fakeTime{}
	c := New(ft.now)
	c.SetDrift(1.25)
	// 10 s on a clock running 25% fast takes 8 s of true time.
	if got := c.TrueAt(10 * time.Second); got != 8*time.Second {
		t.Fatalf("TrueAt(10s) at rate 1.25 = %v, want 8s", got)
	}
	ft.t = 4 * time.Second
	if got := c.Monotonic(); got != 5*time.Second {
		t.Fatalf("Monotonic at 4s true = %v, want 5s", got)
	}
	// Changing the rate keeps the readings continuous.
	c.SetDrift(0.5)
	if got := c.Monotonic(); got != 5*time.Second {
		t.Fatalf("SetDrift made monotonic jump to %v", got)
	}
	if got, want := c.Now(), Epoch.Add(5*time.Second); !got.Equal(want) {
		t.Fatalf("SetDrift made wall jump to %v", got)
	}
	// 5 more seconds of clock at rate 0.5 take 10 s of true time.
	if got := c.TrueAt(10 * time.Second); got != 14*time.Second {
		t.Fatalf("TrueAt(10s) after slowdown = %v, want 14s", got)
	}
}

func TestTrueAtNeverEarly(t *testing.T) {
	ft := &fakeTime{}
	c := New(ft.now)
	for _, rate := range []float64{1.0001, 0.9999, 1.3, 0.7, 1.0000003} {
		c.SetDrift(rate)
		for _, m := range []time.Duration{1, 999, time.Millisecond + 7, 3*time.Second + 1, time.Hour + 13} {
			target := c.Monotonic() + m
			at := c.TrueAt(target)
			if at < ft.t {
				t.Fatalf("rate %v: TrueAt in the past", rate)
			}
			if got := c.MonotonicAt(at); got < target {
				t.Fatalf("rate %v: at %v monotonic %v < target %v", rate, at, got, target)
			}
			if at > ft.t {
				if got := c.MonotonicAt(at - 1); got >= target {
					t.Fatalf("rate %v: TrueAt %v not the earliest (1ns earlier reads %v >= %v)", rate, at, got, target)
				}
			}
		}
		ft.t += 17 * time.Second
	}
}

func TestSetDriftRejectsAbsurdRate(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("SetDrift(0) did not panic")
		}
	}()
	New(func() time.Duration { return 0 }).SetDrift(0)
}

func TestOnRateChangeRuns(t *testing.T) {
	c := New(func() time.Duration { return 0 })
	n := 0
	c.OnRateChange(func() { n++ })
	c.SetDrift(1.1)
	c.SetDrift(1.0)
	if n != 2 {
		t.Fatalf("OnRateChange ran %d times, want 2", n)
	}
}

func TestTrueAtFarFuture(t *testing.T) {
	ft := &fakeTime{t: time.Hour}
	c := New(ft.now)
	c.SetDrift(0.5)
	for _, m := range []time.Duration{Never, Never + 5, 1<<63 - 1} {
		if got := c.TrueAt(m); got != Never {
			t.Fatalf("TrueAt(%d) = %d, want Never", m, got)
		}
	}
	c.SetDrift(1)
	if got := c.TrueAt(1<<63 - 1); got != Never {
		t.Fatalf("TrueAt(max) at rate 1 = %d, want Never", got)
	}
}
