package realrt

import (
	"testing"
	"time"

	"rocketsim/faults"
	"rocketsim/runtime"
)

// pauseFault is a Pause or Resume of the node named name.
func pauseFault(kind faults.Kind, name string) faults.Fault {
	return faults.Fault{Kind: kind, Nodes: []string{name}}
}

func TestPauseHoldsEventsAndTimersUntilResume(t *testing.T) {
	var r runtime.Runtime
	rt := startRT(t, "p", Options{}, func(x runtime.Runtime) (runtime.Node, error) { r = x; return &nopNode{}, nil })
	fired := make(chan time.Time, 1)
	onLoop(t, rt, func() { r.AfterFunc(20*time.Millisecond, func() { fired <- time.Now() }) })

	if err := rt.ApplyFault(pauseFault(faults.Pause, "p")); err != nil {
		t.Fatal(err)
	}
	if err := rt.ApplyFault(pauseFault(faults.Pause, "p")); err != nil { // a second pause is a no-op
		t.Fatal(err)
	}
	if !rt.Paused() {
		t.Fatal("Paused() false after Pause")
	}
	ran := make(chan struct{})
	rt.Post(func() { close(ran) })
	// Nothing runs while paused, however long we look: neither the posted
	// event nor the timer that fell due.
	select {
	case <-ran:
		t.Fatal("a posted event ran while the node was paused")
	case <-fired:
		t.Fatal("a timer fired while the node was paused")
	case <-time.After(100 * time.Millisecond):
	}
	resumed := time.Now()
	if err := rt.ApplyFault(pauseFault(faults.Resume, "p")); err != nil {
		t.Fatal(err)
	}
	if rt.Paused() {
		t.Fatal("Paused() true after Resume")
	}
	select {
	case <-ran:
	case <-time.After(waitLimit):
		t.Fatal("the posted event did not run after Resume")
	}
	select {
	case at := <-fired:
		if at.Before(resumed) {
			t.Fatalf("timer fired at %v, before the resume at %v", at, resumed)
		}
	case <-time.After(waitLimit):
		t.Fatal("the timer did not fire after Resume")
	}
	// Resume without a pause does nothing.
	if err := rt.ApplyFault(pauseFault(faults.Resume, "p")); err != nil {
		t.Fatal(err)
	}
	onLoop(t, rt, func() {})
}

func TestStopAndKillEndAPausedNode(t *testing.T) {
	for _, kill := range []bool{false, true} {
		node := &nopNode{stopped: make(chan struct{})}
		rt := New("p", Options{})
		if err := rt.Start(func(runtime.Runtime) (runtime.Node, error) { return node, nil }); err != nil {
			t.Fatal(err)
		}
		if err := rt.ApplyFault(pauseFault(faults.Pause, "p")); err != nil {
			t.Fatal(err)
		}
		ended := make(chan struct{})
		go func() {
			if kill {
				rt.Kill()
			} else {
				rt.Stop()
			}
			close(ended)
		}()
		select {
		case <-ended:
		case <-time.After(waitLimit):
			t.Fatalf("kill=%v: a paused node never ended", kill)
		}
		select {
		case <-node.stopped:
			if kill {
				t.Fatal("Kill of a paused node ran its Stop")
			}
		default:
			if !kill {
				t.Fatal("Stop of a paused node did not run its Stop")
			}
		}
		// Pausing a stopped node is harmless.
		if err := rt.ApplyFault(pauseFault(faults.Pause, "p")); err != nil {
			t.Fatal(err)
		}
		if rt.Paused() {
			t.Fatal("a stopped node reports paused")
		}
	}
}
