package realrt

import (
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"rocketsim/runtime"
)

type connState uint8

const (
	connDialing connState = iota
	connOpen
	connClosed
)

// conn is one TCP connection carrying whole frames. Fields marked loop are
// touched only on the loop; the writer's queue is shared with the writer
// goroutine under wmu; rbytes is shared with the reader goroutine.
type conn struct {
	rt     *Runtime
	id     uint64
	h      runtime.ConnHandler // loop
	remote string
	local  string        // loop; "" until connected
	nc     net.Conn      // set on the loop before the I/O goroutines start
	state  connState     // loop
	io     bool          // loop: reader and writer goroutines started
	done   chan struct{} // closed on the loop when the conn closes
	cancel func()        // loop: cancels a Dial in progress

	wmu     sync.Mutex
	wcond   *sync.Cond
	wq      [][]byte // frames waiting for the writer
	wspare  [][]byte // the writer's last batch slice, reused
	wbytes  int      // bytes queued or being written; bounded by SendQueueMax
	wclosed bool     // no more frames will be queued
	wabort  bool     // drop what is queued and close the socket now

	rbytes atomic.Int64  // bytes of frames posted to the loop, not yet delivered
	waited time.Duration // loop: how long the frames being delivered waited for the loop
	rwake  chan struct{} // wakes a reader paused on RecvQueueMax
}

var _ runtime.Conn = (*conn)(nil)

// newConn registers a conn on the loop.
func (r *Runtime) newConn(remote string, h runtime.ConnHandler) *conn {
	r.nextID++
	c := &conn{
		rt:     r,
		id:     r.nextID,
		h:      h,
		remote: remote,
		done:   make(chan struct{}),
		rwake:  make(chan struct{}, 1),
	}
	c.wcond = sync.NewCond(&c.wmu)
	r.conns[c.id] = c
	return c
}

// attach binds a connected socket; loop only.
func (c *conn) attach(nc net.Conn) {
	c.nc = nc
	c.local = nc.LocalAddr().String()
	c.remote = nc.RemoteAddr().String()
	c.state = connOpen
}

// startIO starts the reader and writer goroutines; loop only.
func (c *conn) startIO() {
	c.io = true
	c.rt.wg.Add(2)
	go c.readLoop()
	go c.writeLoop()
}

// ID is unique among this runtime's connections.
func (c *conn) ID() uint64 { return c.id }

// LocalAddr is the local socket address, "" before a Dial completes.
func (c *conn) LocalAddr() string { return c.local }

// RemoteAddr is the peer's address (the dialed address before connecting).
func (c *conn) RemoteAddr() string { return c.remote }

// Send queues one whole frame. Frames sent before a Dial completes are kept
// and written once it does. Like Netty's encoder, and like the simulated
// network, Send does not apply MaxFrameSize: the receiver's bound is the
// one that counts, and an oversized frame makes the receiver drop the
// connection. A frame whose length prefix does not match its size is a bug
// in the caller's codec and panics. Loop only.
func (c *conn) Send(frame []byte) error {
	if len(frame) < 4 || binary.BigEndian.Uint32(frame) != uint32(len(frame)-4) {
		panic(fmt.Sprintf("realrt: Send of a malformed frame (%d bytes): the length prefix must count the bytes after it", len(frame)))
	}
	if c.state == connClosed {
		return fmt.Errorf("realrt: send on conn %d to %s: %w", c.id, c.remote, runtime.ErrClosed)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.wbytes+len(frame) > c.rt.opts.SendQueueMax {
		return fmt.Errorf("realrt: send on conn %d to %s: %d bytes queued: %w",
			c.id, c.remote, c.wbytes, runtime.ErrSendQueueFull)
	}
	c.wq = append(c.wq, frame)
	c.wbytes += len(frame)
	c.wcond.Signal()
	return nil
}

// Close closes the connection after writing what is queued (for at most
// closeLinger). OnClose(nil) runs later, as its own event. Loop only.
func (c *conn) Close() error {
	if c.state == connClosed {
		return fmt.Errorf("realrt: close conn %d: %w", c.id, runtime.ErrClosed)
	}
	c.shut(true)
	c.rt.post(func() {
		if c.h != nil {
			c.h.OnClose(c, nil)
		}
	})
	return nil
}

// closeQuietly closes the connection without telling the handler: the node
// is gone (Stop with linger, Kill without). Loop only.
func (c *conn) closeQuietly(linger bool) {
	if c.state != connClosed {
		c.shut(linger)
	}
}

// fail closes the connection because of err (peer close, reset, bad frame)
// and tells the handler at once; it runs as an event on the loop. Events for
// a conn already closed are stale and ignored.
func (c *conn) fail(err error) {
	if c.state != connOpen {
		return
	}
	c.shut(false)
	c.h.OnClose(c, err)
}

// shut moves the conn to closed and releases its goroutines. With linger
// the writer first writes what is queued, bounded by closeLinger. Loop only.
func (c *conn) shut(linger bool) {
	dialing := c.state == connDialing
	c.state = connClosed
	delete(c.rt.conns, c.id)
	close(c.done)
	if dialing && c.cancel != nil {
		c.cancel()
	}
	c.wmu.Lock()
	c.wclosed = true
	c.wabort = !linger
	c.wcond.Signal()
	c.wmu.Unlock()
	switch {
	case !c.io && c.nc != nil:
		_ = c.nc.Close() // no writer will do it
	case c.io && linger:
		// Bounds the writer's last flush when the peer is not reading.
		_ = c.nc.SetWriteDeadline(time.Now().Add(closeLinger))
	case c.io:
		_ = c.nc.Close() // unblocks a writer stuck in Write
	}
}

// Dial connects to addr in the background; h.OnConnect or h.OnClose follows
// on the loop. Loop only.
func (r *Runtime) Dial(addr string, h runtime.ConnHandler) runtime.Conn {
	if h == nil {
		panic("realrt: Dial with nil handler")
	}
	c := r.newConn(addr, h)
	c.state = connDialing
	if r.exiting {
		c.shut(false) // the node is gone; nothing will be delivered
		return c
	}
	ctx, cancel := context.WithTimeout(r.ctx, r.opts.DialTimeout)
	c.cancel = cancel
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer cancel()
		var d net.Dialer
		nc, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			err = dialError(ctx, addr, err)
		} else {
			setNoDelay(nc)
		}
		if !r.post(func() { c.dialed(nc, err) }) && nc != nil {
			_ = nc.Close()
		}
	}()
	return c
}

// dialed runs on the loop when a Dial goroutine finishes.
func (c *conn) dialed(nc net.Conn, err error) {
	if c.state != connDialing {
		// Closed locally while dialing; OnClose(nil) was already queued.
		if nc != nil {
			_ = nc.Close()
		}
		return
	}
	if err != nil {
		c.shut(false)
		c.h.OnClose(c, err)
		return
	}
	c.attach(nc)
	c.startIO()
	c.h.OnConnect(c)
}

// FrameWaited is runtime.FrameWaiter: how long the frame being delivered
// waited between its read off the socket and the loop.
func (c *conn) FrameWaited() time.Duration { return c.waited }
