package realrt

import (
	"slices"
	"testing"
	"time"
)

func TestNowHasNoMonotonicReading(t *testing.T) {
	rt := startRT(t, "clock", Options{}, nil)
	var now time.Time
	onLoop(t, rt, func() { now = rt.Now() })
	if now != now.Round(0) {
		t.Fatalf("Now() = %v carries a monotonic reading", now)
	}
	if d := time.Since(now); d < 0 || d > time.Minute {
		t.Fatalf("Now() is %v away from the wall clock", d)
	}
}

func TestTimersFireInDeadlineOrderAndStopWorks(t *testing.T) {
	rt := startRT(t, "timers", Options{}, nil)
	var order []string
	done := make(chan struct{})
	var stopped, fired interface{ Stop() bool }
	stopResults := []bool{}
	onLoop(t, rt, func() {
		add := func(d time.Duration, name string) interface{ Stop() bool } {
			return rt.AfterFunc(d, func() { order = append(order, name) })
		}
		add(30*time.Millisecond, "30")
		add(10*time.Millisecond, "10a")
		add(20*time.Millisecond, "20")
		add(10*time.Millisecond, "10b") // same deadline range: set later, fires later
		stopped = add(15*time.Millisecond, "stopped")
		fired = add(time.Millisecond, "1")
		stopResults = append(stopResults, stopped.Stop(), stopped.Stop())
		rt.AfterFunc(40*time.Millisecond, func() { close(done) })
	})
	select {
	case <-done:
	case <-time.After(waitLimit):
		t.Fatal("timers did not fire")
	}
	var firedStop bool
	onLoop(t, rt, func() { firedStop = fired.Stop() })
	want := []string{"1", "10a", "10b", "20", "30"}
	var got []string
	onLoop(t, rt, func() { got = slices.Clone(order) })
	if !slices.Equal(got, want) {
		t.Fatalf("fire order %v, want %v", got, want)
	}
	if !slices.Equal(stopResults, []bool{true, false}) {
		t.Fatalf("Stop on a pending timer then again = %v, want [true false]", stopResults)
	}
	if firedStop {
		t.Fatal("Stop on a fired timer reported true")
	}
}

func TestTimerStoppedByEarlierCallbackDoesNotFire(t *testing.T) {
	rt := startRT(t, "timers", Options{}, nil)
	ran := make(chan string, 4)
	onLoop(t, rt, func() {
		// Both are due in the same alarm; the first stops the second.
		var second interface{ Stop() bool }
		rt.AfterFunc(5*time.Millisecond, func() {
			if !second.Stop() {
				ran <- "stop reported false"
			}
			ran <- "first"
		})
		second = rt.AfterFunc(5*time.Millisecond, func() { ran <- "second" })
		rt.AfterFunc(50*time.Millisecond, func() { ran <- "end" })
	})
	var got []string
	for len(got) == 0 || got[len(got)-1] != "end" {
		select {
		case s := <-ran:
			got = append(got, s)
		case <-time.After(waitLimit):
			t.Fatalf("got %v, no end", got)
		}
	}
	if !slices.Equal(got, []string{"first", "end"}) {
		t.Fatalf("got %v, want [first end]", got)
	}
}

func TestZeroDelayTimerChainDoesNotStarvePosts(t *testing.T) {
	rt := startRT(t, "timers", Options{}, nil)
	stop := false
	ticks := 0
	var tick func()
	tick = func() {
		ticks++
		if !stop {
			rt.AfterFunc(0, tick)
		}
	}
	onLoop(t, rt, func() { rt.AfterFunc(0, tick) })
	// If the chain ran inside one event, these Posts would never get a turn
	// and onLoop would time out.
	for n := 0; n < 50; {
		onLoop(t, rt, func() { n = ticks })
	}
	onLoop(t, rt, func() { stop = true })
}

func TestMonotonicAdvancesAndTimerWaitsItsDelay(t *testing.T) {
	rt := startRT(t, "timers", Options{}, nil)
	fired := make(chan time.Duration, 1)
	var setAt time.Duration
	onLoop(t, rt, func() {
		setAt = rt.Monotonic()
		rt.AfterFunc(20*time.Millisecond, func() { fired <- rt.Monotonic() })
	})
	select {
	case at := <-fired:
		if at-setAt < 20*time.Millisecond {
			t.Fatalf("timer fired after %v, want >= 20ms", at-setAt)
		}
	case <-time.After(waitLimit):
		t.Fatal("timer did not fire")
	}
}

func TestStopBeatsAnAlarmAlreadyQueued(t *testing.T) {
	rt := startRT(t, "timers", Options{}, nil)
	ran := make(chan struct{}, 1)
	stopped := make(chan bool, 1)
	onLoop(t, rt, func() {
		tm := rt.AfterFunc(time.Millisecond, func() { ran <- struct{}{} })
		// Queued now, so it runs before the alarm's event...
		rt.Post(func() { stopped <- tm.Stop() })
		// ...which the OS timer queues while the loop is busy here.
		time.Sleep(5 * time.Millisecond)
	})
	if !<-stopped {
		t.Fatal("Stop of a timer whose alarm was queued but not run reported false")
	}
	onLoop(t, rt, func() {}) // let the queued alarm event run
	select {
	case <-ran:
		t.Fatal("a timer ran after Stop reported true")
	case <-time.After(20 * time.Millisecond):
	}
}
