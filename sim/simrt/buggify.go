package simrt

import (
	"maps"
	"math/rand/v2"

	"rocketsim/runtime"
)

// Buggify (runtime.Buggifier) with Options.Buggify on: each node decides
// once per site, at the site's first question, whether the site is armed
// in this run (buggifyArmed); an armed site then answers yes with
// buggifyFires. So one run exercises some rare paths heavily and leaves
// others alone, and another seed picks others, as FoundationDB does. The
// draws come from a stream of their own per node: with Buggify off
// nothing is drawn and a seed's run is what it was.

// buggifyArmed is the chance a site is armed for a node's run.
const buggifyArmed = 0.25

// buggifyFires is the chance an armed site takes its rare path.
const buggifyFires = 0.25

var _ runtime.Buggifier = (*proc)(nil)

// buggify is a node's buggify state; it outlives the node's incarnations.
type buggify struct {
	rng   *rand.Rand
	armed map[string]bool // looked up, never iterated for a decision
}

// Buggify answers for the process's node; a dead process takes no rare
// path.
func (p *proc) Buggify(site string) bool {
	if p.dead {
		return false
	}
	return p.n.buggify(site)
}

func (n *Node) buggify(site string) bool {
	w := n.w
	if !w.opts.Buggify {
		return false
	}
	if n.bug == nil {
		n.bug = &buggify{rng: w.Rand("buggify/" + n.name), armed: map[string]bool{}}
	}
	armed, seen := n.bug.armed[site]
	if !seen {
		armed = n.bug.rng.Float64() < buggifyArmed
		n.bug.armed[site] = armed
	}
	if !armed || n.bug.rng.Float64() >= buggifyFires {
		return false
	}
	if w.buggifyFired == nil {
		w.buggifyFired = map[string]int{}
	}
	w.buggifyFired[site]++
	return true
}

// BuggifyFired counts, per site, the rare paths taken in this world so
// far (all nodes).
func (w *World) BuggifyFired() map[string]int { return maps.Clone(w.buggifyFired) }
