package scenario

import (
	"fmt"
	"strings"

	"gopkg.in/yaml.v3"

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
