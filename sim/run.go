package main

import (
	"fmt"
	"io"
	"time"

	"rocketsim/runtime"
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
	History    []pingpong.Timed              `json:"-"`
}

// run simulates one scenario with one seed and judges it. It is the whole
// job of the CLI minus flags and printing, so tests call it directly.
func run(s *scenario.Scenario, seed uint64, opts runOptions) (*report, error) {
	cfg, ok := s.Workload.Config.(pingpong.Config)
	if !ok {
		return nil, fmt.Errorf("workload %q has no runner in this simulator", s.Workload.Kind)
	}
	w := simrt.New(seed, simrt.Options{LogWriter: opts.log, TraceWriter: opts.trace})
	rep := &report{Scenario: s.Name, Path: s.Path, Seed: seed}

	// The history is the clients' observations, stamped with true time.
	record := func(e pingpong.Event) {
		rep.History = append(rep.History, pingpong.Timed{At: w.Now(), Event: e})
	}

	server := s.NodesWithRole("server")[0].Name
	var names, clients []string
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
		nc := simrt.NodeConfig{Host: n.Host, Disk: disk, ClockOffset: n.Clock.Offset, ClockDrift: n.Clock.Rate}
		var newNode runtime.NewNode
		switch n.Role {
		case "server":
			host := n.Host
			newNode = func(rt runtime.Runtime) (runtime.Node, error) {
				if host == "" {
					host = w.Node(server).Host()
				}
				return pingpong.NewServerWith(cfg, host, opts.serverBugs)(rt)
			}
		case "client":
			newNode = func(rt runtime.Runtime) (runtime.Node, error) {
				addr := fmt.Sprintf("%s:%d", w.Node(server).Host(), cfg.Port)
				return pingpong.NewClient(cfg, addr, record)(rt)
			}
			clients = append(clients, n.Name)
		default:
			panic(fmt.Sprintf("sim: role %q passed validation without a runner", n.Role))
		}
		w.AddNode(n.Name, nc, newNode)
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

	// Final recovery: stop the clients (nothing more is acknowledged), cut
	// the server's power and start it again; what it recovers is what the
	// acknowledged requests are judged against.
	for _, c := range clients {
		w.Node(c).Stop()
	}
	srv := w.Node(server)
	srv.PowerLoss()
	srv.Start()
	var durable []pingpong.Record
	if v, ok := srv.Value().(*pingpong.Server); ok {
		durable = v.Recovered()
	} else {
		rep.Problems = append(rep.Problems, fmt.Sprintf("the server did not start after the final power loss: %v", srv.Err()))
	}
	srv.Stop()
	// Let the stops' connection teardown play out, so the trace covers it.
	w.RunFor(time.Second)

	res := pingpong.Check(rep.History, durable, healAt, clients)
	rep.Metrics = res.Metrics()
	rep.Judgements = s.Judge(rep.Metrics)
	rep.Counts = fmt.Sprintf("sent %d, acked %d, failed %d, unknown %d; durable after recovery %d; lost %d, unexpected %d",
		res.Sent, res.Acked, res.Failed, res.Unknown, res.Durable, len(res.Lost), len(res.Unexpected))
	if len(res.Lost) > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("lost acknowledged requests (first): %v", res.Lost[:min(5, len(res.Lost))]))
	}
	if len(res.Unexpected) > 0 {
		rep.Problems = append(rep.Problems, fmt.Sprintf("unexpected durable records (first): %v", res.Unexpected[:min(5, len(res.Unexpected))]))
	}
	rep.Pass = srv.Err() == nil
	for _, j := range rep.Judgements {
		rep.Pass = rep.Pass && j.Pass
	}
	rep.Events = w.Events()
	rep.Simulated = w.Now()
	rep.TraceHash = w.TraceHash()
	return rep, nil
}
