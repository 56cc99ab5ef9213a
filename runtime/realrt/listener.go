package realrt

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"rocketsim/runtime"
)

// Bounds on the accept loop's back-off after a failing Accept (out of file
// descriptors, say): doubling from acceptBackoffMin up to acceptBackoffMax,
// the same shape net/http uses.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// listener is an open listening socket. Its fields are loop-owned except ln,
// which is safe for concurrent use.
type listener struct {
	rt     *Runtime
	ln     net.Listener
	addr   string
	accept func(runtime.Conn) runtime.ConnHandler
	closed bool
}

// Listen listens on addr ("host:port"; port 0 picks a free port) and calls
// accept on the loop for each inbound connection. Loop only.
func (r *Runtime) Listen(addr string, accept func(runtime.Conn) runtime.ConnHandler) (runtime.Listener, error) {
	if accept == nil {
		panic("realrt: Listen with nil accept")
	}
	if r.exiting {
		return nil, fmt.Errorf("realrt: listen %s: runtime stopped: %w", addr, runtime.ErrClosed)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("realrt: listen %s: %w", addr, err)
	}
	l := &listener{rt: r, ln: ln, addr: ln.Addr().String(), accept: accept}
	r.listeners[l] = struct{}{}
	r.wg.Add(1)
	go l.acceptLoop()
	return l, nil
}

// Addr is the bound address, with the real port when Listen asked for 0.
func (l *listener) Addr() string { return l.addr }

// Close stops accepting. Connections already accepted stay open. Loop only.
func (l *listener) Close() error {
	if l.closed {
		return nil
	}
	l.closed = true
	delete(l.rt.listeners, l)
	if err := l.ln.Close(); err != nil {
		return fmt.Errorf("realrt: close listener %s: %w", l.addr, err)
	}
	return nil
}

// acceptLoop is the listener's goroutine: it accepts sockets and hands them
// to the loop, which creates the conn and asks the node for a handler.
func (l *listener) acceptLoop() {
	defer l.rt.wg.Done()
	backoff := time.Duration(0)
	for {
		nc, err := l.ln.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			backoff = min(max(2*backoff, acceptBackoffMin), acceptBackoffMax)
			l.rt.log.Warn("accept failed; backing off", slog.String("addr", l.addr),
				slog.Duration("backoff", backoff), slog.Any("err", err))
			select {
			case <-time.After(backoff):
			case <-l.rt.ctx.Done():
				return
			}
			continue
		}
		backoff = 0
		setNoDelay(nc)
		if !l.rt.post(func() { l.admit(nc) }) {
			_ = nc.Close()
			return
		}
	}
}

// admit runs on the loop for one accepted socket.
func (l *listener) admit(nc net.Conn) {
	if l.closed || l.rt.exiting {
		_ = nc.Close()
		return
	}
	r := l.rt
	c := r.newConn(nc.RemoteAddr().String(), nil)
	c.attach(nc)
	h := l.accept(c)
	if h == nil {
		// The node refused the connection; it never saw it as a peer.
		delete(r.conns, c.id)
		c.state = connClosed
		_ = nc.Close()
		return
	}
	if c.state != connOpen {
		// accept closed it already; OnClose(nil) is queued and needs h.
		c.h = h
		return
	}
	c.h = h
	c.startIO()
}

func setNoDelay(nc net.Conn) {
	if tc, ok := nc.(*net.TCPConn); ok {
		// Frames are whole requests; Nagle would only add latency. The
		// writer batches by itself.
		_ = tc.SetNoDelay(true)
	}
}
