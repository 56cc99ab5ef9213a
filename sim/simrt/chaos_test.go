package simrt

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simnet"
)

// The chaos test runs peers that keep connections to each other and stream
// numbered frames, under a random schedule of every fault the kernel knows,
// and checks TCP's promises on every connection: frames arrive in order
// without gaps (a prefix of what was sent), OnClose runs once and last, no
// callback reaches a dead incarnation, and once the faults heal nothing
// sent on a surviving connection is lost.

// chaosBook is the test's global ledger, shared by all incarnations.
type chaosBook struct {
	t    *testing.T
	sent map[string]int // token → frames sent
	recv map[string]int // token → frames received (in order)
	open map[string]bool
	// senderOpen marks tokens whose sending conn has not seen OnClose.
	senderOpen map[string]bool
	quiet      bool // stop sending, let the network drain
}

type chaosPeer struct {
	b     *chaosBook
	n     *Node
	rt    runtime.Runtime
	inc   uint32
	peers []string // addresses to keep a connection to
	conns map[string]bool
}

func (p *chaosPeer) Stop() {}

func (p *chaosPeer) alive(what string) {
	if !p.n.Up() || p.n.Incarnation() != p.inc || p.n.Paused() {
		p.b.t.Errorf("%s: %s reached a dead or paused incarnation %d", p.n.Name(), what, p.inc)
	}
}

// chaosConn is one connection's handler; outbound ones also stream.
type chaosConn struct {
	p      *chaosPeer
	token  string // for frames we send
	seq    int
	closed bool
	addr   string
	// expect is per inbound token, the next sequence number.
	expect map[string]int
}

func (c *chaosConn) OnConnect(cn runtime.Conn) {
	c.p.alive("OnConnect")
	c.pump(cn)
}

func (c *chaosConn) pump(cn runtime.Conn) {
	if c.closed || c.p.b.quiet {
		return
	}
	c.seq++
	payload := c.token + "/" + strconv.Itoa(c.seq)
	if err := cn.Send(frame(payload)); err != nil {
		c.seq-- // queue full (held by a partition): retry later
	} else {
		c.p.b.sent[c.token] = c.seq
	}
	d := time.Duration(1+c.p.rt.Rand().IntN(5)) * time.Millisecond
	c.p.rt.AfterFunc(d, func() { c.pump(cn) })
}

func (c *chaosConn) OnFrame(_ runtime.Conn, f []byte) {
	c.p.alive("OnFrame")
	if c.closed {
		c.p.b.t.Errorf("OnFrame after OnClose")
	}
	s := string(f[4:])
	i := strings.LastIndexByte(s, '/')
	token := s[:i]
	n, _ := strconv.Atoi(s[i+1:])
	if c.expect == nil {
		c.expect = map[string]int{}
	}
	if want := c.expect[token] + 1; n != want {
		c.p.b.t.Errorf("%s: token %s frame %d, want %d (gap or reorder)", c.p.n.Name(), token, n, want)
	}
	c.expect[token] = n
	c.p.b.recv[token] = n
}

func (c *chaosConn) OnClose(_ runtime.Conn, err error) {
	c.p.alive("OnClose")
	if c.closed {
		c.p.b.t.Errorf("OnClose twice")
	}
	c.closed = true
	if c.token != "" {
		delete(c.p.b.senderOpen, c.token)
	}
	if c.addr != "" {
		delete(c.p.conns, c.addr)
		// Reconnect after a backoff.
		c.p.rt.AfterFunc(time.Duration(50+c.p.rt.Rand().IntN(200))*time.Millisecond, func() { c.p.dial(c.addr) })
	}
}

func (p *chaosPeer) dial(addr string) {
	if p.conns[addr] {
		return
	}
	p.conns[addr] = true
	c := &chaosConn{p: p, addr: addr}
	cn := p.rt.Dial(addr, c)
	c.token = fmt.Sprintf("%s/%d/%d", p.n.Name(), p.inc, cn.ID())
	p.b.senderOpen[c.token] = true
}

func newChaosPeer(b *chaosBook, self func() *Node, peers []string) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		n := self()
		p := &chaosPeer{b: b, n: n, rt: rt, inc: n.Incarnation(), peers: peers, conns: map[string]bool{}}
		if _, err := rt.Listen(n.Host()+":7000", func(runtime.Conn) runtime.ConnHandler {
			p.alive("accept")
			return &chaosConn{p: p}
		}); err != nil {
			return nil, err
		}
		for _, a := range peers {
			p.dial(a)
		}
		return p, nil
	}
}

func chaosRun(t *testing.T, seed uint64, faults int, span time.Duration) (*World, *chaosBook) {
	w := New(seed, Options{})
	b := &chaosBook{t: t, sent: map[string]int{}, recv: map[string]int{}, senderOpen: map[string]bool{}}
	const size = 4
	names := make([]string, size)
	nodes := make([]*Node, size)
	for i := range size {
		names[i] = fmt.Sprintf("p%d", i)
		var peers []string
		for j := range size {
			if j != i {
				peers = append(peers, defaultHost(j)+":7000")
			}
		}
		nodes[i] = w.AddNode(names[i], NodeConfig{}, newChaosPeer(b, func() *Node { return nodes[i] }, peers))
	}
	w.Net().SendQueueMax = 4 << 10 // small, so partitions fill queues
	for _, n := range nodes {
		n.Start()
	}
	r := w.Rand("test/chaos")
	for range faults {
		at := time.Duration(r.Int64N(int64(span)))
		n := nodes[r.IntN(size)]
		var fn func()
		switch r.IntN(10) {
		case 0:
			fn = n.Crash
		case 1:
			fn = n.Restart
		case 2:
			fn = n.Start
		case 3:
			fn = n.Pause
		case 4:
			fn = n.Resume
		case 5:
			perm := r.Perm(size)
			k := 1 + r.IntN(size-1)
			var a, bb []string
			for i, j := range perm {
				if i < k {
					a = append(a, names[j])
				} else {
					bb = append(bb, names[j])
				}
			}
			oneWay := r.IntN(2) == 0
			fn = func() {
				if oneWay {
					_ = w.Net().PartitionOneWay(a, bb)
				} else {
					_ = w.Net().Partition(a, bb)
				}
			}
		case 6:
			fn = w.Net().Heal
		case 7:
			rate := 0.8 + r.Float64()*0.4
			fn = func() { n.Clock().SetDrift(rate) }
		case 8:
			d := time.Duration(r.Int64N(int64(time.Hour))) - 30*time.Minute
			fn = func() { n.Clock().Jump(d) }
		case 9:
			hi := time.Duration(r.Int64N(int64(50 * time.Millisecond)))
			loss := float64(r.IntN(3)) * 0.05
			other := names[r.IntN(size)]
			fn = func() {
				if other != n.Name() {
					_ = w.Net().SetLink(n.Name(), other, simnet.LinkConfig{Max: hi, LossProb: loss})
				}
			}
		}
		w.At(at, fn)
	}
	w.RunFor(span)
	// Liveness phase: heal everything and let the peers reconnect.
	w.Net().Heal()
	for _, a := range names {
		for _, b := range names {
			_ = w.Net().SetLinkOneWay(a, b, simnet.DefaultLink())
		}
	}
	for _, n := range nodes {
		n.Resume()
		n.Start()
	}
	w.RunFor(30 * time.Second)
	b.quiet = true
	w.RunFor(30 * time.Second) // longer than any stall timeout: all settles
	return w, b
}

func TestChaosKeepsTCPPromises(t *testing.T) {
	seeds := []uint64{1, 2, 3, 4, 5, 6}
	if testing.Short() {
		seeds = seeds[:2]
	}
	for _, seed := range seeds {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			w, b := chaosRun(t, seed, 40, 20*time.Second)
			live := 0
			for token := range b.senderOpen {
				// A crashed sender's connections die silently (its
				// handlers hear nothing): only the live ones count.
				parts := strings.Split(token, "/")
				if inc, _ := strconv.Atoi(parts[1]); w.Node(parts[0]).Incarnation() != uint32(inc) {
					continue
				}
				live++
				if b.recv[token] != b.sent[token] {
					t.Errorf("open connection %s: sent %d, received %d", token, b.sent[token], b.recv[token])
				}
			}
			if live != 12 {
				t.Errorf("%d connections open after healing, want all 12 re-established", live)
			}
			total := 0
			for _, n := range b.recv {
				total += n
			}
			if total < 10000 {
				t.Errorf("only %d frames delivered: the workload barely ran", total)
			}
			w2, _ := chaosRun(t, seed, 40, 20*time.Second)
			if w.TraceHash() != w2.TraceHash() {
				t.Errorf("seed %d replayed to a different trace hash", seed)
			}
		})
	}
}
