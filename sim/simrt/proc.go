package simrt

import (
	"log/slog"
	"math/rand/v2"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simclock"
	"rocketsim/sim/simnet"
)

// proc is one incarnation of a node's process; it implements
// runtime.Runtime. After the process dies its methods still answer but
// schedule nothing, so stale references held by test code are harmless.
type proc struct {
	n     *Node
	inc   uint32
	dead  bool
	stack *simnet.Stack
	log   *slog.Logger
}

var _ runtime.Runtime = (*proc)(nil)

func (p *proc) Name() string      { return p.n.name }
func (p *proc) Disk() runtime.FS  { return p.n.disk.FS() }
func (p *proc) Rand() *rand.Rand  { return p.n.rng }
func (p *proc) Log() *slog.Logger { return p.log }
func (p *proc) Now() time.Time    { return p.n.clock.Now() }
func (p *proc) Monotonic() time.Duration {
	return p.n.clock.Monotonic()
}

// Post runs fn on the node's loop after the events already due now. It must
// be called from the world's goroutine (see the package comment).
func (p *proc) Post(fn func()) {
	if p.dead {
		return
	}
	w := p.n.w
	w.schedule(w.now, p.n.idx, p.inc, kindPost, fn, nil)
}

// timer is a pending AfterFunc.
type timer struct {
	w        *World
	deadline time.Duration // on the process's monotonic clock
	ev       *event        // nil once fired, stopped or dropped
	done     bool
}

func (t *timer) Stop() bool {
	if t.done {
		return false
	}
	t.done = true
	if e := t.ev; e != nil && e.idx >= 0 {
		// Remove it now rather than at its deadline, so cancelled
		// request timeouts do not pile up in the queue.
		t.w.q.remove(e)
		t.w.dropEvent(e)
	}
	return true
}

// AfterFunc runs fn once the node's monotonic clock has advanced by d.
func (p *proc) AfterFunc(d time.Duration, fn func()) runtime.Timer {
	n := p.n
	w := n.w
	// Clamp so that AfterFunc(math.MaxInt64) means "never", not an
	// overflow into the past.
	t := &timer{w: w, deadline: n.clock.Monotonic() + min(max(d, 0), simclock.Never)}
	if p.dead {
		t.done = true
		return t
	}
	t.ev = w.schedule(n.clock.TrueAt(t.deadline), n.idx, p.inc, kindTimer, fn, t)
	return t
}

func (p *proc) Listen(addr string, accept func(runtime.Conn) runtime.ConnHandler) (runtime.Listener, error) {
	return p.stack.Listen(addr, accept)
}

func (p *proc) Dial(addr string, h runtime.ConnHandler) runtime.Conn {
	return p.stack.Dial(addr, h)
}
