package simrt

import (
	"fmt"
	"testing"

	"rocketsim/runtime"
)

// askAll asks every site n times on node's runtime and returns the yeses
// per site.
func askAll(rt runtime.Runtime, sites []string, n int) map[string]int {
	yes := map[string]int{}
	for range n {
		for _, s := range sites {
			if runtime.Buggify(rt, s) {
				yes[s]++
			}
		}
	}
	return yes
}

func testSites() []string {
	var sites []string
	for i := range 40 {
		sites = append(sites, fmt.Sprintf("site-%d", i))
	}
	return sites
}

func TestBuggifyOffSaysNoAndDrawsNothing(t *testing.T) {
	w := New(1, Options{})
	n := w.AddNode("n", NodeConfig{}, newIdle)
	n.Start()
	if yes := askAll(n.Runtime(), testSites(), 100); len(yes) != 0 {
		t.Fatalf("buggify off answered yes: %v", yes)
	}
	if n.bug != nil || len(w.BuggifyFired()) != 0 {
		t.Fatal("buggify off kept state or counted")
	}
}

func TestBuggifyArmsSomeSitesFromTheSeed(t *testing.T) {
	run := func(seed uint64) map[string]int {
		w := New(seed, Options{Buggify: true})
		n := w.AddNode("n", NodeConfig{}, newIdle)
		n.Start()
		yes := askAll(n.Runtime(), testSites(), 400)
		if got := w.BuggifyFired(); fmt.Sprint(got) != fmt.Sprint(yes) {
			t.Fatalf("world counted %v, the node said yes %v", got, yes)
		}
		return yes
	}
	a, again, other := run(7), run(7), run(8)
	if fmt.Sprint(a) != fmt.Sprint(again) {
		t.Fatalf("one seed, two answers: %v / %v", a, again)
	}
	if fmt.Sprint(a) == fmt.Sprint(other) {
		t.Fatalf("two seeds armed the same sites the same way: %v", a)
	}
	// About a quarter of the sites armed; an armed site says yes about a
	// quarter of the time, an unarmed one never.
	armed := len(a)
	if armed < 3 || armed > 20 {
		t.Fatalf("%d of 40 sites armed, want about 10", armed)
	}
	for s, n := range a {
		if n < 50 || n > 150 {
			t.Fatalf("armed site %s said yes %d of 400 times, want about 100", s, n)
		}
	}
}

func TestBuggifyDeadProcessSaysNo(t *testing.T) {
	w := New(1, Options{Buggify: true})
	n := w.AddNode("n", NodeConfig{}, newIdle)
	n.Start()
	rt := n.Runtime()
	n.Crash()
	if yes := askAll(rt, testSites(), 100); len(yes) != 0 {
		t.Fatalf("a dead process's runtime answered yes: %v", yes)
	}
}

// Neighbouring seeds arm a site independently: about a quarter of seeds
// 1..400, and no long run of small seeds all arming it (a PCG stream's
// first draw correlates across neighbouring seeds; the arming draw must
// not).
func TestBuggifyArmingVariesWithTheSeed(t *testing.T) {
	armedIn := func(seed uint64) bool {
		w := New(seed, Options{Buggify: true})
		n := w.AddNode("broker-b", NodeConfig{}, newIdle)
		n.Start()
		runtime.Buggify(n.Runtime(), "broker/send-busy")
		return n.bug.armed["broker/send-busy"]
	}
	total, first := 0, 0
	for seed := uint64(1); seed <= 400; seed++ {
		if armedIn(seed) {
			total++
			if seed <= 16 {
				first++
			}
		}
	}
	if total < 60 || total > 140 {
		t.Fatalf("armed in %d of 400 seeds, want about 100", total)
	}
	if first > 9 {
		t.Fatalf("armed in %d of seeds 1..16, want about 4", first)
	}
}
