package main

import (
	"fmt"
	"io"
	"time"

	"rocketsim/jepsen/history"
	"rocketsim/sim/pingpong"
	"rocketsim/sim/scenario"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simnet"
	"rocketsim/sim/simrt"
)

// runOptions are the knobs of one run beyond the scenario and seed.
type runOptions struct {
	// log receives the nodes' log lines (nil: discarded).
	log io.Writer
	// trace receives one line per delivered event (nil: none).
	trace io.Writer
	// serverBugs plants bugs in the pingpong server: tests use it to show
	// the checker catches them. Scenario files cannot set it.
	serverBugs pingpong.Bugs
}

// report is everything a run found out.
type report struct {
	Scenario   string                        `json:"scenario"`
	Workload   string                        `json:"workload"`
	Path       string                        `json:"path"`
	Seed       uint64                        `json:"seed"`
	TraceHash  string                        `json:"trace_hash"`
	Pass       bool                          `json:"pass"`
	Events     uint64                        `json:"events"`
	Simulated  time.Duration                 `json:"simulated_ns"`
	Faults     []string                      `json:"faults"`
	Problems   []string                      `json:"problems,omitempty"`
	Judgements []scenario.Judgement          `json:"judgements"`
	Metrics    map[string]map[string]float64 `json:"metrics"`
	Counts     string                        `json:"counts"`
	// Buggified counts the rare paths the nodes took, per site (a
	// scenario with buggify: true).
	Buggified map[string]int `json:"buggified,omitempty"`
	// History is what the clients observed, in the shared format.
	History []history.Op `json:"-"`
}

// settleTeardown is how long the run goes on after the final recovery, so
// the trace covers the connections' teardown.
const settleTeardown = time.Second

// run simulates one scenario with one seed and judges it. It is the whole
// job of the CLI minus flags and printing, so tests call it directly.
//
// A run has three phases, after TigerBeetle's VOPR: a safety phase with the
// scheduled faults, a liveness phase with every fault healed, and a final
// recovery that the workload's checkers judge.
func run(s *scenario.Scenario, seed uint64, opts runOptions) (*report, error) {
	w := simrt.New(seed, simrt.Options{LogWriter: opts.log, TraceWriter: opts.trace, Buggify: s.Buggify})
	rep := &report{Scenario: s.Name, Workload: s.Workload.Kind, Path: s.Path, Seed: seed}
	wl, err := newWorkload(w, s, opts)
	if err != nil {
		return nil, err
	}

	var names []string
	initial := map[string]simdisk.Options{}
	for _, n := range s.Topology.Nodes {
		disk := simdisk.Options{
			Capacity:            int64(n.Disk.Capacity),
			SectorSize:          n.Disk.SectorSize,
			PartialWriteOnFull:  n.Disk.PartialWriteOnFull,
			FsyncFailProb:       n.Disk.FsyncFailProb,
			FsyncFailDropsDirty: n.Disk.FsyncFailDropsDirty,
		}
		if r := n.Disk.FsyncLatency; r.Max > 0 {
			disk.FsyncLatency = uniform(r.Min, r.Max)
		}
		initial[n.Name] = disk
		newNode, err := wl.newNode(n)
		if err != nil {
			return nil, err
		}
		w.AddNode(n.Name, simrt.NodeConfig{Host: n.Host, Disk: disk, ClockOffset: n.Clock.Offset, ClockDrift: n.Clock.Rate}, newNode)
		names = append(names, n.Name)
	}
	link := simnet.DefaultLink()
	if r := s.Network.Latency; r.Max > 0 {
		link.Min, link.Max = r.Min, r.Max
	}
	link.Bandwidth = int64(s.Network.Bandwidth)
	link.LossProb = s.Network.Loss
	link.DropConnectProb = s.Network.DropConnect
	in := newInjector(w, names, initial, link)

	for _, name := range names {
		n := w.Node(name)
		n.Start()
		if err := n.Err(); err != nil {
			return nil, fmt.Errorf("start %s: %w", name, err)
		}
	}

	plan, err := s.Plan(w.Rand("scenario/faults"))
	if err != nil {
		return nil, err
	}
	for _, p := range plan {
		rep.Faults = append(rep.Faults, fmt.Sprintf("%9.3fs %s", p.At.Seconds(), p.Fault))
		w.At(p.At, func() {
			if err := in.Apply(p.Fault); err != nil {
				rep.Problems = append(rep.Problems, fmt.Sprintf("at %v: %v", w.Now(), err))
			}
		})
	}

	// Safety phase: the workload under the scheduled faults.
	w.RunFor(s.Duration)
	// Liveness phase: every fault healed, the clients must make progress.
	healAt := w.Now()
	in.healAll()
	w.RunFor(s.Settle)
	// Final recovery and judgement.
	out := wl.finish(healAt)
	w.RunFor(settleTeardown)

	rep.Problems = append(rep.Problems, out.problems...)
	rep.Metrics = out.metrics
	rep.Counts = out.counts
	rep.History = wl.history()
	rep.Judgements = s.Judge(rep.Metrics)
	rep.Pass = !out.broken
	for _, j := range rep.Judgements {
		rep.Pass = rep.Pass && j.Pass
	}
	rep.Events = w.Events()
	rep.Simulated = w.Now()
	rep.Buggified = w.BuggifyFired()
	rep.TraceHash = w.TraceHash()
	return rep, nil
}
