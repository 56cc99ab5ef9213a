package scenario

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

	"rocketsim/broker/config"
	"rocketsim/jepsen/check"
	"rocketsim/sim/mq"
	"rocketsim/sim/pingpong"
)

// kind describes one workload kind: the roles its nodes may take, how to
// decode its params and node options, what its checkers measure, and the
// expectations that hold when a file says nothing.
type kind struct {
	roles    map[string]roleCount
	params   func(n *yaml.Node) (any, error)
	options  func(role string, n *yaml.Node) error
	metrics  map[string][]string
	defaults map[string]map[string]Expect
}

// roleCount bounds how many nodes take a role; max 0 means no limit.
type roleCount struct{ min, max int }

// kinds is every workload kind the simulator can run. The broker's
// workloads join this table as they land.
var kinds = map[string]kind{
	"pingpong": {
		roles: map[string]roleCount{"server": {1, 1}, "client": {1, 0}},
		params: func(n *yaml.Node) (any, error) {
			var c pingpong.Config
			if err := decodeStrict(n, &c, "workload.params"); err != nil {
				return nil, err
			}
			c = c.WithDefaults()
			if err := c.Validate(); err != nil {
				return nil, fmt.Errorf("line %d: workload.params: %w", n.Line, err)
			}
			return c, nil
		},
		options: func(role string, n *yaml.Node) error {
			if n.Kind != 0 {
				return fmt.Errorf("line %d: pingpong's %s nodes take no options", n.Line, role)
			}
			return nil
		},
		metrics: map[string][]string{
			"durability": {"lost", "acked", "durable"},
			"integrity":  {"unexpected"},
			"liveness":   {"acks-after-heal"},
		},
		defaults: map[string]map[string]Expect{
			"durability": {"max-lost": {Limit: 0}},
			"integrity":  {"max-unexpected": {Limit: 0}},
			"liveness":   {"min-acks-after-heal": {Limit: 1}},
		},
	},
}

func init() {
	metrics := check.MetricNames()
	metrics["liveness"] = []string{"acks-after-heal"}
	// verifier: messages the verification group, reading every queue once
	// from offset 0, found stored twice (committed-duplicates: of them,
	// transactional ones).
	metrics["verifier"] = []string{"committed-duplicates", "duplicates"}
	kinds["mq"] = kind{
		roles: map[string]roleCount{"namesrv": {1, 1}, "broker": {1, 0}, "producer": {1, 0}, "consumer": {1, 0}},
		params: func(n *yaml.Node) (any, error) {
			var p MQParams
			if err := decodeStrict(n, &p, "workload.params"); err != nil {
				return nil, err
			}
			p = p.withDefaults()
			if err := p.validate(); err != nil {
				return nil, fmt.Errorf("line %d: workload.params: %w", n.Line, err)
			}
			return p, nil
		},
		options: func(role string, n *yaml.Node) error {
			if n.Kind != 0 && role == "namesrv" {
				return fmt.Errorf("line %d: mq's %s nodes take no options", n.Line, role)
			}
			return nil
		},
		metrics: metrics,
		defaults: map[string]map[string]Expect{
			"delivery":     {"max-lost": {Limit: 0}, "max-unexpected": {Limit: 0}},
			"linearizable": {"max-queues-illegal": {Limit: 0}},
			"ordering":     {"max-fifo-reorder": {Limit: 0}},
			"liveness":     {"min-acks-after-heal": {Limit: 1}},
			// The message-kind checkers measure zero when the mix has no
			// such messages, so these hold for every mq scenario.
			"delay":        {"max-early-delivery": {Limit: 0}},
			"transactions": {"max-committed-lost": {Limit: 0}, "max-rolled-back-delivered": {Limit: 0}, "max-undecided-delivered": {Limit: 0}},
			"retry":        {"max-consumed-and-dead-lettered": {Limit: 0}, "max-premature-dlq": {Limit: 0}, "max-too-many-attempts": {Limit: 0}},
		},
	}
}

// decodeBrokerConf reads an mq broker's options (broker.conf keys) and
// checks them with the broker's own configuration loader, so a misspelt key
// is an error here rather than a warning the broker ignores.
func (s *Scenario) decodeBrokerConf(i int) error {
	n := &s.Topology.Nodes[i]
	at := []any{"topology", "nodes", i, "options"}
	n.Conf = map[string]string{}
	if o := &n.Options; o.Kind != 0 {
		if o.Kind != yaml.MappingNode {
			return s.errorAt(at, "node %q: options are broker.conf keys and values", n.Name)
		}
		for j := 0; j+1 < len(o.Content); j += 2 {
			k, v := o.Content[j], o.Content[j+1]
			if v.Kind != yaml.ScalarNode {
				return fmt.Errorf("%s:%d: node %q: option %q wants a single value", s.Path, v.Line, n.Name, k.Value)
			}
			n.Conf[k.Value] = v.Value
		}
	}
	p := s.Workload.Config.(MQParams)
	kv := MQBrokerConf(*n, "192.0.2.1", "192.0.2.2:9876", p)
	_, warnings, err := config.LoadMap(kv, n.Name+" options", config.Host{Name: n.Name, IP: "192.0.2.1"})
	if err != nil {
		return s.errorAt(at, "node %q: %v", n.Name, err)
	}
	for _, w := range warnings {
		if strings.Contains(w, "unknown") {
			return s.errorAt(at, "node %q: %s", n.Name, w)
		}
	}
	return nil
}

// KindNames lists the workload kinds, sorted.
func KindNames() []string { return sortedKeys(kinds) }

func (s *Scenario) validateWorkload() error {
	k, ok := kinds[s.Workload.Kind]
	if !ok {
		if s.Workload.Kind == "" {
			return s.errorAt([]any{"workload"}, "missing workload.kind (known: %s)", strings.Join(KindNames(), ", "))
		}
		return s.errorAt([]any{"workload", "kind"}, "unknown workload kind %q (known: %s)", s.Workload.Kind, strings.Join(KindNames(), ", "))
	}
	cfg, err := k.params(&s.Workload.Params)
	if err != nil {
		return fmt.Errorf("%s:%w", s.Path, lineError(err))
	}
	s.Workload.Config = cfg
	counts := map[string]int{}
	for i, n := range s.Topology.Nodes {
		if _, ok := k.roles[n.Role]; !ok {
			return s.errorAt([]any{"topology", "nodes", i, "role"}, "node %q: role %q is not one of workload %s's (%s)", n.Name, n.Role, s.Workload.Kind, strings.Join(sortedKeys(k.roles), ", "))
		}
		counts[n.Role]++
		if err := k.options(n.Role, &s.Topology.Nodes[i].Options); err != nil {
			return fmt.Errorf("%s:%w", s.Path, lineError(err))
		}
		if s.Workload.Kind == "mq" && n.Role == "broker" {
			if err := s.decodeBrokerConf(i); err != nil {
				return err
			}
		}
		if s.Workload.Kind == "mq" && (n.Name == mq.VerifierName || n.Name == mq.DLQReaderName) {
			return s.errorAt([]any{"topology", "nodes", i, "name"}, "node name %q is taken by the mq workload's verification phase", n.Name)
		}
		if s.Workload.Kind == "mq" && (n.Role == "producer" || n.Role == "consumer") {
			if err := validateMQClient(n, s.Workload.Config.(MQParams)); err != nil {
				if lineRE.MatchString(err.Error()) {
					return fmt.Errorf("%s:%w", s.Path, lineError(err))
				}
				return fmt.Errorf("%s:%d: node %q: options: %v", s.Path, n.Options.Line, n.Name, err)
			}
		}
	}
	for _, role := range sortedKeys(k.roles) {
		rc := k.roles[role]
		if counts[role] < rc.min || (rc.max > 0 && counts[role] > rc.max) {
			want := fmt.Sprintf("at least %d", rc.min)
			if rc.max > 0 {
				want = fmt.Sprintf("%d to %d", rc.min, rc.max)
			}
			return s.errorAt([]any{"topology", "nodes"}, "workload %s needs %s %q nodes, the topology has %d", s.Workload.Kind, want, role, counts[role])
		}
	}
	return nil
}

// lineError turns "line N: msg" into "N: msg" for appending to "file:".
func lineError(err error) error {
	if g := lineRE.FindStringSubmatch(err.Error()); g != nil {
		return fmt.Errorf("%s: %s", g[1], g[2])
	}
	return fmt.Errorf(" %w", err)
}
