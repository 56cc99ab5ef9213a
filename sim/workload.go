package main

import (
	"fmt"
	"time"

	"rocketsim/jepsen/history"
	"rocketsim/runtime"
	"rocketsim/sim/scenario"
	"rocketsim/sim/simrt"
)

// workload is what the harness needs from one workload kind: the nodes to
// build, the final recovery, and the figures its checkers measure. The
// harness owns the world, the fault schedule and the heal; the workload
// owns its nodes' code, its history and its judgement.
type workload interface {
	// newNode returns how to build the process of topology node n.
	newNode(n scenario.Node) (runtime.NewNode, error)
	// finish runs after the liveness phase: it stops the clients, recovers
	// the servers (a power loss and a restart, for the strongest check)
	// and measures. healAt is the true time the faults were healed.
	finish(healAt time.Duration) outcome
	// history is what the clients observed, in the shared format.
	history() []history.Op
}

// outcome is a workload's measurement of one run.
type outcome struct {
	// metrics are by checker, then metric: what expectations bound.
	metrics map[string]map[string]float64
	// counts is a one-line human summary.
	counts string
	// problems are findings worth a line each (a few examples of lost
	// messages, a server that did not recover).
	problems []string
	// broken is set when the run could not be judged at all (a server that
	// never came back): the verdict is FAIL whatever the expectations say.
	broken bool
}

// workloads builds the runner of each workload kind the scenario package
// knows. A kind that validates but has no runner here is reported as an
// error at run time.
var workloads = map[string]func(w *simrt.World, s *scenario.Scenario, opts runOptions) (workload, error){
	"pingpong": newPingpongWorkload,
}

func newWorkload(w *simrt.World, s *scenario.Scenario, opts runOptions) (workload, error) {
	mk, ok := workloads[s.Workload.Kind]
	if !ok {
		return nil, fmt.Errorf("workload %q has no runner in this simulator", s.Workload.Kind)
	}
	return mk(w, s, opts)
}
