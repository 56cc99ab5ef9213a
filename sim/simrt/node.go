package simrt

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simclock"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simnet"
)

// NodeConfig describes one simulated machine.
type NodeConfig struct {
	// Host is the machine's IPv4 address; empty means 192.0.2.<n> (n from
	// 1, in the order nodes are added).
	Host string
	// Disk configures the machine's disk.
	Disk simdisk.Options
	// ClockOffset starts the wall clock this far from simclock.Epoch.
	ClockOffset time.Duration
	// ClockDrift is the clock's rate (0 means 1: no drift).
	ClockDrift float64
}

// Node is one simulated machine and the process that runs on it. The
// machine (name, address, disk, clock) lasts for the whole run; each Start
// begins a new incarnation of the process with a fresh runtime.
type Node struct {
	w        *World
	idx      int32
	name     string
	nameHash uint64
	newNode  runtime.NewNode
	clock    *simclock.Clock
	disk     *simdisk.Disk
	host     *simnet.Host
	rng      *rand.Rand

	inc      uint32 // current incarnation, 0 before the first Start
	up       bool
	paused   bool
	proc     *proc
	value    runtime.Node
	err      error
	deferred []*event // events held while paused, in delivery order
	bug      *buggify // nil until a core first asks (Options.Buggify)
}

// AddNode adds a machine called name that runs newNode when started. It
// does not start it. Duplicate names are a bug and panic.
func (w *World) AddNode(name string, cfg NodeConfig, newNode runtime.NewNode) *Node {
	if _, dup := w.byName[name]; dup {
		panic(fmt.Sprintf("simrt: duplicate node %q", name))
	}
	idx := int32(len(w.nodes))
	ip := cfg.Host
	if ip == "" {
		ip = defaultHost(int(idx))
	}
	n := &Node{
		w:        w,
		idx:      idx,
		name:     name,
		nameHash: fnvString(fnvOffset, name),
		newNode:  newNode,
		clock:    simclock.New(w.Now),
		disk:     simdisk.New(cfg.Disk, w.Rand("disk/"+name)),
		rng:      w.Rand("node/" + name),
	}
	n.host = w.net.AddHost(name, ip, int(idx))
	n.clock.SetOffset(cfg.ClockOffset)
	if cfg.ClockDrift != 0 {
		n.clock.SetDrift(cfg.ClockDrift)
	}
	n.clock.OnRateChange(n.retime)
	w.nodes = append(w.nodes, n)
	w.byName[name] = n
	return n
}

// defaultHost numbers machines in TEST-NET-1, then TEST-NET-2 and -3.
func defaultHost(i int) string {
	nets := [...]string{"192.0.2.", "198.51.100.", "203.0.113."}
	if i/254 >= len(nets) {
		panic(fmt.Sprintf("simrt: more than %d nodes need explicit hosts", 254*len(nets)))
	}
	return fmt.Sprintf("%s%d", nets[i/254], i%254+1)
}

// Name is the node's name.
func (n *Node) Name() string { return n.name }

// Host is the node's IPv4 address.
func (n *Node) Host() string { return n.host.IP() }

// Disk is the machine's disk; it survives restarts.
func (n *Node) Disk() *simdisk.Disk { return n.disk }

// Clock is the machine's clock; faults change its offset, drift and jumps.
func (n *Node) Clock() *simclock.Clock { return n.clock }

// Up reports whether a process is running (paused counts as running).
func (n *Node) Up() bool { return n.up }

// Paused reports whether the process is paused.
func (n *Node) Paused() bool { return n.paused }

// Incarnation counts the starts of the node's process.
func (n *Node) Incarnation() uint32 { return n.inc }

// Err is why the last start failed (newNode's error), or nil.
func (n *Node) Err() error { return n.err }

// Runtime is the current incarnation's runtime, or nil while down.
func (n *Node) Runtime() runtime.Runtime {
	if !n.up {
		return nil
	}
	return n.proc
}

// Value is the current incarnation's node object, or nil while down.
func (n *Node) Value() runtime.Node {
	if !n.up {
		return nil
	}
	return n.value
}

// Start begins a new incarnation: a fresh runtime (monotonic clock at zero,
// new connection ids) on the same disk, built by newNode right away, on the
// world's goroutine. Starting a running node does nothing. If newNode fails
// the node stays down and Err reports why.
func (n *Node) Start() {
	if n.up {
		return
	}
	w := n.w
	n.inc++
	n.up = true
	n.err = nil
	n.clock.ProcessStart()
	p := &proc{n: n, inc: n.inc, stack: n.host.Boot()}
	p.log = slog.New(w.newLogHandler(n.name))
	n.proc = p
	inc := n.inc
	n.disk.Bind(func(d time.Duration, fn func()) {
		w.schedule(w.now+d, n.idx, inc, kindDisk, fn, nil)
	})
	w.Note("start/"+n.name, uint64(inc))
	w.log.Debug("node start", slog.String("node", n.name), slog.Int("incarnation", int(inc)))
	v, err := n.newNode(p)
	if err != nil {
		n.err = fmt.Errorf("simrt: start %s (incarnation %d): %w", n.name, inc, err)
		w.log.Error("node failed to start", slog.String("node", n.name), slog.Any("err", err))
		n.kill(false)
		return
	}
	if n.up && n.inc == inc { // newNode may not crash itself, but be safe
		n.value = v
	}
}

// Crash kills the process: pending timers and callbacks vanish, open files
// are invalidated (the page cache survives), peers see their connections
// reset. Crashing a node that is down does nothing.
func (n *Node) Crash() {
	if !n.up {
		return
	}
	n.w.Note("crash/"+n.name, uint64(n.inc))
	n.w.log.Debug("node crash", slog.String("node", n.name))
	n.kill(false)
}

// PowerLoss is Crash plus the machine losing power: unsynced disk writes are
// lost or torn.
func (n *Node) PowerLoss() {
	n.w.Note("powerloss/"+n.name, uint64(n.inc))
	n.w.log.Debug("node power loss", slog.String("node", n.name))
	if n.up {
		n.kill(true)
		return
	}
	n.disk.PowerLoss()
}

// Restart crashes the process if it runs and starts a new incarnation on
// the same disk.
func (n *Node) Restart() {
	n.Crash()
	n.Start()
}

// Stop shuts the process down gracefully: the node's Stop runs on the loop,
// then its connections close (peers see a FIN) and its files are released.
func (n *Node) Stop() {
	if !n.up {
		return
	}
	n.w.Note("stop/"+n.name, uint64(n.inc))
	n.w.log.Debug("node stop", slog.String("node", n.name))
	if n.paused {
		n.Resume() // a stopped (SIGSTOPped) process must run to exit cleanly
	}
	if n.value != nil {
		n.value.Stop()
	}
	n.proc.stack.Shutdown()
	n.down()
	n.disk.Crash() // the process's handles close; the page cache stays
}

// kill ends the process abruptly.
func (n *Node) kill(powerLoss bool) {
	n.proc.stack.Crash()
	n.down()
	if powerLoss {
		n.disk.PowerLoss()
	} else {
		n.disk.Crash()
	}
}

// down marks the process gone and drops its pending events. Host events
// (network deliveries) are kept: the network decides what a dead process's
// connections still do.
func (n *Node) down() {
	w := n.w
	n.up = false
	n.paused = false
	n.proc.dead = true
	n.proc = nil
	n.value = nil
	w.q.filter(func(e *event) bool {
		if e.node == n.idx && e.inc != 0 {
			w.dropEvent(e)
			return false
		}
		return true
	})
	for _, e := range n.deferred {
		if e.inc == 0 {
			e.at, e.tie, e.seq = w.now, w.tie(e.node, w.now), w.nextSeq()
			w.q.push(e)
		} else {
			w.dropEvent(e)
		}
	}
	clear(n.deferred)
	n.deferred = n.deferred[:0]
}

func (w *World) dropEvent(e *event) {
	if e.tm != nil {
		e.tm.done = true
		e.tm.ev = nil
	}
	w.release(e)
}

func (w *World) nextSeq() uint64 {
	w.seq++
	return w.seq
}

// Pause stops the process as SIGSTOP would: it handles nothing (its events
// wait, in order) while its machine's network stack still accepts frames.
func (n *Node) Pause() {
	if !n.up || n.paused {
		return
	}
	n.w.Note("pause/"+n.name, uint64(n.inc))
	n.paused = true
}

// Resume lets a paused process run again: everything it missed is
// delivered now, in the original order.
func (n *Node) Resume() {
	if !n.paused {
		return
	}
	w := n.w
	w.Note("resume/"+n.name, uint64(n.inc))
	n.paused = false
	for _, e := range n.deferred {
		e.at, e.tie, e.seq = w.now, w.tie(e.node, w.now), w.nextSeq()
		w.q.push(e)
	}
	clear(n.deferred)
	n.deferred = n.deferred[:0]
}

// retime moves the node's pending timers to the true times at which its
// monotonic clock, at the new rate, reaches their deadlines.
func (n *Node) retime() {
	if !n.up {
		return
	}
	w := n.w
	for _, e := range w.q.h {
		if e.node == n.idx && e.tm != nil && e.inc == n.inc {
			e.at = max(n.clock.TrueAt(e.tm.deadline), w.now)
			e.tie = w.tie(e.node, e.at)
		}
	}
	w.q.init()
}
