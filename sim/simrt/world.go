// Package simrt is the deterministic simulator's kernel: a World runs every
// node of a cluster on one goroutine from one event queue ordered by (true
// simulated time, sequence number), and gives each node a runtime.Runtime
// whose clock, timers, network, disk and randomness are simulated.
//
// Everything derives from one root seed. Each node, disk and network link
// draws from its own stream derived from (seed, purpose), so adding a node
// does not perturb the others, and a seed replays a run exactly: the trace
// hash (every delivered event folded into FNV-1a) is the proof.
//
// A World is not safe for concurrent use. Tests drive it from one goroutine:
// they call Start, At, RunFor and so on between or inside events, never from
// another goroutine. In particular Runtime.Post is only for code already
// running on the world (a node, a World.At action, or the test between Run
// calls); the blocking client facade, which posts from other goroutines,
// belongs to the real runtime, and simulated workloads drive the event-driven
// client core directly.
package simrt

import (
	"fmt"
	"hash/fnv"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"time"

	"rocketsim/sim/simclock"
	"rocketsim/sim/simnet"
)

// Options configures a World.
type Options struct {
	// LogWriter receives every node's log lines, prefixed with simulated
	// time and node name; nil discards them.
	LogWriter io.Writer
	// LogLevel is the lowest level written (default Info).
	LogLevel slog.Leveler
	// TraceWriter, when set, receives one line per delivered event.
	TraceWriter io.Writer
	// Buggify lets the nodes' cores take their rare but legal paths
	// (runtime.Buggify; buggify.go).
	Buggify bool
}

// eventPoolMax bounds the free list of recycled events; beyond it, spent
// events are left to the garbage collector so a burst does not pin memory.
const eventPoolMax = 1 << 16

// World is one simulated cluster.
type World struct {
	seed   uint64
	now    time.Duration
	seq    uint64
	q      queue
	free   []*event
	nodes  []*Node
	byName map[string]*Node // looked up, never iterated
	net    *simnet.Network
	opts   Options
	log    *slog.Logger

	hash   uint64
	events uint64

	buggifyFired map[string]int // rare paths taken, per site
	trace        io.Writer
	line         []byte
}

// New returns an empty world whose every random choice derives from seed.
func New(seed uint64, opts Options) *World {
	w := &World{seed: seed, byName: map[string]*Node{}, opts: opts, hash: fnvOffset, trace: opts.TraceWriter}
	if w.opts.LogLevel == nil {
		w.opts.LogLevel = slog.LevelInfo
	}
	w.net = simnet.New((*netKernel)(w))
	w.log = slog.New(w.newLogHandler("world"))
	return w
}

// Seed is the root seed.
func (w *World) Seed() uint64 { return w.seed }

// Now is the true simulated time since the world began.
func (w *World) Now() time.Duration { return w.now }

// Net is the simulated network: partitions, links, timeouts.
func (w *World) Net() *simnet.Network { return w.net }

// Log is the world's own logger (fault injection, lifecycle).
func (w *World) Log() *slog.Logger { return w.log }

// Rand returns a fresh stream derived from (seed, purpose). The same purpose
// always yields the same sequence; callers keep the stream they get.
func (w *World) Rand(purpose string) *rand.Rand {
	h := fnv.New64a()
	_, _ = h.Write([]byte(purpose))
	return rand.New(rand.NewPCG(w.seed, h.Sum64()))
}

// Node returns the node called name, or nil.
func (w *World) Node(name string) *Node { return w.byName[name] }

// Nodes returns the nodes in the order they were added.
func (w *World) Nodes() []*Node { return append([]*Node(nil), w.nodes...) }

// At runs fn as a world-level action (fault injection, a workload step) at
// true time t; a time already past means now.
func (w *World) At(t time.Duration, fn func()) {
	w.schedule(t, -1, 0, kindWorld, fn, nil)
}

// After runs fn as a world-level action d from now.
func (w *World) After(d time.Duration, fn func()) { w.At(w.now+d, fn) }

func (w *World) schedule(at time.Duration, node int32, inc uint32, kind eventKind, fn func(), tm *timer) *event {
	var e *event
	if n := len(w.free); n > 0 {
		e = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		e = new(event)
	}
	w.seq++
	at = max(at, w.now)
	*e = event{at: at, tie: w.tie(node, at), seq: w.seq, node: node, inc: inc, kind: kind, fn: fn, tm: tm}
	w.q.push(e)
	return e
}

// tie is the tie-break key of node's events at true time at: splitmix64 of
// (seed, node, at), never 0 so world events go first.
func (w *World) tie(node int32, at time.Duration) uint64 {
	if node < 0 {
		return 0
	}
	z := w.seed ^ uint64(node+1)*0x9e3779b97f4a7c15 ^ uint64(at)*0xbf58476d1ce4e5b9
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31) | 1
}

func (w *World) release(e *event) {
	*e = event{idx: -1}
	if len(w.free) < eventPoolMax {
		w.free = append(w.free, e)
	}
}

// Step delivers the next event, advancing time to it. It reports false when
// nothing is left to deliver.
func (w *World) Step() bool { return w.step(math.MaxInt64) }

// step delivers the next event due at or before limit.
func (w *World) step(limit time.Duration) bool {
	for {
		e := w.q.peek()
		if e == nil || e.at > limit {
			return false
		}
		w.q.pop()
		w.now = e.at
		var n *Node
		if e.node >= 0 {
			n = w.nodes[e.node]
			if e.inc != 0 && (e.inc != n.inc || !n.up) {
				w.dropEvent(e) // the process it belonged to is gone
				continue
			}
			if n.paused {
				n.deferred = append(n.deferred, e)
				continue
			}
		}
		if tm := e.tm; tm != nil {
			if tm.done {
				w.dropEvent(e)
				continue
			}
			tm.done = true
			tm.ev = nil
		}
		if n != nil {
			w.foldEvent(e.at, n.nameHash, n.name, e.kind)
		} else {
			w.foldEvent(e.at, 0, "-", e.kind)
		}
		w.events++
		fn := e.fn
		w.release(e)
		fn()
		w.flushTrace()
		return true
	}
}

// RunFor delivers every event due in the next d of simulated time and then
// sets the clock to the end of that span (idle time costs nothing).
func (w *World) RunFor(d time.Duration) {
	end := w.horizon(d)
	for w.step(end) {
	}
	w.now = max(w.now, end)
}

// RunUntil delivers events until cond holds (checked before each event) or
// limit of simulated time has passed; it reports whether cond held.
func (w *World) RunUntil(cond func() bool, limit time.Duration) bool {
	end := w.horizon(limit)
	for {
		if cond() {
			return true
		}
		if !w.step(end) {
			w.now = max(w.now, end)
			return cond()
		}
	}
}

// horizon is now+d, saturated at simclock.Never.
func (w *World) horizon(d time.Duration) time.Duration {
	return w.now + min(max(d, 0), simclock.Never-w.now)
}

// Pending is the number of events queued (including cancelled timers not yet
// reached and events of dead processes not yet discarded).
func (w *World) Pending() int { return w.q.len() }

// netKernel is the World as the network's Kernel.
type netKernel World

func (k *netKernel) Now() time.Duration { return k.now }

func (k *netKernel) Schedule(at time.Duration, node int, fn func()) {
	(*World)(k).schedule(at, int32(node), 0, kindNet, fn, nil)
}

func (k *netKernel) Note(what string, digest uint64) { (*World)(k).Note(what, digest) }

func (k *netKernel) Rand(purpose string) *rand.Rand { return (*World)(k).Rand(purpose) }

func (w *World) mustNode(name string) *Node {
	n := w.byName[name]
	if n == nil {
		panic(fmt.Sprintf("simrt: unknown node %q", name))
	}
	return n
}
