// Package faults is the vocabulary of faults shared by the simulator and the
// multi-process mode: what can go wrong (a crash, a full disk, a clock jump,
// a partition), to which nodes, with which parameters.
//
// A Fault is a plain value. Scenario files describe faults in YAML (Decode);
// whoever controls the world applies them (Injector). The simulator injects
// them through its runtime; the multi-process runner maps the same kinds to
// signals, proxies and failpoints.
package faults

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Kind names one sort of fault. The string is the spelling used in scenario
// files.
type Kind string

// The fault kinds. Each takes the parameters listed beside it (see params).
const (
	// Every kind that takes nodes also takes pick: N, to hit N of them
	// chosen at random each time the fault is applied.
	Crash           Kind = "crash"             // nodes: kill the process; the page cache survives
	Restart         Kind = "restart"           // nodes: start a stopped node, or crash and start a running one
	PowerLoss       Kind = "power-loss"        // nodes: the machine loses power; unsynced bytes are lost
	Pause           Kind = "pause"             // nodes: stop the process's loop (SIGSTOP)
	Resume          Kind = "resume"            // nodes: continue a paused process (SIGCONT)
	DiskFull        Kind = "disk-full"         // nodes, capacity: shrink the volume (0 = full at its current usage)
	DiskFree        Kind = "disk-free"         // nodes: give the volume back its capacity
	FsyncLatency    Kind = "fsync-latency"     // nodes, min, max: each fsync takes a duration drawn from [min, max]
	FsyncFail       Kind = "fsync-fail"        // nodes, prob: each fsync fails with this probability
	ClockOffset     Kind = "clock-offset"      // nodes, offset: set the wall clock's offset from true time
	ClockDrift      Kind = "clock-drift"       // nodes, rate: the clock runs at rate times true time
	ClockJump       Kind = "clock-jump"        // nodes, by: the wall clock jumps by a signed duration
	Partition       Kind = "partition"         // groups: nodes in different groups cannot reach each other
	PartitionOneWay Kind = "partition-one-way" // from, to: frames from one side to the other are stalled
	Isolate         Kind = "isolate"           // nodes: cut the named nodes off from every other node
	PartitionRandom Kind = "partition-random"  // (none): split all nodes into two random halves (drawn by the injector's seed)
	Bridge          Kind = "bridge"            // nodes (one): split the others into two random halves that both reach only the bridge node
	Heal            Kind = "heal"              // (none): remove every partition
	LinkLatency     Kind = "link-latency"      // from, to (optional), min, max: latency of the links between them
	LinkLoss        Kind = "link-loss"         // from, to (optional), prob: each transmission is lost with prob (TCP retransmits: delay, then timeout)
)

// nodeNameRE is what a node name may look like. Keeping names plain keeps
// String's output parseable without quoting.
var nodeNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$`)

// Kinds lists every kind, in a stable order (for help texts and tests).
var Kinds = []Kind{
	Crash, Restart, PowerLoss, Pause, Resume,
	DiskFull, DiskFree, FsyncLatency, FsyncFail,
	ClockOffset, ClockDrift, ClockJump,
	Partition, PartitionOneWay, Isolate, PartitionRandom, Bridge, Heal, LinkLatency, LinkLoss,
}

// param names a parameter as spelt in scenario files.
type param string

const (
	pNodes    param = "nodes"
	pCapacity param = "capacity"
	pMin      param = "min"
	pMax      param = "max"
	pProb     param = "prob"
	pOffset   param = "offset"
	pRate     param = "rate"
	pBy       param = "by"
	pGroups   param = "groups"
	pFrom     param = "from"
	pTo       param = "to"
	pPick     param = "pick"
)

// kindParams says which parameters each kind takes and which of them are
// required. A parameter not listed for a kind is an error, so a scenario that
// writes `prob` on a clock jump is told so instead of silently ignored.
var kindParams = map[Kind]struct{ required, optional []param }{
	Crash:           {required: []param{pNodes}, optional: []param{pPick}},
	Restart:         {required: []param{pNodes}, optional: []param{pPick}},
	PowerLoss:       {required: []param{pNodes}, optional: []param{pPick}},
	Pause:           {required: []param{pNodes}, optional: []param{pPick}},
	Resume:          {required: []param{pNodes}, optional: []param{pPick}},
	DiskFull:        {required: []param{pNodes}, optional: []param{pCapacity, pPick}},
	DiskFree:        {required: []param{pNodes}, optional: []param{pPick}},
	FsyncLatency:    {required: []param{pNodes, pMin, pMax}, optional: []param{pPick}},
	FsyncFail:       {required: []param{pNodes, pProb}, optional: []param{pPick}},
	ClockOffset:     {required: []param{pNodes, pOffset}, optional: []param{pPick}},
	ClockDrift:      {required: []param{pNodes, pRate}, optional: []param{pPick}},
	ClockJump:       {required: []param{pNodes, pBy}, optional: []param{pPick}},
	Partition:       {required: []param{pGroups}},
	PartitionOneWay: {required: []param{pFrom, pTo}},
	Isolate:         {required: []param{pNodes}, optional: []param{pPick}},
	PartitionRandom: {},
	Bridge:          {required: []param{pNodes}},
	Heal:            {},
	LinkLatency:     {required: []param{pMin, pMax}, optional: []param{pFrom, pTo}},
	LinkLoss:        {required: []param{pProb}, optional: []param{pFrom, pTo}},
}

// Bounds on parameters: a fault outside them is almost certainly a typo in a
// scenario (a drift of 2.0 doubles time; a latency of an hour stalls a run).
const (
	// RateMin and RateMax bound a clock's rate. Real quartz drifts by tens
	// of ppm; 0.5..2 leaves room for deliberately brutal scenarios.
	RateMin = 0.5
	RateMax = 2.0
	// LatencyMax bounds fsync and link latencies.
	LatencyMax = 10 * time.Minute
	// ClockShiftMax bounds clock offsets and jumps in either direction.
	ClockShiftMax = 365 * 24 * time.Hour
)

// Fault is one fault with its targets and parameters. Only the fields its
// Kind takes are meaningful; the others are zero.
type Fault struct {
	Kind Kind

	// Nodes are the targets of node faults (crash ... clock-jump).
	Nodes []string
	// Groups are the sides of a partition; a node in no group keeps its links.
	Groups [][]string
	// From and To are the sides of a one-way partition or of a latency
	// change; empty means every node.
	From, To []string

	// Capacity is the volume size in bytes for disk-full; 0 means "what is
	// used now", so the next write fails.
	Capacity int64
	// Prob is the fsync failure probability, in [0, 1].
	Prob float64
	// Min and Max bound fsync-latency and link-latency.
	Min, Max time.Duration
	// Offset is the wall clock's offset from true time for clock-offset.
	Offset time.Duration
	// Rate is the clock's rate for clock-drift (1 = exact).
	Rate float64
	// By is the signed size of a clock-jump.
	By time.Duration
	// Pick, when not zero, applies a node fault to that many of Nodes,
	// chosen at random (from the injector's seeded stream) each time.
	Pick int
}

// Targets returns every node the fault names, sorted and without duplicates.
// A heal names none.
func (f Fault) Targets() []string {
	var all []string
	all = append(all, f.Nodes...)
	for _, g := range f.Groups {
		all = append(all, g...)
	}
	all = append(all, f.From...)
	all = append(all, f.To...)
	slices.Sort(all)
	return slices.Compact(all)
}

// Validate checks the fault on its own (not against a topology): a known
// kind, the parameters it requires, and values within bounds.
func (f Fault) Validate() error {
	spec, ok := kindParams[f.Kind]
	if !ok {
		return fmt.Errorf("unknown fault kind %q (known: %s)", f.Kind, kindList())
	}
	set := f.paramsSet()
	for _, p := range spec.required {
		if !set[p] {
			return fmt.Errorf("fault %s: missing %q", f.Kind, p)
		}
	}
	for _, p := range sortedParams(set) {
		if !slices.Contains(spec.required, p) && !slices.Contains(spec.optional, p) {
			return fmt.Errorf("fault %s: does not take %q", f.Kind, p)
		}
	}
	if f.Pick < 0 || f.Pick > len(f.Nodes) {
		return fmt.Errorf("fault %s: pick %d of %d nodes", f.Kind, f.Pick, len(f.Nodes))
	}
	for _, n := range f.Targets() {
		if !nodeNameRE.MatchString(n) {
			return fmt.Errorf("fault %s: node name %q: use letters, digits, '-', '_' and '.'", f.Kind, n)
		}
	}
	switch f.Kind {
	case DiskFull:
		if f.Capacity < 0 {
			return fmt.Errorf("fault %s: negative capacity %d", f.Kind, f.Capacity)
		}
	case FsyncFail, LinkLoss:
		if f.Prob < 0 || f.Prob > 1 {
			return fmt.Errorf("fault %s: prob %v outside [0, 1]", f.Kind, f.Prob)
		}
	case FsyncLatency, LinkLatency:
		if f.Min < 0 || f.Max < f.Min || f.Max > LatencyMax {
			return fmt.Errorf("fault %s: need 0 <= min <= max <= %v, got min %v max %v", f.Kind, LatencyMax, f.Min, f.Max)
		}
	case ClockOffset:
		if f.Offset < -ClockShiftMax || f.Offset > ClockShiftMax {
			return fmt.Errorf("fault %s: offset %v beyond ±%v", f.Kind, f.Offset, ClockShiftMax)
		}
	case ClockJump:
		if f.By < -ClockShiftMax || f.By > ClockShiftMax {
			return fmt.Errorf("fault %s: jump %v beyond ±%v", f.Kind, f.By, ClockShiftMax)
		}
	case ClockDrift:
		if f.Rate < RateMin || f.Rate > RateMax {
			return fmt.Errorf("fault %s: rate %v outside [%v, %v]", f.Kind, f.Rate, RateMin, RateMax)
		}
	case Partition:
		if len(f.Groups) < 2 {
			return fmt.Errorf("fault %s: need at least 2 groups, got %d", f.Kind, len(f.Groups))
		}
		seen := map[string]bool{}
		for _, g := range f.Groups {
			if len(g) == 0 {
				return fmt.Errorf("fault %s: empty group", f.Kind)
			}
			for _, n := range g {
				if seen[n] {
					return fmt.Errorf("fault %s: node %q is in two groups", f.Kind, n)
				}
				seen[n] = true
			}
		}
	case Bridge:
		if len(f.Nodes) != 1 {
			return fmt.Errorf("fault %s: name exactly one bridge node, got %d", f.Kind, len(f.Nodes))
		}
	case PartitionOneWay:
		for _, n := range f.From {
			if slices.Contains(f.To, n) {
				return fmt.Errorf("fault %s: node %q is on both sides", f.Kind, n)
			}
		}
	}
	return nil
}

// paramsSet reports which parameters carry a value. A list is set when it is
// not empty. A number is set when it is not zero, or when the kind takes it:
// zero is a meaningful value (prob 0 turns failures off, min 0 is a bound),
// so a Fault built in Go with a zero number is not "missing" it.
func (f Fault) paramsSet() map[param]bool {
	spec := kindParams[f.Kind]
	takes := func(p param) bool {
		return slices.Contains(spec.required, p) || slices.Contains(spec.optional, p)
	}
	set := map[param]bool{}
	mark := func(p param, nonZero bool) {
		if nonZero || takes(p) {
			set[p] = true
		}
	}
	if len(f.Nodes) > 0 {
		set[pNodes] = true
	}
	if len(f.Groups) > 0 {
		set[pGroups] = true
	}
	if len(f.From) > 0 {
		set[pFrom] = true
	}
	if len(f.To) > 0 {
		set[pTo] = true
	}
	mark(pCapacity, f.Capacity != 0)
	mark(pProb, f.Prob != 0)
	mark(pMin, f.Min != 0)
	mark(pMax, f.Max != 0)
	mark(pOffset, f.Offset != 0)
	mark(pRate, f.Rate != 0)
	mark(pBy, f.By != 0)
	if f.Pick != 0 {
		set[pPick] = true
	}
	return set
}

func sortedParams(set map[param]bool) []param {
	out := make([]param, 0, len(set))
	for p := range set {
		out = append(out, p)
	}
	slices.Sort(out)
	return out
}

func kindList() string {
	names := make([]string, len(Kinds))
	for i, k := range Kinds {
		names[i] = string(k)
	}
	return strings.Join(names, ", ")
}

// String renders the fault in the flow-YAML form that Decode reads back, so
// a log line can be pasted into a scenario file.
func (f Fault) String() string {
	var b strings.Builder
	b.WriteString("{kind: ")
	b.WriteString(string(f.Kind))
	list := func(name string, xs []string) {
		if len(xs) > 0 {
			fmt.Fprintf(&b, ", %s: [%s]", name, strings.Join(xs, ", "))
		}
	}
	list("nodes", f.Nodes)
	if f.Pick != 0 {
		fmt.Fprintf(&b, ", pick: %d", f.Pick)
	}
	if len(f.Groups) > 0 {
		gs := make([]string, len(f.Groups))
		for i, g := range f.Groups {
			gs[i] = "[" + strings.Join(g, ", ") + "]"
		}
		fmt.Fprintf(&b, ", groups: [%s]", strings.Join(gs, ", "))
	}
	list("from", f.From)
	list("to", f.To)
	switch f.Kind {
	case DiskFull:
		if f.Capacity != 0 {
			fmt.Fprintf(&b, ", capacity: %d", f.Capacity)
		}
	case FsyncFail, LinkLoss:
		fmt.Fprintf(&b, ", prob: %s", strconv.FormatFloat(f.Prob, 'g', -1, 64))
	case FsyncLatency, LinkLatency:
		fmt.Fprintf(&b, ", min: %v, max: %v", f.Min, f.Max)
	case ClockOffset:
		fmt.Fprintf(&b, ", offset: %v", f.Offset)
	case ClockDrift:
		fmt.Fprintf(&b, ", rate: %s", strconv.FormatFloat(f.Rate, 'g', -1, 64))
	case ClockJump:
		fmt.Fprintf(&b, ", by: %v", f.By)
	}
	b.WriteString("}")
	return b.String()
}
