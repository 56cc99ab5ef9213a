package mq

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"rocketsim/sim/simrt"
)

// FaultKind names what a fault does to its node.
type FaultKind string

// The fault kinds. Each one lasts For and then reverts by itself (a restart,
// a resume, a heal); For = 0 leaves the recovery phase to revert it.
const (
	// Crash kills the process; the page cache survives.
	Crash FaultKind = "crash"
	// PowerLoss kills the machine; unsynced bytes are dropped or torn.
	PowerLoss FaultKind = "power-loss"
	// Pause freezes the process: its timers and connections stall.
	Pause FaultKind = "pause"
	// Isolate partitions the node from every other node.
	Isolate FaultKind = "isolate"
	// DiskFull shrinks the node's volume to what it uses now: the next
	// write that grows a file fails with ENOSPC.
	DiskFull FaultKind = "disk-full"
	// FsyncFail makes each fsync of the node's disk fail with probability
	// Prob.
	FsyncFail FaultKind = "fsync-fail"
	// ClockJump moves the node's wall clock by By (either way); its revert
	// jumps back. Timers and the monotonic clock are unaffected.
	ClockJump FaultKind = "clock-jump"
)

// Fault is one scheduled fault.
type Fault struct {
	Kind FaultKind
	// Node is the target's node name (e.g. BrokerName(0)).
	Node string
	// At is when the fault strikes, plus a uniform draw from [0, Jitter)
	// of the run's fault stream, so each seed strikes at its own moment.
	At, Jitter time.Duration
	// For is how long the fault lasts before it reverts.
	For time.Duration
	// Prob is FsyncFail's failure probability.
	Prob float64
	// By is ClockJump's jump.
	By time.Duration
}

func (f Fault) validate(s Spec) error {
	if !slices.Contains([]FaultKind{Crash, PowerLoss, Pause, Isolate, DiskFull, FsyncFail, ClockJump}, f.Kind) {
		return fmt.Errorf("unknown kind %q", f.Kind)
	}
	if !slices.Contains(s.nodeNames(), f.Node) {
		return fmt.Errorf("%s: no node %q", f.Kind, f.Node)
	}
	if f.Kind == FsyncFail && (f.Prob <= 0 || f.Prob > 1) {
		return fmt.Errorf("%s of %s: prob %v outside (0, 1]", f.Kind, f.Node, f.Prob)
	}
	if f.Kind == ClockJump && f.By == 0 {
		return fmt.Errorf("%s of %s: no jump", f.Kind, f.Node)
	}
	if f.At < 0 || f.Jitter < 0 || f.For < 0 || f.At+f.Jitter > s.Duration {
		return fmt.Errorf("%s of %s: at %v+%v for %v must fall within the %v workload phase", f.Kind, f.Node, f.At, f.Jitter, f.For, s.Duration)
	}
	return nil
}

// nodeNames are the names of every node of the workload phase, in start
// order.
func (s Spec) nodeNames() []string {
	names := []string{NamesrvName}
	for i := range s.Brokers {
		names = append(names, BrokerName(i))
	}
	for i := range s.Producers {
		names = append(names, ProducerName(i))
	}
	for i := range s.Consumers {
		names = append(names, ConsumerName(i))
	}
	return names
}

// chaosFaults draws n faults from rng: each strikes at a uniform moment of
// the workload phase's first 80% and lasts 0.2 to 3 s; kinds and targets
// are drawn so that brokers take most of them.
func (s Spec) chaosFaults(rng *rand.Rand, n int) []Fault {
	brokerKinds := []FaultKind{Crash, PowerLoss, Pause, Isolate, ClockJump}
	clientKinds := []FaultKind{Crash, Pause, Isolate}
	var out []Fault
	for range n {
		f := Fault{
			At:  time.Duration(rng.Int64N(int64(s.Duration) * 8 / 10)),
			For: 200*time.Millisecond + time.Duration(rng.Int64N(int64(2800*time.Millisecond))),
		}
		switch roll := rng.IntN(10); {
		case roll < 6:
			f.Node = BrokerName(rng.IntN(s.Brokers))
			f.Kind = brokerKinds[rng.IntN(len(brokerKinds))]
		case roll < 7:
			f.Node = NamesrvName
			f.Kind = clientKinds[rng.IntN(len(clientKinds))]
		case roll < 8:
			f.Node = ProducerName(rng.IntN(s.Producers))
			f.Kind = clientKinds[rng.IntN(len(clientKinds))]
		default:
			f.Node = ConsumerName(rng.IntN(s.Consumers))
			f.Kind = clientKinds[rng.IntN(len(clientKinds))]
		}
		if f.Kind == ClockJump {
			f.By = time.Duration(rng.Int64N(int64(2*time.Minute))) - time.Minute
			if f.By == 0 {
				f.By = time.Second
			}
		}
		out = append(out, f)
	}
	return out
}

// schedule arms every fault on the world. Jitter draws come from the
// "mq/faults" stream in fault order, before the run starts, so they do not
// depend on what the nodes do.
func (r *run) schedule() {
	r.capacity = map[string]int64{}
	for _, n := range r.w.Nodes() {
		r.capacity[n.Name()] = n.Disk().Capacity()
	}
	faults := append(slices.Clone(r.spec.Faults), r.spec.chaosFaults(r.w.Rand("mq/chaos"), r.spec.Chaos)...)
	rng := r.w.Rand("mq/faults")
	for _, f := range faults {
		at := f.At
		if f.Jitter > 0 {
			at += time.Duration(rng.Int64N(int64(f.Jitter)))
		}
		r.w.At(at, func() { r.strike(f) })
		if f.For > 0 {
			r.w.At(at+f.For, func() { r.revert(f) })
		}
	}
}

func (r *run) strike(f Fault) {
	n := r.w.Node(f.Node)
	r.note(fmt.Sprintf("fault %s %s", f.Kind, f.Node))
	switch f.Kind {
	case Crash:
		if n.Up() {
			n.Crash()
		}
	case PowerLoss:
		n.PowerLoss()
	case Pause:
		if n.Up() && !n.Paused() {
			n.Pause()
		}
	case Isolate:
		var others []string
		for _, o := range r.w.Nodes() {
			if o.Name() != f.Node {
				others = append(others, o.Name())
			}
		}
		if err := r.w.Net().Partition([]string{f.Node}, others); err != nil {
			panic(fmt.Sprintf("mq: isolate %s: %v", f.Node, err))
		}
	case DiskFull:
		n.Disk().SetCapacity(n.Disk().Used())
	case FsyncFail:
		n.Disk().SetFsyncFailProb(f.Prob)
	case ClockJump:
		n.Clock().Jump(f.By)
	}
}

// revert undoes f: a downed node starts again on the same disk, a paused
// one resumes, a partition heals. Heal is global: overlapping isolations
// end together.
func (r *run) revert(f Fault) {
	n := r.w.Node(f.Node)
	r.note(fmt.Sprintf("revert %s %s", f.Kind, f.Node))
	switch f.Kind {
	case Crash, PowerLoss:
		r.bringUp(n)
	case Pause:
		if n.Paused() {
			n.Resume()
		}
	case Isolate:
		r.w.Net().Heal()
	case DiskFull:
		n.Disk().SetCapacity(r.capacity[f.Node])
	case FsyncFail:
		n.Disk().SetFsyncFailProb(0)
	case ClockJump:
		n.Clock().Jump(-f.By)
	}
}

// supervisorDelay is how long a supervisor (systemd's Restart=on-failure)
// waits before starting again a node that refused to start.
const supervisorDelay = time.Second

// bringUp starts a node that is down. A node that refuses to start during
// the workload phase (its disk fails fsyncs, say) is a fact of the run,
// counted in Result.StartFailures, and is started again after
// supervisorDelay; once the recovery phase has cleared every fault, a
// refusal is a finding.
func (r *run) bringUp(n *simrt.Node) {
	if n.Paused() {
		n.Resume()
	}
	if n.Up() {
		return
	}
	n.Start()
	err := n.Err()
	if err == nil {
		return
	}
	if r.recovering {
		r.problem(fmt.Sprintf("%s did not start at %v after every fault was cleared: %v", n.Name(), r.w.Now(), err))
		return
	}
	r.startFailures = append(r.startFailures, fmt.Sprintf("%v %s: %v", r.w.Now(), n.Name(), err))
	r.w.After(supervisorDelay, func() { r.bringUp(n) })
}
