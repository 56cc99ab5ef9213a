// Package remotingtest is a tiny deterministic in-memory world for testing
// code built on the runtime seam: one event queue ordered by (time, sequence),
// nodes with a monotonic clock and timers, and TCP-like connections that carry
// whole frames in order with a fixed latency. It is for unit tests of
// remoting and the name server; the full simulator lives in sim/.
package remotingtest

import (
	"container/heap"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"rocketsim/runtime"
)

// Latency is the one-way delay of every frame and connection event.
const Latency = time.Millisecond

// World holds the event queue and the listeners of every node.
type World struct {
	now       time.Duration
	seq       uint64
	events    eventHeap
	listeners map[string]func(runtime.Conn) runtime.ConnHandler
	nextConn  uint64
	// Blocked holds host pairs "a|b" whose frames are silently held back
	// (a partition as TCP sees it: nothing arrives, nothing fails).
	blocked map[string]bool
}

// NewWorld returns an empty world at time 0.
func NewWorld() *World {
	return &World{listeners: map[string]func(runtime.Conn) runtime.ConnHandler{}, blocked: map[string]bool{}}
}

// Now is the world's time since start.
func (w *World) Now() time.Duration { return w.now }

type event struct {
	at  time.Duration
	seq uint64
	fn  func()
	off *bool
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

func (w *World) schedule(d time.Duration, fn func()) *event {
	w.seq++
	e := &event{at: w.now + d, seq: w.seq, fn: fn, off: new(bool)}
	heap.Push(&w.events, e)
	return e
}

// RunFor processes events up to now+d.
func (w *World) RunFor(d time.Duration) {
	end := w.now + d
	for len(w.events) > 0 && w.events[0].at <= end {
		e := heap.Pop(&w.events).(*event)
		w.now = e.at
		if !*e.off {
			e.fn()
		}
	}
	w.now = end
}

// Partition holds back frames between hosts a and b in both directions.
func (w *World) Partition(a, b string) {
	w.blocked[a+"|"+b] = true
	w.blocked[b+"|"+a] = true
}

// Heal removes every partition.
func (w *World) Heal() { w.blocked = map[string]bool{} }

// Node is a runtime.Runtime bound to a host name.
type Node struct {
	fs    runtime.FS
	w     *World
	host  string
	start time.Duration
	rng   *rand.Rand
	log   *slog.Logger
}

// NewNode returns a runtime for host. Logs go to out (io.Discard if nil).
func (w *World) NewNode(host string, out io.Writer) *Node {
	if out == nil {
		out = io.Discard
	}
	return &Node{w: w, host: host, start: w.now, rng: rand.New(rand.NewPCG(1, uint64(len(host)))),
		log: slog.New(slog.NewTextHandler(out, &slog.HandlerOptions{Level: slog.LevelDebug})).With(slog.String("node", host))}
}

var _ runtime.Runtime = (*Node)(nil)

func (n *Node) Name() string { return n.host }
func (n *Node) Disk() runtime.FS {
	if n.fs == nil {
		panic("remotingtest: node has no disk; call WithDisk")
	}
	return n.fs
}

// WithDisk gives the node a file system (e.g. a sim/simdisk view).
func (n *Node) WithDisk(fs runtime.FS) *Node { n.fs = fs; return n }
func (n *Node) Rand() *rand.Rand             { return n.rng }
func (n *Node) Log() *slog.Logger            { return n.log }
func (n *Node) Post(fn func())               { n.w.schedule(0, fn) }
func (n *Node) Now() time.Time               { return time.Unix(1_700_000_000, 0).Add(n.w.now) }
func (n *Node) Monotonic() time.Duration     { return n.w.now - n.start }
func (n *Node) AfterFunc(d time.Duration, fn func()) runtime.Timer {
	return timer{n.w.schedule(d, fn)}
}

type timer struct{ e *event }

func (t timer) Stop() bool {
	was := !*t.e.off
	*t.e.off = true
	return was
}

type listener struct {
	w    *World
	addr string
}

func (l listener) Addr() string { return l.addr }
func (l listener) Close() error { delete(l.w.listeners, l.addr); return nil }

// Listen registers addr ("host:port"); the host must be the node's own.
func (n *Node) Listen(addr string, accept func(runtime.Conn) runtime.ConnHandler) (runtime.Listener, error) {
	if _, dup := n.w.listeners[addr]; dup {
		return nil, fmt.Errorf("listen %s: address in use", addr)
	}
	n.w.listeners[addr] = accept
	return listener{n.w, addr}, nil
}

// Conn is one end of an in-memory connection.
type Conn struct {
	w      *World
	id     uint64
	local  string
	remote string
	h      runtime.ConnHandler
	peer   *Conn
	closed bool
	Sent   int // frames sent, for assertions
}

func (c *Conn) ID() uint64         { return c.id }
func (c *Conn) LocalAddr() string  { return c.local }
func (c *Conn) RemoteAddr() string { return c.remote }

func host(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[:i]
		}
	}
	return addr
}

// Send delivers frame to the peer after Latency, unless a partition holds it.
func (c *Conn) Send(frame []byte) error {
	if c.closed {
		return runtime.ErrClosed
	}
	if c.peer == nil {
		return fmt.Errorf("send on %s before connect: %w", c.remote, runtime.ErrClosed)
	}
	c.Sent++
	if c.w.blocked[host(c.local)+"|"+host(c.remote)] {
		return nil
	}
	p := c.peer
	c.w.schedule(Latency, func() {
		if !p.closed {
			p.h.OnFrame(p, frame)
		}
	})
	return nil
}

// Close closes both ends: OnClose(nil) here, OnClose(ErrReset) at the peer.
func (c *Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	c.w.schedule(0, func() { c.h.OnClose(c, nil) })
	p := c.peer
	c.w.schedule(Latency, func() {
		if !p.closed {
			p.closed = true
			p.h.OnClose(p, runtime.ErrReset)
		}
	})
	return nil
}

// Dial connects to addr; refused when nobody listens there.
func (n *Node) Dial(addr string, h runtime.ConnHandler) runtime.Conn {
	w := n.w
	w.nextConn++
	c := &Conn{w: w, id: w.nextConn, local: fmt.Sprintf("%s:%d", n.host, 40000+w.nextConn), remote: addr, h: h}
	w.schedule(Latency, func() {
		accept, ok := w.listeners[addr]
		if !ok || w.blocked[n.host+"|"+host(addr)] {
			c.closed = true
			c.h.OnClose(c, fmt.Errorf("dial %s: %w", addr, runtime.ErrRefused))
			return
		}
		w.nextConn++
		s := &Conn{w: w, id: w.nextConn, local: addr, remote: c.local, peer: c}
		c.peer = s
		s.h = accept(s)
		w.schedule(Latency, func() {
			if !c.closed {
				c.h.OnConnect(c)
			}
		})
	})
	return c
}
