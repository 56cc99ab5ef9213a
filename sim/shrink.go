package main

import (
	"fmt"
	"io"
	"slices"
	"time"

	"rocketsim/sim/scenario"
)

// Bounds of one shrink.
const (
	// shrinkRunsMax bounds the simulations a shrink may spend.
	shrinkRunsMax = 300
	// shrinkDurationMin is the shortest duration a shrink tries.
	shrinkDurationMin = time.Second
)

// shrunk is the smallest failing variant a shrink found.
type shrunk struct {
	s    *scenario.Scenario
	src  []byte
	rep  *report
	runs int
}

// violations names the expectations a run violated.
func violations(rep *report) []string {
	var v []string
	for _, j := range rep.Judgements {
		if !j.Pass {
			v = append(v, j.Checker+"."+j.Key)
		}
	}
	return v
}

// shrinkScenario removes faults, client nodes and simulated time from a
// scenario that fails with seed, as long as it keeps failing one of the
// expectations the original run violated. It is greedy (one element at a
// time, repeated until nothing more can go), which is enough for schedules
// of tens of faults. It returns nil when the original run passes.
func shrinkScenario(s *scenario.Scenario, seed uint64, opts runOptions, progress io.Writer) (*shrunk, error) {
	rep, err := run(s, seed, opts)
	if err != nil {
		return nil, err
	}
	if rep.Pass {
		return nil, nil
	}
	target := violations(rep)
	src, err := s.Source()
	if err != nil {
		return nil, err
	}
	best := &shrunk{s: s, src: src, rep: rep, runs: 1}
	// try runs an edit of the best so far and keeps it if it still fails
	// the same way.
	try := func(e scenario.Edit) bool {
		if best.runs >= shrinkRunsMax {
			return false
		}
		cand, src, err := best.s.Edit(e)
		if err != nil {
			return false // the edit made the scenario invalid
		}
		best.runs++
		rep, err := run(cand, seed, opts)
		if err != nil || rep.Pass {
			return false
		}
		same := len(target) == 0 && len(violations(rep)) == 0 // e.g. the server never recovered
		for _, v := range violations(rep) {
			same = same || slices.Contains(target, v)
		}
		if !same {
			return false
		}
		best.s, best.src, best.rep = cand, src, rep
		if progress != nil {
			fmt.Fprintf(progress, "shrink: %d faults, %d nodes, %v (run %d)\n", len(cand.Faults), len(cand.Topology.Nodes), cand.Duration, best.runs)
		}
		return true
	}

	// Faults: all at once first (often the failure needs none), then one
	// at a time from the end, until a whole pass removes nothing.
	if len(best.s.Faults) > 0 {
		all := make([]int, len(best.s.Faults))
		for i := range all {
			all[i] = i
		}
		try(scenario.Edit{DropFaults: all})
	}
	for changed := true; changed; {
		changed = false
		for i := len(best.s.Faults) - 1; i >= 0; i-- {
			if try(scenario.Edit{DropFaults: []int{i}}) {
				changed = true
			}
		}
	}
	// Nodes: clients the failure does not need (validation refuses to drop
	// a role below its minimum or a node a fault names).
	for i := len(best.s.Topology.Nodes) - 1; i >= 0; i-- {
		if i < len(best.s.Topology.Nodes) {
			try(scenario.Edit{DropNodes: []string{best.s.Topology.Nodes[i].Name}})
		}
	}
	// Time: halve the duration while it still fails.
	for d := best.s.Duration / 2; d >= shrinkDurationMin; d /= 2 {
		if !try(scenario.Edit{Duration: d.Round(time.Millisecond)}) {
			break
		}
	}
	return best, nil
}
