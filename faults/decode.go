package faults

import (
	"fmt"
	"strconv"
	"time"

	"gopkg.in/yaml.v3"
)

// Decode reads one fault from a YAML mapping such as
//
//	{kind: partition, groups: [[server], [client-1, client-2]]}
//	{kind: clock-jump, nodes: [server], by: -30s}
//
// It is strict: an unknown key, a parameter the kind does not take, or a bad
// value is an error naming the line and the key. `node: x` is accepted as a
// shorthand for `nodes: [x]`.
func Decode(n *yaml.Node) (Fault, error) {
	var f Fault
	if n.Kind != yaml.MappingNode {
		return f, fmt.Errorf("line %d: a fault must be a mapping with a kind, got %s", n.Line, nodeKind(n))
	}
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if _, dup := seen[k.Value]; dup {
			return f, fmt.Errorf("line %d: fault: key %q given twice", k.Line, k.Value)
		}
		seen[k.Value] = k
		if err := decodeKey(&f, k.Value, v); err != nil {
			return f, fmt.Errorf("line %d: fault: key %q: %w", k.Line, k.Value, err)
		}
	}
	if seen["node"] != nil && seen["nodes"] != nil {
		return f, fmt.Errorf("line %d: fault: give either node or nodes, not both", seen["node"].Line)
	}
	if seen["kind"] == nil {
		return f, fmt.Errorf("line %d: fault: missing key \"kind\"", n.Line)
	}
	// Keys the kind does not take are reported with their own line.
	if spec, ok := kindParams[f.Kind]; ok {
		for _, name := range []string{"node", "nodes", "groups", "from", "to", "capacity", "prob", "min", "max", "offset", "rate", "by", "pick"} {
			k := seen[name]
			if k == nil {
				continue
			}
			p := param(name)
			if name == "node" {
				p = pNodes
			}
			if !containsParam(spec.required, p) && !containsParam(spec.optional, p) {
				return f, fmt.Errorf("line %d: fault %s does not take %q", k.Line, f.Kind, name)
			}
		}
		for _, p := range spec.required {
			if seen[string(p)] == nil && !(p == pNodes && seen["node"] != nil) {
				return f, fmt.Errorf("line %d: fault %s: missing key %q", n.Line, f.Kind, p)
			}
		}
	}
	if err := f.Validate(); err != nil {
		return f, fmt.Errorf("line %d: %w", n.Line, err)
	}
	return f, nil
}

func containsParam(ps []param, p param) bool {
	for _, q := range ps {
		if q == p {
			return true
		}
	}
	return false
}

func decodeKey(f *Fault, key string, v *yaml.Node) error {
	var err error
	switch key {
	case "kind":
		var s string
		if s, err = scalar(v); err == nil {
			f.Kind = Kind(s)
			if _, ok := kindParams[f.Kind]; !ok {
				err = fmt.Errorf("unknown fault kind %q (known: %s)", s, kindList())
			}
		}
	case "node":
		var s string
		if s, err = scalar(v); err == nil {
			f.Nodes = []string{s}
		}
	case "nodes":
		f.Nodes, err = names(v)
	case "from":
		f.From, err = names(v)
	case "to":
		f.To, err = names(v)
	case "groups":
		if v.Kind != yaml.SequenceNode {
			return fmt.Errorf("want a list of node lists, got %s", nodeKind(v))
		}
		for _, g := range v.Content {
			ns, err := names(g)
			if err != nil {
				return fmt.Errorf("group at line %d: %w", g.Line, err)
			}
			f.Groups = append(f.Groups, ns)
		}
	case "capacity":
		var s string
		if s, err = scalar(v); err == nil {
			f.Capacity, err = ParseSize(s)
		}
	case "prob":
		f.Prob, err = float(v)
	case "rate":
		f.Rate, err = float(v)
	case "min":
		f.Min, err = duration(v)
	case "max":
		f.Max, err = duration(v)
	case "offset":
		f.Offset, err = duration(v)
	case "by":
		f.By, err = duration(v)
	case "pick":
		var x float64
		if x, err = float(v); err == nil {
			f.Pick = int(x)
			if float64(f.Pick) != x || f.Pick < 1 {
				err = fmt.Errorf("want a positive whole number, got %q", v.Value)
			}
		}
	default:
		return fmt.Errorf("unknown key (fault keys: kind, node, nodes, groups, from, to, capacity, prob, min, max, offset, rate, by, pick)")
	}
	return err
}

func nodeKind(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		return fmt.Sprintf("%q", n.Value)
	case yaml.AliasNode:
		return "an alias"
	}
	return "nothing"
}

func scalar(v *yaml.Node) (string, error) {
	if v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("want a single value, got %s", nodeKind(v))
	}
	return v.Value, nil
}

// names reads one node name or a list of them.
func names(v *yaml.Node) ([]string, error) {
	if v.Kind == yaml.ScalarNode {
		if v.Value == "" {
			return nil, fmt.Errorf("empty node name")
		}
		return []string{v.Value}, nil
	}
	if v.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("want a node name or a list of them, got %s", nodeKind(v))
	}
	if len(v.Content) == 0 {
		return nil, fmt.Errorf("empty list of nodes")
	}
	out := make([]string, 0, len(v.Content))
	for _, e := range v.Content {
		if e.Kind != yaml.ScalarNode || e.Value == "" {
			return nil, fmt.Errorf("want a node name, got %s", nodeKind(e))
		}
		out = append(out, e.Value)
	}
	return out, nil
}

func float(v *yaml.Node) (float64, error) {
	s, err := scalar(v)
	if err != nil {
		return 0, err
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("want a number, got %q", s)
	}
	return x, nil
}

// duration reads a Go duration ("250ms", "-30s", "2m"). A bare number is
// refused: "5" could mean seconds or nanoseconds, and guessing is how
// scenarios end up testing nothing.
func duration(v *yaml.Node) (time.Duration, error) {
	s, err := scalar(v)
	if err != nil {
		return 0, err
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as 250ms or -30s, got %q", s)
	}
	return d, nil
}

// UnmarshalYAML lets a Fault sit directly in a YAML document.
func (f *Fault) UnmarshalYAML(n *yaml.Node) error {
	g, err := Decode(n)
	if err != nil {
		return err
	}
	*f = g
	return nil
}

// Parse reads one fault written in YAML flow form, as String writes it:
// "{kind: crash, nodes: [broker-a]}". Command lines and the multi-process
// runner's nemesis use it.
func Parse(s string) (Fault, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(s), &doc); err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", s, err)
	}
	if len(doc.Content) != 1 {
		return Fault{}, fmt.Errorf("fault %q: want one mapping", s)
	}
	f, err := Decode(doc.Content[0])
	if err != nil {
		return Fault{}, fmt.Errorf("fault %q: %w", s, err)
	}
	return f, nil
}
