package main

import (
	"fmt"
	"strings"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	"rocketsim/runtime"
	"rocketsim/sim/mq"
	"rocketsim/sim/scenario"
	"rocketsim/sim/simrt"
)

// mqWorkload runs a scenario's mq topology on sim/mq's machinery: its
// Deployment builds the real name server and brokers and the simulated
// clients (raw or core, with every message kind and listener behaviour the
// params name), and its Finish drains, verifies and judges. The CLI keeps
// the world, the fault schedule, the heal and the expectations.
type mqWorkload struct {
	w   *simrt.World
	d   *mq.Deployment
	res *mq.Result
}

func newMQWorkload(w *simrt.World, s *scenario.Scenario, _ runOptions) (workload, error) {
	p, ok := s.Workload.Config.(scenario.MQParams)
	if !ok {
		return nil, fmt.Errorf("workload mq: params decoded as %T", s.Workload.Config)
	}
	var nodes []mq.NodeSpec
	for _, n := range s.Topology.Nodes {
		ns := mq.NodeSpec{Name: n.Name, Role: mq.Role(n.Role)}
		switch ns.Role {
		case mq.RoleBroker:
			ns.Conf = n.Conf
		case mq.RoleProducer, mq.RoleConsumer:
			c, err := scenario.MQClient(n)
			if err != nil {
				return nil, fmt.Errorf("workload mq: node %s: %w", n.Name, err)
			}
			ns.Client = c
		}
		nodes = append(nodes, ns)
	}
	d, err := mq.NewDeployment(w, p.Spec(), nodes, mq.Options{Check: p.Check()})
	if err != nil {
		return nil, fmt.Errorf("workload mq: %w", err)
	}
	return &mqWorkload{w: w, d: d}, nil
}

func init() { workloads["mq"] = newMQWorkload }

func (m *mqWorkload) newNode(n scenario.Node) (runtime.NewNode, error) { return m.d.NewNode(n.Name) }

// finish hands the healed world to the deployment (producers stop, the
// brokers lose power once more when the params say so, the regular group
// drains, a fresh group reads every queue) and turns its report into the
// figures expectations bound, plus liveness: the fewest sends any producer
// had acknowledged after the heal.
func (m *mqWorkload) finish(healAt time.Duration) outcome {
	m.res = m.d.Finish()
	var out outcome
	out.problems = append(out.problems, m.res.Problems...)
	out.broken = len(m.res.Problems) > 0
	out.metrics = m.res.Report.Metrics()
	out.metrics["liveness"] = map[string]float64{"acks-after-heal": minAcksAfter(m.res.Ops, m.d.Producers(), healAt)}
	out.metrics["verifier"] = map[string]float64{
		"duplicates":           float64(m.res.Duplicates(mq.VerifyGroup)),
		"committed-duplicates": float64(m.res.CommittedDuplicates(mq.VerifyGroup)),
	}
	d := out.metrics["delivery"]
	out.counts = fmt.Sprintf("acknowledged %v, unknown %v, delivered %v (deliveries %v, duplicates %v); lost %v, unexpected %v",
		d["acknowledged"], d["unknown-sent"], d["delivered"], d["deliveries"], d["duplicates"], d["lost"], d["unexpected"])
	for _, c := range m.res.Report.Checkers {
		if c.Verdict == check.Fail || c.Verdict == check.Unknown {
			out.problems = append(out.problems, fmt.Sprintf("checker %s: %s", c.Name, summarize1(c)))
		}
	}
	return out
}

// summarize1 is a checker result's first few findings on one line.
func summarize1(c check.Checked) string {
	b, _ := jsonLine(c.Result)
	const max = 300
	if len(b) > max {
		return string(b[:max]) + "..."
	}
	return string(b)
}

// minAcksAfter is the fewest acknowledged sends any of producers had after
// the heal: the liveness measure.
func minAcksAfter(ops []history.Op, producers []string, healAt time.Duration) float64 {
	count := map[string]int{}
	for _, op := range ops {
		if op.Type == history.OK && op.F == history.FSend && op.SimTime >= int64(healAt) {
			node, _, _ := strings.Cut(op.Process, "/")
			count[node]++
		}
	}
	least := -1
	for _, p := range producers {
		if least < 0 || count[p] < least {
			least = count[p]
		}
	}
	return float64(max(least, 0))
}

func (m *mqWorkload) history() []history.Op {
	if m.res == nil {
		return nil
	}
	return m.res.Ops
}
