package procrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"

	"rocketsim/faults"
)

// ErrUnsupported is wrapped by faults a process world cannot inject.
var ErrUnsupported = errors.New("not injectable in multi-process mode")

// Nemesis applies the shared fault vocabulary to a Cluster: signals for
// crash, restart, pause and resume; the proxy for partitions; the control
// socket for the node-local faults. Client nodes run inside the runner:
// crash kills a client's runtime (realrt's Kill: no unregister, no offset
// commit, connections closed, sends in flight left unknown) and restart
// starts a new incarnation with the same configuration. It implements
// faults.Injector.
type Nemesis struct {
	c *Cluster
	// names are every node (servers and clients), in topology order.
	names []string
	// clients are the client nodes: they run inside the runner, so they
	// can be crashed and restarted (through clientNodes) and cut off by
	// the network, not paused nor given failpoints.
	clients map[string]bool
	// clientNodes crash and restart the client nodes the run registered.
	clientNodes map[string]clientNode
	// controls are the nodes with a failpoint control socket.
	controls map[string]bool
	rng      *rand.Rand
	log      *slog.Logger
	// machines are each server's disk and clock state, given back to each
	// new incarnation; initial are the control-socket faults each node
	// starts with (its
	// disk and clock settings), applied again after each restart and on
	// HealAll, as the simulator's disks and clocks keep their settings.
	initial  map[string][]faults.Fault
	machines map[string]*machine
	// ctx bounds restarts (a run's context).
	ctx context.Context
	// baseMin, baseMax and baseLoss are every link's shaping outside
	// faults.
	baseMin, baseMax time.Duration
	baseLoss         float64
}

var _ faults.Injector = (*Nemesis)(nil)

// clientNode is a client node the runner drives (producerRun,
// consumerRun).
type clientNode interface {
	// crash kills the running incarnation, if any.
	crash() error
	// restart crashes the running incarnation, if any, and starts a new
	// one with the same configuration.
	restart() error
	// down reports whether no incarnation runs.
	down() bool
	// applyFault gives the running incarnation a clock fault, a pause or
	// a resume (nothing when down).
	applyFault(f faults.Fault) error
}

// setClient registers the client node name so crash and restart reach it.
func (n *Nemesis) setClient(name string, c clientNode) {
	if n.clientNodes == nil {
		n.clientNodes = map[string]clientNode{}
	}
	n.clientNodes[name] = c
}

// NewNemesis returns a nemesis over c; names lists every node, clients the
// client nodes among them; rng draws picks and random halves.
func NewNemesis(c *Cluster, names, clients []string, rng *rand.Rand, log *slog.Logger) *Nemesis {
	if log == nil {
		log = slog.Default()
	}
	n := &Nemesis{c: c, names: slices.Clone(names), clients: map[string]bool{}, controls: map[string]bool{}, rng: rng, log: log, initial: map[string][]faults.Fault{}, machines: map[string]*machine{}, ctx: context.Background()}
	for _, cl := range clients {
		n.clients[cl] = true
	}
	for _, name := range names {
		if p := c.Process(name); p != nil && p.ControlAddr != "" {
			n.controls[name] = true
			p.ExtraArgs = func() []string { return n.bootFaults(name) }
		}
	}
	return n
}

// CheckSupported reports, without applying it, why f cannot be injected
// here (nil when it can): the scenario loader refuses such faults up front.
func (n *Nemesis) CheckSupported(f faults.Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	known := func(name string) error {
		if !slices.Contains(n.names, name) {
			return fmt.Errorf("fault %s: unknown node %q", f.Kind, name)
		}
		return nil
	}
	for _, t := range f.Targets() {
		if err := known(t); err != nil {
			return err
		}
	}
	switch f.Kind {
	case faults.PowerLoss:
		return fmt.Errorf("fault %s: a process cannot lose power without its machine (use crash: the page cache survives, or run the simulator): %w", f.Kind, ErrUnsupported)
	case faults.DiskFull, faults.DiskFree, faults.FsyncFail, faults.FsyncLatency,
		faults.ClockOffset, faults.ClockDrift, faults.ClockJump:
		clock := f.Kind == faults.ClockOffset || f.Kind == faults.ClockDrift || f.Kind == faults.ClockJump
		for _, t := range f.Nodes {
			if clock && n.clients[t] {
				continue // the client's runtime takes it directly
			}
			if !n.controls[t] {
				return fmt.Errorf("fault %s on %s: needs the node's failpoint control socket, which servers have unless run with --plain (clients run inside the runner and take clock faults only): %w", f.Kind, t, ErrUnsupported)
			}
		}
	}
	return nil
}

// WithContext makes restarts give up when ctx ends.
func (n *Nemesis) WithContext(ctx context.Context) *Nemesis {
	n.ctx = ctx
	return n
}

// SetInitial records the control-socket faults node starts with and
// applies them now.
func (n *Nemesis) SetInitial(node string, fs []faults.Fault) error {
	n.initial[node] = fs
	m := n.machine(node)
	now := time.Now()
	for _, f := range fs {
		m.note(f, now)
	}
	return n.restoreMachine(node)
}

// machine returns node's machine state.
func (n *Nemesis) machine(node string) *machine {
	m := n.machines[node]
	if m == nil {
		m = newMachine()
		n.machines[node] = m
	}
	return m
}

// restoreMachine gives node's running process its machine's disk
// failpoints and clock.
func (n *Nemesis) restoreMachine(node string) error {
	p := n.c.Process(node)
	if p == nil || p.ControlAddr == "" {
		return nil
	}
	var errs []error
	for _, f := range n.machine(node).faults(time.Now()) {
		f.Nodes = []string{node}
		errs = append(errs, p.Control(f.String()))
	}
	return errors.Join(errs...)
}

// Apply injects f. A fault that names an unknown node or a kind this world
// cannot inject is refused before anything changes.
func (n *Nemesis) Apply(f faults.Fault) error {
	if err := n.CheckSupported(f); err != nil {
		return err
	}
	if f.Pick > 0 {
		idx := n.rng.Perm(len(f.Nodes))[:f.Pick]
		slices.Sort(idx)
		picked := make([]string, len(idx))
		for i, j := range idx {
			picked[i] = f.Nodes[j]
		}
		f.Nodes, f.Pick = picked, 0
	}
	n.log.Info("fault", "fault", f.String())
	var errs []error
	for _, name := range f.Nodes {
		if err := n.applyNode(f, name); err != nil {
			errs = append(errs, err)
		}
	}
	px := n.c.Proxy
	switch f.Kind {
	case faults.Partition:
		n.partition(f.Groups)
	case faults.PartitionOneWay:
		from, to := f.From, f.To
		if len(from) == 0 {
			from = n.names
		}
		if len(to) == 0 {
			to = n.names
		}
		for _, a := range from {
			for _, b := range to {
				if a != b {
					px.Cut(a, b)
				}
			}
		}
	case faults.Isolate:
		n.partition([][]string{f.Nodes, n.others(f.Nodes)})
	case faults.PartitionRandom:
		n.partition(n.halves(n.names))
	case faults.Bridge:
		h := n.halves(n.others(f.Nodes))
		n.partition(h)
	case faults.Heal:
		px.Heal()
	case faults.LinkLatency:
		n.eachPair(f.From, f.To, func(a, b string) { px.SetLatency(a, b, f.Min, f.Max) })
	case faults.LinkLoss:
		n.eachPair(f.From, f.To, func(a, b string) { px.SetLoss(a, b, f.Prob) })
	}
	return errors.Join(errs...)
}

func (n *Nemesis) applyNode(f faults.Fault, name string) error {
	if n.clients[name] {
		switch f.Kind {
		case faults.Crash, faults.Restart, faults.Pause, faults.Resume,
			faults.ClockOffset, faults.ClockDrift, faults.ClockJump:
			return n.applyClient(f, name)
		}
		return nil // a network fault: the proxy has it
	}
	p := n.c.Process(name)
	switch f.Kind {
	case faults.Crash:
		if err := p.Kill(); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
	case faults.Restart:
		if p.Running() {
			if err := p.Kill(); err != nil && !errors.Is(err, ErrNotRunning) {
				return err
			}
		}
		return n.start(p)
	case faults.Pause:
		if err := p.Pause(); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
	case faults.Resume:
		if err := p.Resume(); err != nil && !errors.Is(err, ErrNotRunning) {
			return err
		}
	case faults.DiskFull, faults.DiskFree, faults.FsyncFail, faults.FsyncLatency,
		faults.ClockOffset, faults.ClockDrift, faults.ClockJump:
		one := f
		one.Nodes, one.Pick = []string{name}, 0
		n.machine(name).note(one, time.Now())
		err := p.Control(one.String())
		if errors.Is(err, ErrNotRunning) {
			// The machine keeps it: the next incarnation gets it at start,
			// as the simulator's disk and clock outlive a crash.
			n.log.Info("fault on a node that is down: applied at its next start", "fault", one.String())
			return nil
		}
		return err
	}
	return nil
}

// applyClient crashes, restarts, pauses, resumes or moves the clock of
// client node name. The clock belongs to the client's machine, as a
// server's does: each new incarnation gets it back. A pause belongs to the
// incarnation (its runtime's loop holds, realrt's pause): a crash ends it
// and the next incarnation runs.
func (n *Nemesis) applyClient(f faults.Fault, name string) error {
	c := n.clientNodes[name]
	if c == nil {
		return fmt.Errorf("fault %s on client %s: the run registered no client of that name: %w", f.Kind, name, ErrUnsupported)
	}
	switch f.Kind {
	case faults.Crash:
		return c.crash()
	case faults.Restart:
		return n.restartClient(name, c)
	}
	one := f
	one.Nodes, one.Pick = []string{name}, 0
	if f.Kind != faults.Pause && f.Kind != faults.Resume {
		n.machine(name).note(one, time.Now())
	}
	return c.applyFault(one)
}

// restartClient starts a new incarnation of client c with its machine's
// clock.
func (n *Nemesis) restartClient(name string, c clientNode) error {
	if err := c.restart(); err != nil {
		return err
	}
	var errs []error
	for _, f := range n.machine(name).faults(time.Now()) {
		f.Nodes = []string{name}
		errs = append(errs, c.applyFault(f))
	}
	return errors.Join(errs...)
}

// start starts p with its machine's failpoints and clock in force from
// its first instruction (the -fault flags of ./broker and ./namesrv), so a
// process whose recovery the disk breaks (a failing fsync) fails to boot,
// as in the simulator.
func (n *Nemesis) start(p *Process) error {
	return p.Start(n.ctx)
}

// bootFaults are the -fault flags that give node's next incarnation its
// machine's state.
func (n *Nemesis) bootFaults(node string) []string {
	var args []string
	for _, f := range n.machine(node).faults(time.Now()) {
		f.Nodes = []string{node}
		args = append(args, "-fault", f.String())
	}
	return args
}

// eachPair calls fn for both directions between every node of from and
// every node of to (empty: every node), as the simulator changes links.
func (n *Nemesis) eachPair(from, to []string, fn func(a, b string)) {
	if len(from) == 0 {
		from = n.names
	}
	if len(to) == 0 {
		to = n.names
	}
	for _, a := range from {
		for _, b := range to {
			if a != b {
				fn(a, b)
				fn(b, a)
			}
		}
	}
}

// SetBaseShaping gives every link the latency [min, max] and the loss
// probability loss, now and after each HealAll (a scenario's network).
func (n *Nemesis) SetBaseShaping(min, max time.Duration, loss float64) {
	n.baseMin, n.baseMax, n.baseLoss = min, max, loss
	n.eachPair(nil, nil, func(a, b string) {
		n.c.Proxy.SetLatency(a, b, min, max)
		n.c.Proxy.SetLoss(a, b, loss)
	})
}

// partition cuts both directions between nodes of different groups.
func (n *Nemesis) partition(groups [][]string) {
	for i, g := range groups {
		for j, h := range groups {
			if i == j {
				continue
			}
			for _, a := range g {
				for _, b := range h {
					if a != b {
						n.c.Proxy.Cut(a, b)
					}
				}
			}
		}
	}
}

func (n *Nemesis) others(names []string) []string {
	var out []string
	for _, x := range n.names {
		if !slices.Contains(names, x) {
			out = append(out, x)
		}
	}
	return out
}

func (n *Nemesis) halves(names []string) [][]string {
	s := slices.Clone(names)
	n.rng.Shuffle(len(s), func(i, j int) { s[i], s[j] = s[j], s[i] })
	a, b := s[:len(s)/2], s[len(s)/2:]
	slices.Sort(a)
	slices.Sort(b)
	return [][]string{a, b}
}

// HealAll ends every fault for the liveness phase, as the simulator's
// heal does: links healed and back to the base latency and loss, disks
// back to their initial failpoints, paused processes and clients resumed,
// stopped ones (crashed clients too) started. Clocks keep their offset and rate.
func (n *Nemesis) HealAll() error {
	n.c.Proxy.Heal()
	n.c.Proxy.ClearShaping()
	if n.baseMax > 0 || n.baseLoss > 0 {
		n.SetBaseShaping(n.baseMin, n.baseMax, n.baseLoss)
	}
	var errs []error
	var servers []*Process
	if n.c.Namesrv != nil {
		servers = append(servers, n.c.Namesrv)
	}
	servers = append(servers, n.c.Brokers...)
	now := time.Now()
	for _, p := range servers {
		m := n.machine(p.Name)
		m.healDisk()
		for _, f := range n.initial[p.Name] {
			switch f.Kind {
			case faults.FsyncFail, faults.FsyncLatency, faults.DiskFull:
				m.note(f, now)
			}
		}
		if p.Paused() {
			errs = append(errs, p.Resume())
		}
		if !p.Running() {
			errs = append(errs, n.start(p))
			continue
		}
		if p.ControlAddr == "" {
			continue
		}
		for _, f := range []faults.Fault{
			{Kind: faults.DiskFree},
			{Kind: faults.FsyncFail, Prob: 0},
			{Kind: faults.FsyncLatency},
		} {
			f.Nodes = []string{p.Name}
			errs = append(errs, p.Control(f.String()))
		}
		errs = append(errs, n.restoreMachine(p.Name))
	}
	for _, name := range n.names {
		c := n.clientNodes[name]
		switch {
		case c == nil:
		case c.down():
			errs = append(errs, n.restartClient(name, c))
		default:
			// Resume is a no-op on a client that is not paused.
			errs = append(errs, c.applyFault(faults.Fault{Kind: faults.Resume, Nodes: []string{name}}))
		}
	}
	return errors.Join(errs...)
}
