package scenario

import (
	"net/netip"
	"regexp"
	"slices"
	"strings"

	"rocketsim/faults"
)

// nodeNameRE is what a node name may look like: it appears in host tables,
// partitions and file names.
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Sector sizes a disk may tear at.
const (
	sectorMin = 512
	sectorMax = 64 << 10
)

func (s *Scenario) validate() error {
	if s.Duration <= 0 || s.Duration > DurationMax {
		return s.errorAt([]any{"duration"}, "duration %v must be positive and at most %v", s.Duration, DurationMax)
	}
	if s.Settle < 0 || s.Settle > DurationMax {
		return s.errorAt([]any{"settle"}, "settle %v must be positive and at most %v", s.Settle, DurationMax)
	}
	nodes, err := s.validateTopology()
	if err != nil {
		return err
	}
	if err := s.validateNetwork(); err != nil {
		return err
	}
	if err := s.validateWorkload(); err != nil {
		return err
	}
	if err := s.validateSchedule(nodes); err != nil {
		return err
	}
	if err := s.validateExpectations(); err != nil {
		return err
	}
	return s.validateMQLossBound()
}

func (s *Scenario) validateTopology() (map[string]bool, error) {
	if len(s.Topology.Nodes) == 0 {
		return nil, s.errorAt([]any{"topology"}, "topology.nodes is empty")
	}
	if len(s.Topology.Nodes) > NodesMax {
		return nil, s.errorAt([]any{"topology", "nodes"}, "%d nodes, at most %d", len(s.Topology.Nodes), NodesMax)
	}
	names := map[string]bool{}
	hosts := map[string]string{}
	for i, n := range s.Topology.Nodes {
		at := []any{"topology", "nodes", i}
		if !nodeNameRE.MatchString(n.Name) {
			return nil, s.errorAt(append(at, "name"), "node name %q: use letters, digits, '-', '_' and '.'", n.Name)
		}
		if names[n.Name] {
			return nil, s.errorAt(append(at, "name"), "node name %q used twice", n.Name)
		}
		names[n.Name] = true
		if n.Host != "" {
			a, err := netip.ParseAddr(n.Host)
			if err != nil || !a.Is4() {
				return nil, s.errorAt(append(at, "host"), "node %q: host %q is not an IPv4 address", n.Name, n.Host)
			}
			if other, dup := hosts[n.Host]; dup {
				return nil, s.errorAt(append(at, "host"), "node %q: host %s is already node %q's", n.Name, n.Host, other)
			}
			hosts[n.Host] = n.Name
		}
		d := n.Disk
		switch {
		case d.Capacity < 0:
			return nil, s.errorAt(append(at, "disk", "capacity"), "node %q: negative disk capacity", n.Name)
		case d.SectorSize != 0 && (d.SectorSize < sectorMin || d.SectorSize > sectorMax || d.SectorSize&(d.SectorSize-1) != 0):
			return nil, s.errorAt(append(at, "disk", "sector-size"), "node %q: sector size %d must be a power of two in [%d, %d]", n.Name, d.SectorSize, sectorMin, sectorMax)
		case d.FsyncLatency.Min < 0 || d.FsyncLatency.Max < d.FsyncLatency.Min || d.FsyncLatency.Max > faults.LatencyMax:
			return nil, s.errorAt(append(at, "disk", "fsync-latency"), "node %q: need 0 <= min <= max <= %v", n.Name, faults.LatencyMax)
		case d.FsyncFailProb < 0 || d.FsyncFailProb > 1:
			return nil, s.errorAt(append(at, "disk", "fsync-fail-prob"), "node %q: fsync-fail-prob %v outside [0, 1]", n.Name, d.FsyncFailProb)
		}
		c := n.Clock
		if c.Rate != 0 && (c.Rate < faults.RateMin || c.Rate > faults.RateMax) {
			return nil, s.errorAt(append(at, "clock", "rate"), "node %q: clock rate %v outside [%v, %v]", n.Name, c.Rate, faults.RateMin, faults.RateMax)
		}
		if c.Offset < -faults.ClockShiftMax || c.Offset > faults.ClockShiftMax {
			return nil, s.errorAt(append(at, "clock", "offset"), "node %q: clock offset %v beyond ±%v", n.Name, c.Offset, faults.ClockShiftMax)
		}
	}
	return names, nil
}

func (s *Scenario) validateNetwork() error {
	n := s.Network
	switch {
	case n.Latency.Min < 0 || n.Latency.Max < n.Latency.Min || n.Latency.Max > faults.LatencyMax:
		return s.errorAt([]any{"network", "latency"}, "need 0 <= min <= max <= %v", faults.LatencyMax)
	case n.Bandwidth < 0:
		return s.errorAt([]any{"network", "bandwidth"}, "negative bandwidth")
	case n.Loss < 0 || n.Loss >= 1:
		return s.errorAt([]any{"network", "loss"}, "loss %v outside [0, 1)", n.Loss)
	case n.DropConnect < 0 || n.DropConnect >= 1:
		return s.errorAt([]any{"network", "drop-connect"}, "drop-connect %v outside [0, 1)", n.DropConnect)
	}
	return nil
}

func sortedNames(set map[string]bool) string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}

// NodesWithRole returns the nodes that take role, in file order.
func (s *Scenario) NodesWithRole(role string) []Node {
	var out []Node
	for _, n := range s.Topology.Nodes {
		if n.Role == role {
			out = append(out, n)
		}
	}
	return out
}
