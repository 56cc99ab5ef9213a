package main

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"slices"
	"time"

	"rocketsim/faults"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simnet"
	"rocketsim/sim/simrt"
)

// injector applies faults to a simulated world. It also remembers what each
// node started with, so healAll can undo every fault before the liveness
// phase.
type injector struct {
	w     *simrt.World
	names []string // every node, in topology order
	// initial is each node's disk configuration at start.
	initial map[string]simdisk.Options
	// base is every link's configuration at start (the scenario's
	// network); links holds the directed links faults changed from it, so
	// healAll can put exactly those back.
	base  simnet.LinkConfig
	links map[[2]string]simnet.LinkConfig
	// rng draws random partitions; it is the world's stream for the
	// purpose, so a seed replays the same halves.
	rng *rand.Rand
}

var _ faults.Injector = (*injector)(nil)

// newInjector returns an injector for the nodes names of w. It sets every
// link to base, which is the scenario's network.
func newInjector(w *simrt.World, names []string, initial map[string]simdisk.Options, base simnet.LinkConfig) *injector {
	in := &injector{w: w, names: names, initial: initial, rng: w.Rand("faults/inject"), base: base, links: map[[2]string]simnet.LinkConfig{}}
	in.eachLink(names, names, func(a, b string) {
		if err := w.Net().SetLinkOneWay(a, b, base); err != nil {
			panic(fmt.Sprintf("sim: set link %s>%s of a known node: %v", a, b, err))
		}
	})
	return in
}

// eachLink calls fn for every directed link from a node of from to a
// different node of to, in order.
func (in *injector) eachLink(from, to []string, fn func(a, b string)) {
	for _, a := range from {
		for _, b := range to {
			if a != b {
				fn(a, b)
			}
		}
	}
}

// changeLinks applies change to the directed links between from and to
// (both ways; empty means every node).
func (in *injector) changeLinks(from, to []string, change func(*simnet.LinkConfig)) {
	if len(from) == 0 {
		from = in.names
	}
	if len(to) == 0 {
		to = in.names
	}
	set := func(a, b string) {
		key := [2]string{a, b}
		cfg, ok := in.links[key]
		if !ok {
			cfg = in.base
		}
		change(&cfg)
		in.links[key] = cfg
		if err := in.w.Net().SetLinkOneWay(a, b, cfg); err != nil {
			panic(fmt.Sprintf("sim: set link %s>%s after checking nodes: %v", a, b, err))
		}
	}
	in.eachLink(from, to, set)
	in.eachLink(to, from, set)
}

// uniform draws a duration uniformly from [min, max].
func uniform(lo, hi time.Duration) func(*rand.Rand) time.Duration {
	if hi <= lo {
		return func(*rand.Rand) time.Duration { return lo }
	}
	return func(r *rand.Rand) time.Duration { return lo + time.Duration(r.Int64N(int64(hi-lo)+1)) }
}

// Apply injects f. It checks every target first, so an unknown node leaves
// the world untouched.
func (in *injector) Apply(f faults.Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	for _, name := range f.Targets() {
		if in.w.Node(name) == nil {
			return fmt.Errorf("fault %s: unknown node %q", f.Kind, name)
		}
	}
	if f.Pick > 0 {
		f.Nodes = in.pick(f.Nodes, f.Pick)
		f.Pick = 0
	}
	desc := f.String()
	// The fault enters the trace by name and digest, so a trace file shows
	// where each one struck and two runs that inject differently differ.
	in.w.Note("fault/"+string(f.Kind), fnv64(desc))
	in.w.Log().Info("fault", "fault", desc)
	net := in.w.Net()
	for _, name := range f.Nodes {
		n := in.w.Node(name)
		switch f.Kind {
		case faults.Crash:
			n.Crash()
		case faults.Restart:
			n.Restart()
			if err := n.Err(); err != nil {
				// The node refused to start (its disk is full, say): it
				// stays down until a later restart or the final heal.
				return fmt.Errorf("restart %s: %w", name, err)
			}
		case faults.PowerLoss:
			n.PowerLoss()
		case faults.Pause:
			n.Pause()
		case faults.Resume:
			n.Resume()
		case faults.DiskFull:
			c := f.Capacity
			if c == 0 {
				c = n.Disk().Used()
			}
			n.Disk().SetCapacity(c)
		case faults.DiskFree:
			c := in.initial[name].Capacity
			if c == 0 {
				c = simdisk.CapacityDefault
			}
			n.Disk().SetCapacity(c)
		case faults.FsyncLatency:
			n.Disk().SetFsyncLatency(uniform(f.Min, f.Max))
		case faults.FsyncFail:
			n.Disk().SetFsyncFailProb(f.Prob)
		case faults.ClockOffset:
			n.Clock().SetOffset(f.Offset)
		case faults.ClockDrift:
			n.Clock().SetDrift(f.Rate)
		case faults.ClockJump:
			n.Clock().Jump(f.By)
		}
	}
	switch f.Kind {
	case faults.Partition:
		in.partition(f.Groups)
	case faults.PartitionOneWay:
		if err := net.PartitionOneWay(f.From, f.To); err != nil {
			panic(fmt.Sprintf("sim: one-way partition after checking nodes: %v", err))
		}
	case faults.Isolate:
		in.partition([][]string{f.Nodes, in.others(f.Nodes)})
	case faults.PartitionRandom:
		in.partition(in.halves(in.names))
	case faults.Bridge:
		h := in.halves(in.others(f.Nodes))
		// Both halves keep the bridge node; only the halves are cut apart.
		in.partition(h)
	case faults.Heal:
		net.Heal()
	case faults.LinkLatency:
		in.changeLinks(f.From, f.To, func(c *simnet.LinkConfig) { c.Latency, c.Min, c.Max = nil, f.Min, f.Max })
	case faults.LinkLoss:
		in.changeLinks(f.From, f.To, func(c *simnet.LinkConfig) { c.LossProb = f.Prob })
	}
	return nil
}

// partition cuts every pair of groups apart, both ways.
func (in *injector) partition(groups [][]string) {
	for i := range groups {
		for j := i + 1; j < len(groups); j++ {
			if len(groups[i]) == 0 || len(groups[j]) == 0 {
				continue
			}
			if err := in.w.Net().Partition(groups[i], groups[j]); err != nil {
				panic(fmt.Sprintf("sim: partition after checking nodes: %v", err))
			}
		}
	}
	in.w.Log().Info("partitioned", "groups", fmt.Sprint(groups))
}

func fnv64(s string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(s))
	return h.Sum64()
}

// pick chooses n of names at random, keeping their order.
func (in *injector) pick(names []string, n int) []string {
	idx := in.rng.Perm(len(names))[:n]
	slices.Sort(idx)
	out := make([]string, n)
	for i, j := range idx {
		out[i] = names[j]
	}
	return out
}

// others returns every node not in names, in topology order.
func (in *injector) others(names []string) []string {
	var out []string
	for _, n := range in.names {
		if !slices.Contains(names, n) {
			out = append(out, n)
		}
	}
	return out
}

// halves splits names into two non-empty random halves (sizes differing by
// at most one) when there are at least two names.
func (in *injector) halves(names []string) [][]string {
	shuffled := slices.Clone(names)
	in.rng.Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	mid := len(shuffled) / 2
	a, b := shuffled[:mid], shuffled[mid:]
	slices.Sort(a)
	slices.Sort(b)
	return [][]string{a, b}
}

// healAll ends every fault that stops progress: partitions, pauses, downed
// processes, full or failing disks, slow links. Clocks keep their skew: a
// node must make progress whatever its clock says.
func (in *injector) healAll() {
	in.w.Log().Info("healing every fault for the liveness phase")
	in.w.Net().Heal()
	in.eachLink(in.names, in.names, func(a, b string) {
		if _, changed := in.links[[2]string{a, b}]; changed {
			if err := in.w.Net().SetLinkOneWay(a, b, in.base); err != nil {
				panic(fmt.Sprintf("sim: reset link %s>%s: %v", a, b, err))
			}
		}
	})
	clear(in.links)
	for _, name := range in.names {
		n := in.w.Node(name)
		init := in.initial[name]
		d := n.Disk()
		c := init.Capacity
		if c == 0 {
			c = simdisk.CapacityDefault
		}
		d.SetCapacity(c)
		d.SetFsyncFailProb(init.FsyncFailProb)
		d.SetFsyncLatency(init.FsyncLatency)
		if n.Paused() {
			n.Resume()
		}
		if !n.Up() {
			n.Start()
		}
	}
}
