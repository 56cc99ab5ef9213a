package simnet

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"

	"rocketsim/runtime"
)

// Stack is one process's sockets on a host. It implements runtime.Network.
// Crash and Shutdown end it; a new process gets a new Stack from Host.Boot.
type Stack struct {
	host      *Host
	dead      bool
	listeners map[int]*listener // by port; looked up, never iterated
	// ends holds the process's open connections by id. It is iterated only
	// after sorting the ids.
	ends     map[uint64]*end
	nextID   uint64
	nextPort int
}

var _ runtime.Network = (*Stack)(nil)

// splitAddr splits "host:port" (host may be empty, as in ":9876").
func splitAddr(addr string) (string, int, error) {
	i := strings.LastIndexByte(addr, ':')
	if i < 0 {
		return "", 0, fmt.Errorf("simnet: bad address %q: missing port", addr)
	}
	port, err := strconv.Atoi(addr[i+1:])
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("simnet: bad address %q: bad port", addr)
	}
	host := strings.TrimSuffix(strings.TrimPrefix(addr[:i], "["), "]")
	return host, port, nil
}

// resolve finds the host an address names, as seen from s's host: its own
// IP, a loopback or unspecified address, or "localhost" name the process's
// own machine (configs often say 127.0.0.1:9876); another host's IP or node
// name names that host. It returns nil for anything else.
func (s *Stack) resolve(host string) *Host {
	n := s.host.net
	switch host {
	case "", "localhost":
		return s.host
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if ip.IsLoopback() || ip.IsUnspecified() {
			return s.host
		}
		return n.byIP[ip.String()]
	}
	return n.byName[host]
}

// Listen registers accept for inbound connections to addr. The host part
// must be the process's own address (or 0.0.0.0); port 0 picks a free one.
func (s *Stack) Listen(addr string, accept func(runtime.Conn) runtime.ConnHandler) (runtime.Listener, error) {
	if s.dead {
		return nil, fmt.Errorf("simnet: listen %s: process is down", addr)
	}
	host, port, err := splitAddr(addr)
	if err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	if s.resolve(host) != s.host {
		return nil, fmt.Errorf("simnet: listen %s: address not on host %s (%s)", addr, s.host.name, s.host.ip)
	}
	if port == 0 {
		port = s.allocPort()
	}
	if _, used := s.listeners[port]; used {
		return nil, fmt.Errorf("simnet: listen %s: address already in use", addr)
	}
	l := &listener{stack: s, port: port, addr: s.host.ip + ":" + strconv.Itoa(port), accept: accept}
	s.listeners[port] = l
	return l, nil
}

func (s *Stack) allocPort() int {
	for {
		p := s.nextPort
		s.nextPort++
		if s.nextPort > 65535 {
			s.nextPort = ephemeralPortFirst
		}
		if _, used := s.listeners[p]; !used {
			return p
		}
	}
}

// Dial opens a connection to addr. The returned Conn may be used at once:
// frames sent before OnConnect queue behind the handshake.
func (s *Stack) Dial(addr string, h runtime.ConnHandler) runtime.Conn {
	if s.dead {
		// A dead process's code runs no more; a stale reference gets a
		// connection that is already closed and hears nothing.
		return &end{stack: s, local: s.host.ip + ":0", remote: addr, h: h, state: stateClosed}
	}
	n := s.host.net
	k := n.k
	n.stats.Dials++
	e := s.newEnd(s.host.ip+":"+strconv.Itoa(s.allocPort()), addr, h)
	host, port, err := splitAddr(addr)
	if err != nil {
		// The kernel reports a bad address at once; the handler still
		// hears about it on the loop, never inside Dial.
		e.failLater(k.Now(), fmt.Errorf("dial: %w", err))
		return e
	}
	target := s.resolve(host)
	if target == nil {
		e.failLater(k.Now()+n.ConnectTimeout, fmt.Errorf("simnet: dial %s: no such host: %w", addr, runtime.ErrTimeout))
		return e
	}
	out := n.newPipe(s.host, target)
	in := n.newPipe(target, s.host)
	out.src, in.dst = e, e
	out.reverse, in.reverse = in, out
	e.out, e.in = out, in
	e.port = port
	if out.link.cfg.DropConnectProb > 0 && out.link.rng.Float64() < out.link.cfg.DropConnectProb {
		// The SYN (and every retry) is lost: nothing travels.
		out.failed, in.failed = true, true
		e.failLater(k.Now()+n.ConnectTimeout, fmt.Errorf("simnet: dial %s: %w", addr, runtime.ErrTimeout))
		return e
	}
	out.push(entry{kind: kindSyn, since: k.Now()}, 0)
	return e
}

func (s *Stack) newEnd(local, remote string, h runtime.ConnHandler) *end {
	s.nextID++
	e := &end{stack: s, id: s.nextID, local: local, remote: remote, h: h}
	s.ends[e.id] = e
	return e
}

func (s *Stack) sortedEnds() []*end {
	ids := make([]uint64, 0, len(s.ends))
	for id := range s.ends {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	es := make([]*end, len(ids))
	for i, id := range ids {
		es[i] = s.ends[id]
	}
	return es
}

// Crash ends the process abruptly: its handlers hear nothing more, its
// listeners vanish, and each peer receives what was already sent and then a
// reset.
func (s *Stack) Crash() { s.end(kindRst) }

// Shutdown ends the process gracefully after the node stopped: each peer
// receives what was already sent and then a FIN (ErrPeerClosed). The
// process's own handlers hear nothing more.
func (s *Stack) Shutdown() { s.end(kindFin) }

func (s *Stack) end(k entryKind) {
	if s.dead {
		return
	}
	for _, e := range s.sortedEnds() {
		e.shut(k)
	}
	clear(s.listeners)
	s.dead = true
	s.host.stack = nil
}

// OpenConns is the number of connections of the process not yet closed.
func (s *Stack) OpenConns() int { return len(s.ends) }

type listener struct {
	stack  *Stack
	port   int
	addr   string
	accept func(runtime.Conn) runtime.ConnHandler
	closed bool
}

func (l *listener) Addr() string { return l.addr }

func (l *listener) Close() error {
	if l.closed {
		return fmt.Errorf("simnet: listener %s: %w", l.addr, runtime.ErrClosed)
	}
	l.closed = true
	if l.stack.listeners[l.port] == l {
		delete(l.stack.listeners, l.port)
	}
	return nil
}
