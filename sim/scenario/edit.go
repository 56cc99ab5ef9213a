package scenario

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"gopkg.in/yaml.v3"
)

// Edit is a reduction of a scenario, for shrinking a failing run.
type Edit struct {
	// DropFaults are indexes into the fault schedule to remove.
	DropFaults []int
	// DropNodes are node names to remove from the topology.
	DropNodes []string
	// Duration, when not zero, replaces the scenario's duration.
	Duration time.Duration
}

// Edit returns the scenario with e applied, re-validated, and its source.
// The source is the original document with nodes removed or replaced, so
// comments and layout survive. An edit that leaves the scenario invalid (a
// fault naming a dropped node, a fault after the new end) is an error.
func (s *Scenario) Edit(e Edit) (*Scenario, []byte, error) {
	if s.root == nil || len(s.root.Content) == 0 {
		return nil, nil, fmt.Errorf("scenario %s: no source to edit", s.Path)
	}
	root := cloneNode(s.root)
	doc := root.Content[0]
	if len(e.DropFaults) > 0 {
		if f := mapValue(doc, "faults"); f != nil && f.Kind == yaml.SequenceNode {
			var kept []*yaml.Node
			for i, n := range f.Content {
				if !slices.Contains(e.DropFaults, i) {
					kept = append(kept, n)
				}
			}
			f.Content = kept
		}
	}
	if len(e.DropNodes) > 0 {
		if nodes := mapValue(mapValue(doc, "topology"), "nodes"); nodes != nil && nodes.Kind == yaml.SequenceNode {
			var kept []*yaml.Node
			for _, n := range nodes.Content {
				if name := mapValue(n, "name"); name == nil || !slices.Contains(e.DropNodes, name.Value) {
					kept = append(kept, n)
				}
			}
			nodes.Content = kept
		}
	}
	if e.Duration != 0 {
		d := mapValue(doc, "duration")
		if d == nil {
			return nil, nil, fmt.Errorf("scenario %s: no duration to replace", s.Path)
		}
		d.Value, d.Tag, d.Style = e.Duration.String(), "!!str", 0
	}
	src, err := encode(root)
	if err != nil {
		return nil, nil, fmt.Errorf("scenario %s: re-encode: %w", s.Path, err)
	}
	out, err := Parse(src, s.Path)
	if err != nil {
		return nil, nil, err
	}
	return out, src, nil
}

// Source re-encodes the scenario's document.
func (s *Scenario) Source() ([]byte, error) {
	if s.root == nil {
		return nil, fmt.Errorf("scenario %s: no source", s.Path)
	}
	return encode(s.root)
}

// encode writes a document with the two-space indent scenario files use.
func encode(root *yaml.Node) ([]byte, error) {
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(root); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func mapValue(n *yaml.Node, key string) *yaml.Node {
	if n == nil || n.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key {
			return n.Content[i+1]
		}
	}
	return nil
}

func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, k := range n.Content {
			c.Content[i] = cloneNode(k)
		}
	}
	return &c
}
