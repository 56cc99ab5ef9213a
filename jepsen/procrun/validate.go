package procrun

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"

	"gopkg.in/yaml.v3"

	"rocketsim/faults"
	"rocketsim/sim/scenario"
)

// Topology roles of the mq workload.
const (
	roleNamesrv  = "namesrv"
	roleBroker   = "broker"
	roleProducer = "producer"
	roleConsumer = "consumer"
)

// processParams are the mq workload params that mean the same for real
// processes; any other key is refused, naming its line.
var processParams = []string{"topic", "queues", "interval", "timeout", "window", "body", "group", "clients", "clock-error", "drain", "final-power-loss"}

// Controls says which servers have failpoint control sockets: both as
// BuildBinaries builds them, neither with --plain (WithoutControls).
type Controls struct{ Namesrv, Broker bool }

// Controls are the control sockets these binaries have.
func (b Binaries) Controls() Controls {
	return Controls{Namesrv: b.NamesrvControl, Broker: b.BrokerControl}
}

// runnerConf are broker.conf keys the runner owns: addresses and paths of
// its processes and proxy routes.
var runnerConf = []string{"brokerIP1", "brokerIP2", "listenPort", "haListenPort", "haMasterAddress", "namesrvAddr", "storePathRootDir"}

// topo is a scenario's topology as the runner uses it.
type topo struct {
	namesrv   string
	brokers   []scenario.Node
	producers []string
	consumers []string
	names     []string // every node, in file order
	// initial are the control-socket faults each server starts with (its
	// disk's fsync settings and its clock).
	initial map[string][]faults.Fault
}

// clients returns the client nodes.
func (t *topo) clients() []string { return slices.Concat(t.producers, t.consumers) }

// checkScenario refuses what a scenario asks that real processes cannot
// honour, each refusal naming the file and what to change, and returns the
// topology. ctl says which servers have control sockets.
func checkScenario(s *scenario.Scenario, ctl Controls) (*topo, error) {
	where := s.Path
	if where == "" {
		where = s.Name
	}
	var errs []error
	refuse := func(format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", where, fmt.Sprintf(format, args...)))
	}
	if s.Workload.Kind != "mq" {
		refuse("workload %q: the multi-process runner runs the mq workload only", s.Workload.Kind)
		return nil, errors.Join(errs...)
	}
	if _, ok := s.Workload.Config.(scenario.MQParams); !ok {
		return nil, fmt.Errorf("%s: workload mq: params decoded as %T", where, s.Workload.Config)
	}
	if pn := s.Workload.Params; pn.Kind == yaml.MappingNode {
		for i := 0; i+1 < len(pn.Content); i += 2 {
			k, v := pn.Content[i], pn.Content[i+1]
			switch {
			case !slices.Contains(processParams, k.Value):
				refuse("line %d: workload param %q has no meaning for the multi-process runner (it takes %v)", k.Line, k.Value, processParams)
			case k.Value == "clients" && v.Value != "core":
				refuse("line %d: workload clients %q: the runner drives this project's client (core); raw wire clients exist only in the simulator", k.Line, v.Value)
			case k.Value == "final-power-loss" && v.Value != "false":
				refuse("line %d: workload final-power-loss: a process cannot lose power; write false or leave it out", k.Line)
			}
		}
	}
	n := s.Network
	if n.Bandwidth != 0 || n.DropConnect != 0 {
		refuse("network: bandwidth and drop-connect are simulator link models; the runner's proxy shapes links by latency and loss only")
	}

	t := &topo{initial: map[string][]faults.Fault{}}
	for _, node := range s.Topology.Nodes {
		t.names = append(t.names, node.Name)
		if node.Host != "" {
			refuse("node %s: host: every process runs on loopback", node.Name)
		}
		d := node.Disk
		if d.Capacity != 0 || d.SectorSize != 0 || d.PartialWriteOnFull || d.FsyncFailDropsDirty {
			refuse("node %s: disk capacity, sector-size, partial-write-on-full and fsync-fail-drops-dirty describe the simulated disk; use a disk-full fault for a full disk", node.Name)
		}
		hasInitial := d.FsyncLatency.Max > 0 || d.FsyncFailProb > 0 || node.Clock.Offset != 0 || (node.Clock.Rate != 0 && node.Clock.Rate != 1)
		switch node.Role {
		case roleNamesrv:
			if t.namesrv != "" {
				refuse("node %s: a second name server; the runner runs one", node.Name)
			}
			t.namesrv = node.Name
		case roleBroker:
			t.brokers = append(t.brokers, node)
			for _, k := range runnerConf {
				if _, ok := node.Conf[k]; ok {
					refuse("node %s: option %s: the runner sets it (loopback ports, proxy routes, data dirs)", node.Name, k)
				}
			}
		case roleProducer:
			t.producers = append(t.producers, node.Name)
		case roleConsumer:
			t.consumers = append(t.consumers, node.Name)
		default:
			refuse("node %s: role %q: the runner knows namesrv, broker, producer, consumer", node.Name, node.Role)
		}
		if node.Role != roleBroker && node.Options.Kind != 0 {
			refuse("node %s: options: the runner's clients take the workload's params only", node.Name)
		}
		if !hasInitial {
			continue
		}
		if !(node.Role == roleBroker && ctl.Broker) && !(node.Role == roleNamesrv && ctl.Namesrv) {
			refuse("node %s: disk fsync and clock settings need the node's failpoint control socket, which servers have unless run with --plain", node.Name)
			continue
		}
		var init []faults.Fault
		if r := d.FsyncLatency; r.Max > 0 {
			init = append(init, faults.Fault{Kind: faults.FsyncLatency, Min: r.Min, Max: r.Max})
		}
		if d.FsyncFailProb > 0 {
			init = append(init, faults.Fault{Kind: faults.FsyncFail, Prob: d.FsyncFailProb})
		}
		if c := node.Clock; c.Offset != 0 {
			init = append(init, faults.Fault{Kind: faults.ClockOffset, Offset: c.Offset})
		}
		if c := node.Clock; c.Rate != 0 && c.Rate != 1 {
			init = append(init, faults.Fault{Kind: faults.ClockDrift, Rate: c.Rate})
		}
		t.initial[node.Name] = init
	}
	if t.namesrv == "" || len(t.brokers) == 0 || len(t.producers) == 0 {
		refuse("topology: the runner needs a namesrv, at least one broker and one producer")
	}

	// Every fault the schedule can produce must be injectable: check each
	// entry's fault once (picks and random halves do not change its kind).
	controls := map[string]bool{}
	if ctl.Namesrv {
		controls[t.namesrv] = true
	}
	if ctl.Broker {
		for _, b := range t.brokers {
			controls[b.Name] = true
		}
	}
	chk := &Nemesis{names: t.names, clients: map[string]bool{}, controls: controls, rng: rand.New(rand.NewPCG(0, 0))}
	for _, c := range t.clients() {
		chk.clients[c] = true
	}
	for i, e := range s.Faults {
		if err := chk.CheckSupported(e.Fault); err != nil {
			refuse("faults[%d]: %v", i, err)
		}
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return t, nil
}

// Check reports whether scenario s can run with real processes, without
// running it; ctl says which servers have control sockets.
func Check(s *scenario.Scenario, ctl Controls) error {
	_, err := checkScenario(s, ctl)
	return err
}
