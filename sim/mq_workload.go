package main

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"rocketsim/broker/config"
	brokerserver "rocketsim/broker/server"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/sim/scenario"
	"rocketsim/sim/simrt"
)

// Bounds of the mq workload's final phase.
const (
	// mqVerifyMax bounds the wait for the verifier to read every queue to
	// its end after the final recovery.
	mqVerifyMax = 2 * time.Minute
	// mqVerifyGroup is the verifier's consumer group: a group that first
	// reads after the final recovery sees exactly what the brokers kept.
	mqVerifyGroup = "sim-verify"
	// mqVerifier names the verifier node.
	mqVerifier = "sim-verifier"
)

// mqWorkload runs the real name server and brokers with simulated
// producers and consumers speaking RocketMQ's protocol, and judges the
// history with the jepsen checkers.
type mqWorkload struct {
	w         *simrt.World
	s         *scenario.Scenario
	p         scenario.MQParams
	h         *mqHistory
	namesrv   string
	brokers   []string
	producers []string
	consumers []string
	verifier  *mqConsumer
}

func newMQWorkload(w *simrt.World, s *scenario.Scenario, _ runOptions) (workload, error) {
	p, ok := s.Workload.Config.(scenario.MQParams)
	if !ok {
		return nil, fmt.Errorf("workload mq: params decoded as %T", s.Workload.Config)
	}
	for _, n := range s.Topology.Nodes {
		if n.Name == mqVerifier {
			return nil, fmt.Errorf("workload mq: node name %q is the verifier's", mqVerifier)
		}
	}
	m := &mqWorkload{w: w, s: s, p: p, h: newMQHistory(w.Now), namesrv: s.NodesWithRole("namesrv")[0].Name}
	for _, n := range s.NodesWithRole("broker") {
		m.brokers = append(m.brokers, n.Name)
	}
	return m, nil
}

func init() { workloads["mq"] = newMQWorkload }

func (m *mqWorkload) namesrvAddr() string {
	return fmt.Sprintf("%s:%d", m.w.Node(m.namesrv).Host(), scenario.MQNamesrvPort)
}

func (m *mqWorkload) newNode(n scenario.Node) (runtime.NewNode, error) {
	switch n.Role {
	case "namesrv":
		return func(rt runtime.Runtime) (runtime.Node, error) {
			cfg := nsserver.DefaultConfig()
			cfg.BindAddress = m.w.Node(n.Name).Host()
			cfg.ListenPort = scenario.MQNamesrvPort
			return nsserver.New(cfg)(rt)
		}, nil
	case "broker":
		return func(rt runtime.Runtime) (runtime.Node, error) {
			host := m.w.Node(n.Name).Host()
			kv := scenario.MQBrokerConf(n, host, m.namesrvAddr(), m.p)
			cfg, _, err := config.LoadMap(kv, n.Name, config.Host{Name: n.Name, IP: host})
			if err != nil {
				return nil, fmt.Errorf("broker %s: %w", n.Name, err)
			}
			return brokerserver.New(*cfg)(rt)
		}, nil
	case "producer":
		m.producers = append(m.producers, n.Name)
		return func(rt runtime.Runtime) (runtime.Node, error) {
			return newMQProducer(m.p, m.namesrvAddr(), m.h)(rt)
		}, nil
	case "consumer":
		m.consumers = append(m.consumers, n.Name)
		return func(rt runtime.Runtime) (runtime.Node, error) {
			return newMQConsumer(m.p, m.p.Group, m.namesrvAddr(), m.h, nil)(rt)
		}, nil
	}
	return nil, fmt.Errorf("workload mq: no role %q", n.Role)
}

// finish stops the producers, cuts every broker's power and restarts it,
// then lets a fresh consumer group read every queue from the start: what it
// reads is what the brokers kept. The regular consumers keep running until
// the verifier is done, so they too catch up.
func (m *mqWorkload) finish(healAt time.Duration) outcome {
	var out outcome
	for _, p := range m.producers {
		m.w.Node(p).Stop()
	}
	for _, b := range m.brokers {
		n := m.w.Node(b)
		n.PowerLoss()
		n.Start()
		if err := n.Err(); err != nil {
			out.broken = true
			out.problems = append(out.problems, fmt.Sprintf("broker %s did not start after the final power loss: %v", b, err))
		}
	}
	v := m.w.AddNode(mqVerifier, simrt.NodeConfig{}, newMQConsumer(m.p, mqVerifyGroup, m.namesrvAddr(), m.h, func(c *mqConsumer) {
		c.expect = m.brokers
		m.verifier = c
	}))
	v.Start()
	if !m.w.RunUntil(func() bool { return m.verifier != nil && m.verifier.done() }, mqVerifyMax) {
		out.broken = true
		out.problems = append(out.problems, fmt.Sprintf("the verifier did not read every queue to its end within %v", mqVerifyMax))
	}
	// One more hold, so the regular consumers' long polls catch up too.
	m.w.RunFor(m.p.Hold + time.Second)
	for _, c := range append(slices.Clone(m.consumers), mqVerifier) {
		m.w.Node(c).Stop()
	}

	ops := m.h.rec.Ops()
	rep := check.Run(ops, check.Config{})
	out.metrics = rep.Metrics()
	out.metrics["liveness"] = map[string]float64{"acks-after-heal": m.minAcksAfter(ops, healAt)}
	d := out.metrics["delivery"]
	out.counts = fmt.Sprintf("acknowledged %v, unknown %v, delivered %v (deliveries %v, duplicates %v); lost %v, unexpected %v",
		d["acknowledged"], d["unknown-sent"], d["delivered"], d["deliveries"], d["duplicates"], d["lost"], d["unexpected"])
	for _, c := range rep.Checkers {
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

// minAcksAfter is the fewest acknowledged sends any producer had after the
// heal: the liveness measure.
func (m *mqWorkload) minAcksAfter(ops []history.Op, healAt time.Duration) float64 {
	count := map[string]int{}
	for _, p := range m.producers {
		count[p] = 0
	}
	for _, op := range ops {
		if op.Type == history.OK && op.F == history.FSend && op.SimTime >= int64(healAt) {
			node, _, _ := strings.Cut(op.Process, "/")
			count[node]++
		}
	}
	least := -1
	for _, p := range m.producers {
		if least < 0 || count[p] < least {
			least = count[p]
		}
	}
	return float64(max(least, 0))
}

func (m *mqWorkload) history() []history.Op { return m.h.rec.Ops() }
