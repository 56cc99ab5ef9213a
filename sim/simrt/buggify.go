package simrt

import (
	"maps"
	"math/rand/v2"

	"rocketsim/runtime"
)

// Buggify (runtime.Buggifier) with Options.Buggify on: whether a site is
// armed for a node's run is drawn from (seed, node, site) (buggifyArmed);
// an armed site then answers yes with buggifyFires, drawn from the node's
// buggify stream. So one run exercises some rare paths heavily and leaves
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
		// From (seed, node, site) alone, so a site's arming does not
		// depend on which sites were asked before it (a new site leaves
		// the others' runs as they were).
		armed = unitFloat(mix64(w.seed^fnvString(fnvOffset, n.name+"/"+site))) < buggifyArmed
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

// mix64 is splitmix64's finaliser. The arming draw goes through it rather
// than through a fresh World.Rand stream: a PCG stream's first output for a
// fixed purpose stays close across neighbouring seeds (seeds 1..12 armed
// the same site in 9 runs of 12 at a quarter's odds), so small seeds would
// all stress the same sites.
func mix64(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// unitFloat maps x to [0, 1) by its top 53 bits.
func unitFloat(x uint64) float64 { return float64(x>>11) / (1 << 53) }
