package scenario

import (
	"fmt"

	"rocketsim/faults"
)

// validateMQLossBound refuses an mq scenario that demands no acknowledged
// message be lost while an ASYNC_FLUSH master loses power. Such a master
// acknowledges a send once it is in the page cache and syncs in the
// background (4 dirty pages, or everything every 10 s), so a power loss may
// cut the acknowledged tail, as RocketMQ documents; how much depends on
// where the disk tears, so the scenario would pass on some seeds and fail
// on others. The simulator cuts every broker's power once more when the
// producers stop unless final-power-loss is false, which is easy to miss in
// a file written for the multi-process runner (which cannot cut power and
// leaves it out). A slave is not judged: the verification group reads the
// masters.
func (s *Scenario) validateMQLossBound() error {
	if s.Workload.Kind != "mq" {
		return nil
	}
	key, explicit, ok := s.noLossBound()
	if !ok {
		return nil
	}
	bound := fmt.Sprintf("delivery %s: 0", key)
	if !explicit {
		bound += " (the default)"
	}
	p := s.Workload.Config.(MQParams)
	for i, n := range s.Topology.Nodes {
		if n.Role != "broker" || n.Conf["flushDiskType"] != "ASYNC_FLUSH" || n.Conf["brokerRole"] == "SLAVE" {
			continue
		}
		at := []any{"topology", "nodes", i, "options", "flushDiskType"}
		if p.FinalPowerLoss == nil || *p.FinalPowerLoss {
			return s.errorAt(at, "broker %q is an ASYNC_FLUSH master and the final power loss (on unless the workload params say final-power-loss: false) "+
				"may lose the acknowledged messages it has not flushed yet, as RocketMQ documents, so %s cannot hold on every seed; "+
				"write final-power-loss: false (what the multi-process runner does), or delivery lost: allowed, or flushDiskType SYNC_FLUSH", n.Name, bound)
		}
		if line, ok := s.powerLossOf(n.Name); ok {
			return s.errorAt(at, "broker %q is an ASYNC_FLUSH master and the power-loss fault at line %d "+
				"may lose the acknowledged messages it has not flushed yet, as RocketMQ documents, so %s cannot hold on every seed; "+
				"write delivery lost: allowed, or flushDiskType SYNC_FLUSH, or spare it the power loss", n.Name, line, bound)
		}
	}
	return nil
}

// noLossBound returns the first (by name) delivery bound in force that
// allows no lost message, "max-lost" or a group's "max-lost:G", and whether
// the file wrote it rather than took the default.
func (s *Scenario) noLossBound() (key string, explicit, ok bool) {
	bounds := s.Bounds()["delivery"]
	for _, k := range sortedKeys(bounds) {
		e := bounds[k]
		b, err := parseBound(k, e)
		if err != nil || e.Allowed || b.op != "max" {
			continue
		}
		if base := b.metric; (base == "lost" || len(base) > 5 && base[:5] == "lost:") && e.Limit < 1 {
			_, explicit = s.Expectations["delivery"][k]
			return k, explicit, true
		}
	}
	return "", false, false
}

// powerLossOf returns the line of the first scheduled power-loss fault
// that may strike node.
func (s *Scenario) powerLossOf(node string) (int, bool) {
	for i, e := range s.Faults {
		if e.Fault.Kind != faults.PowerLoss {
			continue
		}
		for _, n := range e.Fault.Nodes {
			if n == node {
				return s.line("faults", i, "fault"), true
			}
		}
	}
	return 0, false
}
