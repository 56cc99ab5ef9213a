package main

import (
	"fmt"
	"time"

	"rocketsim/jepsen/history"
	"rocketsim/runtime"
	"rocketsim/sim/pingpong"
	"rocketsim/sim/scenario"
	"rocketsim/sim/simrt"
)

// pingpongWorkload runs sim/pingpong: one server, clients, and the check
// that every acknowledged request survives a final power loss.
type pingpongWorkload struct {
	w       *simrt.World
	cfg     pingpong.Config
	bugs    pingpong.Bugs
	server  string
	clients []string
	events  []pingpong.Timed
}

func newPingpongWorkload(w *simrt.World, s *scenario.Scenario, opts runOptions) (workload, error) {
	cfg, ok := s.Workload.Config.(pingpong.Config)
	if !ok {
		return nil, fmt.Errorf("workload pingpong: params decoded as %T", s.Workload.Config)
	}
	return &pingpongWorkload{w: w, cfg: cfg, bugs: opts.serverBugs, server: s.NodesWithRole("server")[0].Name}, nil
}

func (p *pingpongWorkload) newNode(n scenario.Node) (runtime.NewNode, error) {
	switch n.Role {
	case "server":
		return func(rt runtime.Runtime) (runtime.Node, error) {
			return pingpong.NewServerWith(p.cfg, p.w.Node(p.server).Host(), p.bugs)(rt)
		}, nil
	case "client":
		p.clients = append(p.clients, n.Name)
		// The history is the clients' observations, stamped with true time.
		record := func(e pingpong.Event) {
			p.events = append(p.events, pingpong.Timed{At: p.w.Now(), Event: e})
		}
		return func(rt runtime.Runtime) (runtime.Node, error) {
			addr := fmt.Sprintf("%s:%d", p.w.Node(p.server).Host(), p.cfg.Port)
			return pingpong.NewClient(p.cfg, addr, record)(rt)
		}, nil
	}
	return nil, fmt.Errorf("workload pingpong: no role %q", n.Role)
}

// finish stops the clients (nothing more is acknowledged), cuts the
// server's power and starts it again: what it recovers is what the
// acknowledged requests are judged against.
func (p *pingpongWorkload) finish(healAt time.Duration) outcome {
	var out outcome
	for _, c := range p.clients {
		p.w.Node(c).Stop()
	}
	srv := p.w.Node(p.server)
	srv.PowerLoss()
	srv.Start()
	var durable []pingpong.Record
	if v, ok := srv.Value().(*pingpong.Server); ok {
		durable = v.Recovered()
	} else {
		out.broken = true
		out.problems = append(out.problems, fmt.Sprintf("the server did not start after the final power loss: %v", srv.Err()))
	}
	srv.Stop()

	res := pingpong.Check(p.events, durable, healAt, p.clients)
	out.metrics = res.Metrics()
	out.counts = fmt.Sprintf("sent %d, acked %d, failed %d, unknown %d; durable after recovery %d; lost %d, unexpected %d",
		res.Sent, res.Acked, res.Failed, res.Unknown, res.Durable, len(res.Lost), len(res.Unexpected))
	if len(res.Lost) > 0 {
		out.problems = append(out.problems, fmt.Sprintf("lost acknowledged requests (first): %v", res.Lost[:min(5, len(res.Lost))]))
	}
	if len(res.Unexpected) > 0 {
		out.problems = append(out.problems, fmt.Sprintf("unexpected durable records (first): %v", res.Unexpected[:min(5, len(res.Unexpected))]))
	}
	return out
}

func (p *pingpongWorkload) history() []history.Op { return toHistory(p.events) }
