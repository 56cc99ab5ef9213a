package simnet

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"time"

	"rocketsim/runtime"
)

// entryKind is what travels on one direction of a connection. The handshake
// and the close travel in the same FIFO as the frames, so the order a peer
// sees them in is the order they were sent in.
type entryKind uint8

const (
	kindFrame   entryKind = iota
	kindSyn               // dialer → listener: open
	kindSynAck            // listener → dialer: accepted
	kindRefused           // listener host → dialer: nothing listens
	kindFin               // graceful close
	kindRst               // abortive close (crash, bad frame)
)

type entry struct {
	kind  entryKind
	at    time.Duration // true delivery time
	since time.Duration // for a SYN or SYN-ACK: when the dial started
	frame []byte
	// dead marks a frame every retransmission of which was lost: when its
	// time comes the connection fails instead.
	dead bool
}

// pipe is one direction of a connection: a FIFO of entries in flight.
type pipe struct {
	net      *Network
	from, to *Host
	link     *link
	src, dst *end // dst is nil until the SYN is accepted
	reverse  *pipe
	q        []entry
	head     int
	lastAt   time.Duration // delivery time of the last entry queued
	txFree   time.Duration // when the link finishes serialising queued bytes
	bytes    int           // frame bytes queued
	pending  bool          // a run event is scheduled
	stalled  bool
	stallGen uint64
	failed   bool
	run      func() // allocated once, so scheduling a delivery allocates nothing
}

func (n *Network) newPipe(from, to *Host) *pipe {
	p := &pipe{net: n, from: from, to: to, link: n.link(from, to)}
	p.run = p.deliver
	return p
}

// push queues e, giving it a delivery time after everything queued before
// it. size is the bytes it occupies on the link.
func (p *pipe) push(e entry, size int) {
	if p.failed {
		return
	}
	now := p.net.k.Now()
	start := max(now, p.txFree)
	p.txFree = start + p.link.serialisation(size)
	delay := p.link.latency()
	if e.kind == kindFrame {
		var extra time.Duration
		extra, e.dead = p.link.retransmissions()
		delay += extra
	}
	e.at = max(p.txFree+delay, p.lastAt)
	p.lastAt = e.at
	p.bytes += len(e.frame)
	if p.head > 0 && p.head == len(p.q) {
		p.q, p.head = p.q[:0], 0
	}
	p.q = append(p.q, e)
	p.schedule()
}

func (p *pipe) schedule() {
	if p.pending || p.stalled || p.failed || p.head == len(p.q) {
		return
	}
	p.pending = true
	node := p.to.node
	if p.q[p.head].kind == kindSyn {
		// The host's kernel answers a SYN even while the process is
		// paused (SIGSTOP); only the accept callback waits for it.
		node = -1
	}
	p.net.k.Schedule(p.q[p.head].at, node, p.run)
}

// deliver hands the head entry to the receiving end, on the receiver's loop.
func (p *pipe) deliver() {
	p.pending = false
	if p.failed || p.stalled || p.head == len(p.q) {
		return
	}
	n := p.net
	if n.blocked[p.from.idx][p.to.idx] {
		p.stall()
		return
	}
	e := p.q[p.head]
	if e.dead {
		n.k.Note("retransmit-timeout", uint64(p.from.idx)<<32|uint64(p.to.idx))
		p.timeout()
		return
	}
	p.q[p.head] = entry{}
	p.head++
	p.bytes -= len(e.frame)
	if p.head == len(p.q) {
		p.q, p.head = p.q[:0], 0
	}
	switch e.kind {
	case kindSyn:
		p.accept(e.since)
	case kindSynAck:
		d := p.dst
		n.k.Note("connect", d.id)
		if d.state == stateDialing {
			d.state = stateOpen
			d.h.OnConnect(d)
		}
	case kindRefused:
		d := p.dst
		n.k.Note("refused", d.id)
		n.stats.Refused++
		d.fail(fmt.Errorf("simnet: dial %s: %w", d.remote, runtime.ErrRefused))
	case kindFrame:
		d := p.dst
		if d == nil || d.state != stateOpen {
			break // the receiver closed; its FIN or RST is on the way back
		}
		n.k.Note("frame", d.id<<32|uint64(crc32.Checksum(e.frame, castagnoli)))
		if err := n.checkFrame(e.frame); err != nil {
			n.stats.BadFrames++
			d.abort(err)
			break
		}
		n.stats.Frames++
		n.stats.Bytes += uint64(len(e.frame))
		d.waited = n.k.Now() - e.at
		d.h.OnFrame(d, e.frame)
	case kindFin:
		if d := p.dst; d != nil {
			n.k.Note("fin", d.id)
			if d.state != stateClosed {
				n.stats.PeerCloses++
			}
			d.fail(ErrPeerClosed)
		}
	case kindRst:
		if d := p.dst; d != nil {
			n.k.Note("rst", d.id)
			if d.state != stateClosed {
				n.stats.Resets++
			}
			d.fail(fmt.Errorf("simnet: %s from %s: %w", d.local, d.remote, runtime.ErrReset))
		}
	}
	p.schedule()
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (n *Network) checkFrame(f []byte) error {
	if len(f) < 4 {
		return fmt.Errorf("simnet: frame of %d bytes has no length prefix: %w", len(f), runtime.ErrBadFrame)
	}
	// The prefix is a signed int32, and the bound counts the prefix itself,
	// as Netty's frame decoder and the real runtime do.
	l := int32(binary.BigEndian.Uint32(f))
	if l < 0 {
		return fmt.Errorf("simnet: negative frame length %d: %w", l, runtime.ErrBadFrame)
	}
	if int64(l)+4 > int64(n.MaxFrameSize) {
		return fmt.Errorf("simnet: %d-byte frame over the %d-byte bound: %w", int64(l)+4, n.MaxFrameSize, runtime.ErrFrameTooLarge)
	}
	if int64(l) != int64(len(f)-4) {
		return fmt.Errorf("simnet: frame length prefix %d but %d bytes follow: %w", l, len(f)-4, runtime.ErrBadFrame)
	}
	return nil
}

// accept runs when a SYN reaches the listener's host.
func (p *pipe) accept(since time.Duration) {
	n := p.net
	src := p.src
	var l *listener
	if s := p.to.stack; s != nil {
		l = s.listeners[src.port]
	}
	if l == nil {
		n.k.Note("syn-refused", src.id)
		p.reverse.push(entry{kind: kindRefused}, 0)
		p.failed = true // nothing sent after the SYN has a receiver
		p.q, p.head, p.bytes = nil, 0, 0
		return
	}
	// The kernel completes the handshake at once and queues the
	// connection for the process, which accepts it on its own loop; what
	// the peer sends meanwhile queues behind the accept, on the same loop.
	s := l.stack
	d := s.newEnd(l.addr, src.local, nil)
	d.state = stateOpen
	d.out, d.in = p.reverse, p
	p.dst, p.reverse.src = d, d
	n.k.Note("syn", src.id)
	n.stats.Accepts++
	p.reverse.push(entry{kind: kindSynAck, since: since}, 0)
	n.k.Schedule(n.k.Now(), p.to.node, func() {
		if s.dead || d.state == stateClosed {
			return // the process died or the connection failed first
		}
		if l.closed {
			n.k.Note("accept-closed", d.id)
			d.shut(kindRst)
			return
		}
		n.k.Note("accept", d.id)
		d.h = l.accept(d)
		if d.h == nil {
			panic(fmt.Sprintf("simnet: accept on %s returned a nil handler", l.addr))
		}
	})
}

// stall holds the pipe until the partition heals or the timeout passes.
func (p *pipe) stall() {
	n := p.net
	p.stalled = true
	p.stallGen++
	n.stats.Stalls++
	n.stalled = append(n.stalled, p)
	gen := p.stallGen
	deadline := n.k.Now() + n.StallTimeout
	if e := p.q[p.head]; e.kind == kindSyn || e.kind == kindSynAck {
		// The handshake is bounded by the dialer's connect timeout.
		deadline = max(e.since+n.ConnectTimeout, n.k.Now())
	}
	n.k.Note("stall", uint64(p.from.idx)<<32|uint64(p.to.idx))
	n.k.Schedule(deadline, -1, func() {
		if p.stalled && p.stallGen == gen {
			n.k.Note("stall-timeout", uint64(p.from.idx)<<32|uint64(p.to.idx))
			p.stalled = false
			p.timeout()
			n.forget(p)
		}
	})
}

// unstall gives every held entry a fresh latency from now, keeping order.
func (p *pipe) unstall() {
	p.stalled = false
	now := p.net.k.Now()
	prev := now
	for i := p.head; i < len(p.q); i++ {
		at := max(p.q[i].at, now+p.link.latency(), prev)
		p.q[i].at, prev = at, at
	}
	p.lastAt = max(p.lastAt, prev)
	p.schedule()
}

// timeout fails the whole connection: both ends that are still open hear
// runtime.ErrTimeout on their own loops.
func (p *pipe) timeout() {
	p.net.stats.Timeouts++
	p.failed, p.reverse.failed = true, true
	if p.reverse.stalled {
		p.reverse.stalled = false
		p.net.forget(p.reverse)
	}
	p.q, p.head, p.bytes = nil, 0, 0
	p.reverse.q, p.reverse.head, p.reverse.bytes = nil, 0, 0
	for _, e := range []*end{p.src, p.dst} {
		if e != nil {
			e.failLater(p.net.k.Now(), fmt.Errorf("simnet: %s to %s: %w", e.local, e.remote, runtime.ErrTimeout))
		}
	}
}

type endState uint8

const (
	stateDialing endState = iota
	stateOpen
	stateClosed // OnClose has run or is scheduled, or the process died
)

// end is one side of a connection; it implements runtime.Conn.
type end struct {
	stack         *Stack
	id            uint64
	local, remote string
	port          int // the dialed port (dialer side only)
	h             runtime.ConnHandler
	state         endState
	out, in       *pipe
	// waited is how long the frame being delivered waited past its
	// arrival (the process was paused).
	waited time.Duration
}

var _ runtime.Conn = (*end)(nil)

// FrameWaited is runtime.FrameWaiter.
func (e *end) FrameWaited() time.Duration { return e.waited }

func (e *end) ID() uint64         { return e.id }
func (e *end) LocalAddr() string  { return e.local }
func (e *end) RemoteAddr() string { return e.remote }

// Send queues frame behind everything sent before it.
func (e *end) Send(frame []byte) error {
	if e.state == stateClosed {
		return fmt.Errorf("simnet: send on %s to %s: %w", e.local, e.remote, runtime.ErrClosed)
	}
	p := e.out
	if p == nil || p.failed {
		return nil // the dial already failed; OnClose is on its way
	}
	if p.bytes+len(frame) > p.net.SendQueueMax {
		p.net.stats.SendQueueFulls++
		return fmt.Errorf("simnet: send on %s to %s (%d bytes queued): %w", e.local, e.remote, p.bytes, runtime.ErrSendQueueFull)
	}
	p.push(entry{kind: kindFrame, frame: frame}, len(frame))
	return nil
}

// Close sends a FIN behind the queued frames; OnClose(nil) runs on the loop.
func (e *end) Close() error {
	if e.state == stateClosed {
		return fmt.Errorf("simnet: close %s to %s: %w", e.local, e.remote, runtime.ErrClosed)
	}
	e.shut(kindFin)
	k := e.stack.host.net.k
	k.Schedule(k.Now(), e.stack.host.node, func() {
		if !e.stack.dead { // a crash in between silences the handler
			k.Note("close", e.id)
			e.h.OnClose(e, nil)
		}
	})
	return nil
}

// shut closes the end without telling its handler and sends k (FIN or RST)
// to the peer behind what is queued.
func (e *end) shut(k entryKind) {
	e.state = stateClosed
	delete(e.stack.ends, e.id)
	if e.out != nil {
		e.out.push(entry{kind: k}, 0)
	}
	if in := e.in; in != nil && in.dst == e {
		// Nothing more will be read: drop what is in flight to us.
		in.bytes = 0
		for i := in.head; i < len(in.q); i++ {
			if in.q[i].kind == kindFrame {
				in.q[i].frame = nil
			}
		}
	}
}

// fail closes the end because of err and tells its handler, now (the
// caller runs on the end's loop).
func (e *end) fail(err error) {
	if e.state == stateClosed {
		return
	}
	e.state = stateClosed
	delete(e.stack.ends, e.id)
	if e.h == nil {
		return // never accepted by its process: nobody to tell
	}
	e.h.OnClose(e, err)
}

// abort is a receiver rejecting the stream (bad frame): it resets the peer
// and closes itself with err.
func (e *end) abort(err error) {
	if e.out != nil {
		e.out.push(entry{kind: kindRst}, 0)
	}
	e.fail(err)
}

// failLater runs fail(err) on the end's loop at true time at.
func (e *end) failLater(at time.Duration, err error) {
	k := e.stack.host.net.k
	k.Schedule(at, e.stack.host.node, func() {
		if e.state != stateClosed && !e.stack.dead {
			k.Note("fail", e.id)
			e.fail(err)
		}
	})
}
