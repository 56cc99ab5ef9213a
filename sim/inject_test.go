package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"rocketsim/faults"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simnet"
	"rocketsim/sim/simrt"
)

// idle is a node that does nothing: the injector's effects are read from
// the world, not from a workload.
type idle struct{}

func (idle) Stop() {}

func newIdle(runtime.Runtime) (runtime.Node, error) { return idle{}, nil }

func testWorld(t *testing.T) (*simrt.World, *injector) {
	t.Helper()
	w := simrt.New(1, simrt.Options{})
	names := []string{"a", "b", "c"}
	initial := map[string]simdisk.Options{}
	for _, n := range names {
		initial[n] = simdisk.Options{Capacity: 1 << 20, FsyncFailProb: 0}
		w.AddNode(n, simrt.NodeConfig{Disk: initial[n]}, newIdle).Start()
	}
	return w, newInjector(w, names, initial, simnet.DefaultLink())
}

func TestInjectorNodeFaults(t *testing.T) {
	w, in := testWorld(t)
	a := w.Node("a")
	apply := func(f faults.Fault) {
		t.Helper()
		if err := in.Apply(f); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	apply(faults.Fault{Kind: faults.Pause, Nodes: []string{"a"}})
	if !a.Paused() {
		t.Error("pause: not paused")
	}
	apply(faults.Fault{Kind: faults.Resume, Nodes: []string{"a"}})
	if a.Paused() {
		t.Error("resume: still paused")
	}
	apply(faults.Fault{Kind: faults.Crash, Nodes: []string{"a", "b"}})
	if a.Up() || w.Node("b").Up() || !w.Node("c").Up() {
		t.Error("crash a, b: wrong nodes down")
	}
	inc := a.Incarnation()
	apply(faults.Fault{Kind: faults.Restart, Nodes: []string{"a"}})
	if !a.Up() || a.Incarnation() != inc+1 {
		t.Errorf("restart of a downed node: up %v incarnation %d", a.Up(), a.Incarnation())
	}
	apply(faults.Fault{Kind: faults.Restart, Nodes: []string{"a"}})
	if !a.Up() || a.Incarnation() != inc+2 {
		t.Errorf("restart of a running node: up %v incarnation %d", a.Up(), a.Incarnation())
	}
	apply(faults.Fault{Kind: faults.PowerLoss, Nodes: []string{"a"}})
	if a.Up() {
		t.Error("power loss: still up")
	}

	apply(faults.Fault{Kind: faults.DiskFull, Nodes: []string{"c"}})
	if d := w.Node("c").Disk(); d.Capacity() != d.Used() {
		t.Errorf("disk-full without capacity: capacity %d, used %d", d.Capacity(), d.Used())
	}
	apply(faults.Fault{Kind: faults.DiskFull, Nodes: []string{"c"}, Capacity: 4096})
	if c := w.Node("c").Disk().Capacity(); c != 4096 {
		t.Errorf("disk-full 4096: capacity %d", c)
	}
	apply(faults.Fault{Kind: faults.DiskFree, Nodes: []string{"c"}})
	if c := w.Node("c").Disk().Capacity(); c != 1<<20 {
		t.Errorf("disk-free: capacity %d, want the initial 1MiB", c)
	}

	c := w.Node("c").Clock()
	apply(faults.Fault{Kind: faults.ClockOffset, Nodes: []string{"c"}, Offset: time.Minute})
	apply(faults.Fault{Kind: faults.ClockJump, Nodes: []string{"c"}, By: -10 * time.Second})
	if c.Offset() != 50*time.Second {
		t.Errorf("offset 1m then jump -10s: offset %v", c.Offset())
	}
	apply(faults.Fault{Kind: faults.ClockDrift, Nodes: []string{"c"}, Rate: 1.5})
	if c.Rate() != 1.5 {
		t.Errorf("drift: rate %v", c.Rate())
	}

	in.healAll()
	for _, n := range w.Nodes() {
		if !n.Up() || n.Paused() {
			t.Errorf("after healAll %s: up %v paused %v", n.Name(), n.Up(), n.Paused())
		}
	}
}

func TestInjectorNetworkFaults(t *testing.T) {
	w, in := testWorld(t)
	net := w.Net()
	if err := in.Apply(faults.Fault{Kind: faults.Partition, Groups: [][]string{{"a"}, {"b"}, {"c"}}}); err != nil {
		t.Fatal(err)
	}
	for _, p := range [][2]string{{"a", "b"}, {"b", "a"}, {"a", "c"}, {"c", "b"}} {
		if !net.Blocked(p[0], p[1]) {
			t.Errorf("three-way partition: %s>%s open", p[0], p[1])
		}
	}
	in.Apply(faults.Fault{Kind: faults.Heal})
	if net.Blocked("a", "b") {
		t.Error("heal: a>b still blocked")
	}
	in.Apply(faults.Fault{Kind: faults.PartitionOneWay, From: []string{"a"}, To: []string{"b", "c"}})
	if !net.Blocked("a", "b") || !net.Blocked("a", "c") || net.Blocked("b", "a") {
		t.Error("one-way partition a>b,c: wrong directions blocked")
	}
	if err := in.Apply(faults.Fault{Kind: faults.LinkLatency, Min: time.Millisecond, Max: 2 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	if err := in.Apply(faults.Fault{Kind: faults.LinkLoss, From: []string{"a"}, Prob: 0.2}); err != nil {
		t.Fatal(err)
	}
	ab, ca := in.links[[2]string{"a", "b"}], in.links[[2]string{"c", "a"}]
	if ab.Min != time.Millisecond || ab.LossProb != 0.2 || ca.LossProb != 0.2 || in.links[[2]string{"b", "c"}].LossProb != 0 {
		t.Errorf("link state after latency then loss from a: a>b %+v, c>a %+v", ab, ca)
	}
	in.healAll()
	if net.Blocked("a", "b") || len(in.links) != 0 {
		t.Error("healAll left a partition or a changed link")
	}
}

func TestInjectorPartitionShapes(t *testing.T) {
	w, in := testWorld(t)
	net := w.Net()
	in.Apply(faults.Fault{Kind: faults.Isolate, Nodes: []string{"b"}})
	if !net.Blocked("b", "a") || !net.Blocked("c", "b") || net.Blocked("a", "c") {
		t.Error("isolate b: wrong links cut")
	}
	in.Apply(faults.Fault{Kind: faults.Heal})

	in.Apply(faults.Fault{Kind: faults.Bridge, Nodes: []string{"b"}})
	if net.Blocked("a", "b") || net.Blocked("b", "c") || net.Blocked("c", "b") || !net.Blocked("a", "c") || !net.Blocked("c", "a") {
		t.Error("bridge b: a and c must be cut apart, both keeping b")
	}
	in.Apply(faults.Fault{Kind: faults.Heal})

	// Random halves of three nodes: one alone, two together, drawn by
	// seed; over several draws more than one node ends up alone.
	alone := map[string]bool{}
	for range 20 {
		in.Apply(faults.Fault{Kind: faults.PartitionRandom})
		cut := 0
		for _, a := range in.names {
			blockedFromAll := true
			for _, b := range in.names {
				if a != b && !net.Blocked(a, b) {
					blockedFromAll = false
				}
				if a != b && net.Blocked(a, b) {
					cut++
				}
			}
			if blockedFromAll {
				alone[a] = true
			}
		}
		if cut != 4 {
			t.Fatalf("random halves of 3 nodes: %d directed links cut, want 4", cut)
		}
		in.Apply(faults.Fault{Kind: faults.Heal})
	}
	if len(alone) < 2 {
		t.Errorf("20 random partitions always isolated the same node: %v", alone)
	}

	// Same seed, same halves.
	w2, in2 := testWorld(t)
	in2.Apply(faults.Fault{Kind: faults.PartitionRandom})
	_, in1 := testWorld(t)
	in1.Apply(faults.Fault{Kind: faults.PartitionRandom})
	for _, a := range in.names {
		for _, b := range in.names {
			if w2.Net().Blocked(a, b) != in1.w.Net().Blocked(a, b) {
				t.Fatalf("one seed drew two different random partitions (%s>%s)", a, b)
			}
		}
	}
}

func TestInjectorPick(t *testing.T) {
	w, in := testWorld(t)
	seen := map[string]bool{}
	for range 20 {
		if err := in.Apply(faults.Fault{Kind: faults.Crash, Nodes: []string{"a", "b", "c"}, Pick: 1}); err != nil {
			t.Fatal(err)
		}
		var down []string
		for _, n := range w.Nodes() {
			if !n.Up() {
				down = append(down, n.Name())
			}
		}
		if len(down) != 1 {
			t.Fatalf("crash pick 1: %v down", down)
		}
		seen[down[0]] = true
		in.healAll()
	}
	if len(seen) < 2 {
		t.Errorf("pick 1 of 3 always chose %v", seen)
	}
}

func TestInjectorReportsFailedRestart(t *testing.T) {
	w := simrt.New(1, simrt.Options{})
	fail := false
	w.AddNode("a", simrt.NodeConfig{}, func(runtime.Runtime) (runtime.Node, error) {
		if fail {
			return nil, errors.New("disk full")
		}
		return idle{}, nil
	}).Start()
	in := newInjector(w, []string{"a"}, map[string]simdisk.Options{}, simnet.DefaultLink())
	fail = true
	err := in.Apply(faults.Fault{Kind: faults.Restart, Nodes: []string{"a"}})
	if err == nil || !strings.Contains(err.Error(), "disk full") || w.Node("a").Up() {
		t.Errorf("a refused restart: error %v, up %v", err, w.Node("a").Up())
	}
	fail = false
	in.healAll()
	if !w.Node("a").Up() {
		t.Error("healAll did not start the node")
	}
}

func TestInjectorRefusesUnknownNodes(t *testing.T) {
	w, in := testWorld(t)
	err := in.Apply(faults.Fault{Kind: faults.Crash, Nodes: []string{"a", "zz"}})
	if err == nil || !strings.Contains(err.Error(), `"zz"`) {
		t.Fatalf("crash of an unknown node: %v", err)
	}
	if !w.Node("a").Up() {
		t.Error("a fault naming an unknown node was half applied")
	}
	if err := in.Apply(faults.Fault{Kind: faults.Partition, Groups: [][]string{{"a"}, {"nope"}}}); err == nil {
		t.Error("partition with an unknown node applied")
	}
	if w.Net().Blocked("a", "b") {
		t.Error("network changed by a refused fault")
	}
}
