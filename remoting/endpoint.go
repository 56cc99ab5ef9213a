package remoting

import (
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"rocketsim/runtime"
)

// PendingMaxDefault bounds the requests an endpoint awaits answers for,
// across all its connections. Java's client bounds async and oneway calls
// with 65535-permit semaphores; past the bound Invoke fails fast with
// ErrTooManyPending instead of growing memory without limit.
const PendingMaxDefault = 65535

// OutboxMaxDefault bounds the frames held for one dialed connection until it
// connects. A peer that never answers the dial costs at most this many
// frames; the connection's OnClose then drops them.
const OutboxMaxDefault = 1024

var (
	// ErrTimeout is passed to an Invoke callback when no response came in time.
	ErrTimeout = errors.New("remoting: request timed out")
	// ErrTooManyPending is returned by Invoke past Options.PendingMax.
	ErrTooManyPending = errors.New("remoting: too many pending requests")
	// ErrConnClosed is passed to the callbacks of requests whose connection
	// closed before their response arrived.
	ErrConnClosed = errors.New("remoting: connection closed")
	// ErrEndpointClosed is passed to pending callbacks by Endpoint.Close.
	ErrEndpointClosed = errors.New("remoting: endpoint closed")
)

// Handler serves one request. It may reply at once or keep req and reply
// later (long polling, acks after a synchronous flush), from any later event
// on the same loop.
type Handler func(req *Request)

// Options configure an Endpoint. Zero values take the documented defaults.
type Options struct {
	// MaxFrameSize bounds a frame we accept (runtime.MaxFrameSizeDefault).
	MaxFrameSize int
	// PendingMax bounds outstanding Invoke calls (PendingMaxDefault).
	PendingMax int
	// OutboxMax bounds frames queued on a dial in progress (OutboxMaxDefault).
	OutboxMax int
	// OnConnect runs when a dialed connection completes or an inbound one is
	// accepted.
	OnConnect func(c runtime.Conn)
	// OnClose runs once per connection after its pending requests failed.
	OnClose func(c runtime.Conn, err error)
}

// Endpoint is a node's remoting layer: it frames commands onto connections,
// matches responses to requests by opaque, times requests out, and
// dispatches inbound requests to handlers by code. It serves both sides: a
// broker accepts clients and also calls them (transaction check-back), a
// client dials brokers and also serves their requests.
//
// It implements runtime.ConnHandler; use Accept as a Listen callback and
// Dial to open connections. All methods run on the node's loop.
type Endpoint struct {
	rt       runtime.Runtime
	log      *slog.Logger
	opts     Options
	handlers map[int16]Handler
	conns    map[uint64]*connState
	// byAddr holds the connection ConnTo keeps per remote address.
	byAddr map[string]runtime.Conn
	// opaqueLast is the last opaque assigned. A counter, not randomness,
	// keeps a simulated run replayable.
	opaqueLast int32
	pending    int
	closed     bool
}

type connState struct {
	conn      runtime.Conn
	pending   map[int32]*call
	outbox    [][]byte // frames queued while a dial is in progress
	connected bool
	broken    bool // a bad frame arrived; we closed it and ignore the rest
	// lastActive is the monotonic time of the last frame in or out, for
	// idle-connection sweeps (Java's IdleStateHandler).
	lastActive time.Duration
}

type call struct {
	code  int16
	timer runtime.Timer
	done  func(*Command, error)
}

// NewEndpoint returns an endpoint that uses rt for timers and logs.
func NewEndpoint(rt runtime.Runtime, opts Options) *Endpoint {
	if opts.MaxFrameSize <= 0 {
		opts.MaxFrameSize = runtime.MaxFrameSizeDefault
	}
	if opts.PendingMax <= 0 {
		opts.PendingMax = PendingMaxDefault
	}
	if opts.OutboxMax <= 0 {
		opts.OutboxMax = OutboxMaxDefault
	}
	return &Endpoint{
		rt:       rt,
		log:      rt.Log().With(slog.String("component", "remoting")),
		opts:     opts,
		handlers: map[int16]Handler{},
		conns:    map[uint64]*connState{},
		byAddr:   map[string]runtime.Conn{},
	}
}

// Handle registers h for requests with code. Registering a code twice is a
// programming error.
func (e *Endpoint) Handle(code int16, h Handler) {
	if _, dup := e.handlers[code]; dup {
		panic(fmt.Sprintf("remoting: handler for %s registered twice", RequestName(code)))
	}
	e.handlers[code] = h
}

// Accept adopts an inbound connection; pass it to runtime.Network.Listen.
func (e *Endpoint) Accept(c runtime.Conn) runtime.ConnHandler {
	e.state(c).connected = true
	if e.opts.OnConnect != nil {
		e.opts.OnConnect(c)
	}
	return e
}

// Dial opens a connection to addr. Requests may be sent on it at once; they
// are held until it connects.
func (e *Endpoint) Dial(addr string) runtime.Conn {
	c := e.rt.Dial(addr, e)
	e.state(c)
	return c
}

// ConnTo returns the endpoint's connection to addr, dialing one when there
// is none or the last one closed: one connection per address, shared by
// every request to it, as RocketMQ clients and brokers keep their channels.
func (e *Endpoint) ConnTo(addr string) runtime.Conn {
	if c, ok := e.byAddr[addr]; ok {
		return c
	}
	c := e.Dial(addr)
	e.byAddr[addr] = c
	return c
}

// Pending reports how many requests await a response.
func (e *Endpoint) Pending() int { return e.pending }

func (e *Endpoint) state(c runtime.Conn) *connState {
	s, ok := e.conns[c.ID()]
	if !ok {
		s = &connState{conn: c, pending: map[int32]*call{}, lastActive: e.rt.Monotonic()}
		e.conns[c.ID()] = s
	}
	return s
}

// sendState returns the state to send on c. A connection the endpoint has
// not seen (dialed elsewhere, or already closed and forgotten) gets a state
// that is kept only once a send on it succeeds, so a closed connection fails
// Invoke at once instead of leaking a state that waits for a timeout.
func (e *Endpoint) sendState(c runtime.Conn) (s *connState, fresh bool) {
	if s, ok := e.conns[c.ID()]; ok {
		return s, false
	}
	return &connState{conn: c, pending: map[int32]*call{}, connected: true, lastActive: e.rt.Monotonic()}, true
}

// IdleConns returns the connections with no frame in or out for longer than
// idle, by id. The caller decides what to do with them (a name server closes
// them, as Java's server closes channels idle for 120 s).
func (e *Endpoint) IdleConns(idle time.Duration) []runtime.Conn {
	now := e.rt.Monotonic()
	var out []runtime.Conn
	for _, s := range e.conns {
		if !s.broken && now-s.lastActive > idle {
			out = append(out, s.conn)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID() < out[j].ID() })
	return out
}

// Invoke sends req on c and calls done once with the response, or with an
// error wrapping ErrTimeout, ErrConnClosed or ErrEndpointClosed. It assigns
// req.Opaque. When Invoke itself returns an error, done is never called.
func (e *Endpoint) Invoke(c runtime.Conn, req *Command, timeout time.Duration, done func(resp *Command, err error)) error {
	if e.closed {
		return ErrEndpointClosed
	}
	if e.pending >= e.opts.PendingMax {
		return fmt.Errorf("%w: %d outstanding, bound %d", ErrTooManyPending, e.pending, e.opts.PendingMax)
	}
	s, fresh := e.sendState(c)
	req.Flag &^= FlagResponse | FlagOneway
	req.Opaque = e.nextOpaque(s)
	if err := e.send(s, Encode(req)); err != nil {
		return fmt.Errorf("invoke %s on %s: %w", RequestName(req.Code), c.RemoteAddr(), err)
	}
	if fresh {
		e.conns[c.ID()] = s
	}
	opaque, id := req.Opaque, c.ID()
	cl := &call{code: req.Code, done: done}
	cl.timer = e.rt.AfterFunc(timeout, func() { e.expire(id, opaque, timeout) })
	s.pending[opaque] = cl
	e.pending++
	return nil
}

// InvokeOneway sends req on c with the oneway bit set; no response is
// awaited.
func (e *Endpoint) InvokeOneway(c runtime.Conn, req *Command) error {
	if e.closed {
		return ErrEndpointClosed
	}
	s, _ := e.sendState(c) // nothing awaits an answer: no need to keep a fresh state
	req.Flag = (req.Flag &^ FlagResponse) | FlagOneway
	req.Opaque = e.nextOpaque(s)
	if err := e.send(s, Encode(req)); err != nil {
		return fmt.Errorf("oneway %s on %s: %w", RequestName(req.Code), c.RemoteAddr(), err)
	}
	return nil
}

// nextOpaque returns the next opaque, skipping values still pending on s
// after the int32 counter wrapped.
func (e *Endpoint) nextOpaque(s *connState) int32 {
	for {
		e.opaqueLast++
		if _, busy := s.pending[e.opaqueLast]; !busy {
			return e.opaqueLast
		}
	}
}

func (e *Endpoint) send(s *connState, frame []byte) error {
	if s.broken {
		return ErrConnClosed
	}
	if !s.connected {
		if len(s.outbox) >= e.opts.OutboxMax {
			return fmt.Errorf("%w: %d frames await the connection", runtime.ErrSendQueueFull, len(s.outbox))
		}
		s.outbox = append(s.outbox, frame)
		return nil
	}
	if err := s.conn.Send(frame); err != nil {
		return err
	}
	s.lastActive = e.rt.Monotonic()
	return nil
}

func (e *Endpoint) expire(connID uint64, opaque int32, timeout time.Duration) {
	s, ok := e.conns[connID]
	if !ok {
		return
	}
	cl, ok := s.pending[opaque]
	if !ok {
		return
	}
	delete(s.pending, opaque)
	e.pending--
	cl.done(nil, fmt.Errorf("%s to %s after %v: %w", RequestName(cl.code), s.conn.RemoteAddr(), timeout, ErrTimeout))
}

// OnConnect implements runtime.ConnHandler: flush what waited for the dial.
func (e *Endpoint) OnConnect(c runtime.Conn) {
	s := e.state(c)
	s.connected = true
	outbox := s.outbox
	s.outbox = nil
	for _, f := range outbox {
		if err := c.Send(f); err != nil {
			// The requests stay pending and fail by timeout or by OnClose.
			e.log.Warn("send after connect failed", slog.String("peer", c.RemoteAddr()), slog.Any("err", err))
			break
		}
	}
	if e.opts.OnConnect != nil {
		e.opts.OnConnect(c)
	}
}

// OnFrame implements runtime.ConnHandler.
func (e *Endpoint) OnFrame(c runtime.Conn, frame []byte) {
	s := e.state(c)
	if s.broken {
		return
	}
	s.lastActive = e.rt.Monotonic()
	cmd, err := Decode(frame, e.opts.MaxFrameSize)
	if err != nil {
		e.log.Warn("closing connection after undecodable frame",
			slog.String("peer", c.RemoteAddr()), slog.Uint64("conn", c.ID()), slog.Any("err", err))
		s.broken = true
		_ = c.Close()
		return
	}
	if cmd.IsResponse() {
		e.onResponse(s, cmd)
		return
	}
	req := &Request{Conn: c, Cmd: cmd, ep: e}
	h, ok := e.handlers[cmd.Code]
	if !ok {
		e.log.Debug("request code not supported", slog.Int("code", int(cmd.Code)), slog.String("peer", c.RemoteAddr()))
		_ = req.Reply(NewResponse(cmd, RespRequestCodeNotSupported, fmt.Sprintf(" request type %d not supported", cmd.Code)))
		return
	}
	h(req)
}

func (e *Endpoint) onResponse(s *connState, resp *Command) {
	cl, ok := s.pending[resp.Opaque]
	if !ok {
		// Late (after its timeout) or never asked for: Java and the Go
		// client drop these too.
		e.log.Debug("response without a pending request", slog.Int("opaque", int(resp.Opaque)), slog.String("peer", s.conn.RemoteAddr()))
		return
	}
	delete(s.pending, resp.Opaque)
	e.pending--
	cl.timer.Stop()
	cl.done(resp, nil)
}

// OnClose implements runtime.ConnHandler: every request pending on c fails at
// once, in opaque order so that a replay sees the same sequence.
func (e *Endpoint) OnClose(c runtime.Conn, err error) {
	if kept, ok := e.byAddr[c.RemoteAddr()]; ok && kept.ID() == c.ID() {
		delete(e.byAddr, c.RemoteAddr())
	}
	s, ok := e.conns[c.ID()]
	if ok {
		delete(e.conns, c.ID())
		cause := err
		if cause == nil {
			cause = runtime.ErrClosed
		}
		e.failAll(s, fmt.Errorf("%w: %s: %w", ErrConnClosed, c.RemoteAddr(), cause))
	}
	if e.opts.OnClose != nil {
		e.opts.OnClose(c, err)
	}
}

func (e *Endpoint) failAll(s *connState, err error) {
	opaques := make([]int32, 0, len(s.pending))
	for o := range s.pending {
		opaques = append(opaques, o)
	}
	sort.Slice(opaques, func(i, j int) bool { return opaques[i] < opaques[j] })
	for _, o := range opaques {
		cl := s.pending[o]
		delete(s.pending, o)
		e.pending--
		cl.timer.Stop()
		cl.done(nil, err)
	}
	s.outbox = nil
}

// Close fails every pending request with ErrEndpointClosed and refuses new
// ones. It does not close connections: their owner does (Node.Stop).
func (e *Endpoint) Close() {
	e.closed = true
	ids := make([]uint64, 0, len(e.conns))
	for id := range e.conns {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		e.failAll(e.conns[id], ErrEndpointClosed)
	}
}

// Request is an inbound request being served.
type Request struct {
	Conn    runtime.Conn
	Cmd     *Command
	ep      *Endpoint
	replied bool
}

// Reply sends resp as the answer to the request: it copies the request's
// opaque and sets the response bit. Oneway requests get no reply (Reply
// returns nil). Replying twice is a programming error. The error is the
// connection's (closed, send queue full); the caller usually only logs it.
func (r *Request) Reply(resp *Command) error {
	if r.replied {
		panic(fmt.Sprintf("remoting: second reply to %s opaque %d", RequestName(r.Cmd.Code), r.Cmd.Opaque))
	}
	r.replied = true
	if r.Cmd.IsOneway() {
		return nil
	}
	resp.Opaque = r.Cmd.Opaque
	resp.Flag |= FlagResponse
	s, ok := r.ep.conns[r.Conn.ID()]
	if !ok {
		return fmt.Errorf("reply to %s from %s: %w", RequestName(r.Cmd.Code), r.Conn.RemoteAddr(), ErrConnClosed)
	}
	if err := r.ep.send(s, Encode(resp)); err != nil {
		return fmt.Errorf("reply to %s from %s: %w", RequestName(r.Cmd.Code), r.Conn.RemoteAddr(), err)
	}
	return nil
}

// Replied reports whether Reply was called.
func (r *Request) Replied() bool { return r.replied }

// ConnClosed reports whether the request's connection has closed, so a held
// request (long poll, flush ack) can be dropped instead of answered into the
// void.
func (r *Request) ConnClosed() bool {
	_, open := r.ep.conns[r.Conn.ID()]
	return !open
}
