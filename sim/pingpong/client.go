package pingpong

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Outcome is what a client learnt about one request.
type Outcome int

const (
	Invoked Outcome = iota // sent, outcome not known yet
	OK                     // acknowledged: it must be durable
	Failed                 // the server said nothing was written
	Unknown                // timed out, connection lost, or fsync failed
)

func (o Outcome) String() string {
	switch o {
	case Invoked:
		return "invoke"
	case OK:
		return "ok"
	case Failed:
		return "fail"
	case Unknown:
		return "info"
	}
	return fmt.Sprintf("outcome(%d)", int(o))
}

// Event is one entry of a client's history: an invocation or a completion.
type Event struct {
	Client  string
	Session uint64
	Seq     uint64
	Outcome Outcome
	// Monotonic and Wall are the client's own clocks at the event: the
	// wall clock may be skewed or jump, as a real client's may.
	Monotonic time.Duration
	Wall      time.Time
	Remark    string
}

// Recorder receives a client's history as it happens. In the simulator it
// is called on the one goroutine that runs every node.
type Recorder func(Event)

// Client sends numbered requests to the server and records every outcome.
type Client struct {
	rt      runtime.Runtime
	cfg     Config
	addr    string
	rec     Recorder
	session uint64
	seqNext uint64
	opaque  int32

	conn      runtime.Conn
	connected bool
	// pending maps a request's opaque to its state; its size is bounded by
	// cfg.Window.
	pending map[int32]*request
	tick    runtime.Timer
	redial  runtime.Timer
	stopped bool
}

type request struct {
	seq   uint64
	timer runtime.Timer
}

// NewClient returns a runtime.NewNode for a client of the server at addr
// ("host:port").
func NewClient(cfg Config, addr string, rec Recorder) runtime.NewNode {
	cfg = cfg.WithDefaults()
	return func(rt runtime.Runtime) (runtime.Node, error) {
		c := &Client{
			rt: rt, cfg: cfg, addr: addr, rec: rec,
			session: rt.Rand().Uint64(),
			seqNext: 1,
			pending: map[int32]*request{},
		}
		c.dial()
		c.tick = rt.AfterFunc(cfg.Interval, c.onTick)
		return c, nil
	}
}

// Session is this incarnation's identity in the server's log.
func (c *Client) Session() uint64 { return c.session }

// Stop cancels the client's timers and closes its connection. Requests still
// in flight end as unknown.
func (c *Client) Stop() {
	c.stopped = true
	c.tick.Stop()
	if c.redial != nil {
		c.redial.Stop()
	}
	c.failPending("client stopped")
	if c.conn != nil {
		c.conn.Close()
	}
}

func (c *Client) dial() {
	c.redial = nil
	c.connected = false
	c.conn = c.rt.Dial(c.addr, clientConn{c})
}

func (c *Client) onTick() {
	if c.stopped {
		return
	}
	c.tick = c.rt.AfterFunc(c.cfg.Interval, c.onTick)
	if c.connected && len(c.pending) < c.cfg.Window {
		c.send()
	}
}

func (c *Client) send() {
	seq := c.seqNext
	c.seqNext++
	c.opaque++
	opaque := c.opaque
	body := make([]byte, max(16, c.cfg.Payload))
	binary.BigEndian.PutUint64(body, c.session)
	binary.BigEndian.PutUint64(body[8:], seq)
	req := remoting.NewRequest(CodePing, map[string]string{
		"session": strconv.FormatUint(c.session, 10),
		"seq":     strconv.FormatUint(seq, 10),
	})
	req.Opaque, req.Body = opaque, body
	frame := encodeFrame(req)
	c.record(seq, Invoked, "")
	if err := c.conn.Send(frame); err != nil {
		// Not sent at all: the server cannot have logged it.
		c.record(seq, Failed, err.Error())
		return
	}
	r := &request{seq: seq}
	r.timer = c.rt.AfterFunc(c.cfg.Timeout, func() { c.onTimeout(opaque) })
	c.pending[opaque] = r
}

func (c *Client) onTimeout(opaque int32) {
	if _, ok := c.pending[opaque]; !ok || c.stopped {
		return
	}
	// Frames on a connection arrive in order or not at all: one overdue
	// answer means the connection is stalled. Drop it and start afresh.
	c.rt.Log().Info("pingpong: request timed out, redialling", slog.Int("opaque", int(opaque)))
	c.failPending("timeout")
	c.connected = false // frames still in the pipe belong to written-off requests
	c.conn.Close()
}

// failPending records every request in flight as unknown.
func (c *Client) failPending(why string) {
	keys := make([]int32, 0, len(c.pending))
	for k := range c.pending {
		keys = append(keys, k)
	}
	slices.Sort(keys) // the history's order must not follow map order
	for _, k := range keys {
		r := c.pending[k]
		r.timer.Stop()
		c.record(r.seq, Unknown, why)
		delete(c.pending, k)
	}
}

func (c *Client) record(seq uint64, o Outcome, remark string) {
	if c.rec != nil {
		c.rec(Event{Client: c.rt.Name(), Session: c.session, Seq: seq, Outcome: o, Monotonic: c.rt.Monotonic(), Wall: c.rt.Now(), Remark: remark})
	}
}

// clientConn routes a connection's events to the client, ignoring those of
// connections the client has already given up on.
type clientConn struct{ c *Client }

func (h clientConn) OnConnect(conn runtime.Conn) {
	if h.c.conn != conn || h.c.stopped {
		return
	}
	h.c.connected = true
}

func (h clientConn) OnFrame(conn runtime.Conn, frame []byte) {
	c := h.c
	if c.conn != conn || !c.connected || c.stopped {
		return
	}
	hdr, err := decodeFrame(frame)
	if err == nil && !hdr.IsResponse() {
		err = fmt.Errorf("not a response: %v", hdr)
	}
	if err != nil {
		c.rt.Log().Warn("pingpong: bad response, closing", slog.Any("err", err))
		c.failPending("bad response")
		c.connected = false
		conn.Close()
		return
	}
	r, ok := c.pending[hdr.Opaque]
	if !ok {
		// Requests are written off only together with their connection,
		// so on a live connection every answer matches a pending request.
		panic(fmt.Sprintf("pingpong: response to unknown opaque %d on conn %d", hdr.Opaque, conn.ID()))
	}
	r.timer.Stop()
	delete(c.pending, hdr.Opaque)
	switch hdr.Code {
	case CodeOK:
		c.record(r.seq, OK, "")
	case CodeFailed:
		c.record(r.seq, Failed, hdr.Remark)
	default:
		c.record(r.seq, Unknown, hdr.Remark)
	}
}

func (h clientConn) OnClose(conn runtime.Conn, err error) {
	c := h.c
	if c.conn != conn || c.stopped {
		return
	}
	why := "connection closed"
	if err != nil && !errors.Is(err, runtime.ErrClosed) {
		why = err.Error()
	}
	c.failPending(why)
	c.connected = false
	c.redial = c.rt.AfterFunc(c.cfg.Redial, c.dial)
}
