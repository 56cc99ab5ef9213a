package simrt

import (
	"encoding/binary"
	"time"

	"rocketsim/runtime"
)

// frame builds a valid frame: length prefix plus payload.
func frame(payload string) []byte {
	f := make([]byte, 4+len(payload))
	binary.BigEndian.PutUint32(f, uint32(len(payload)))
	copy(f[4:], payload)
	return f
}

// connLog records what a connection's handler saw.
type connLog struct {
	conn      runtime.Conn // set for accepted connections
	connected bool
	frames    []string
	closed    bool
	closeErr  error
	closeAt   time.Duration
	onFrame   func(c runtime.Conn, payload string)
	w         *World
}

func (l *connLog) OnConnect(runtime.Conn) { l.connected = true }
func (l *connLog) OnFrame(c runtime.Conn, f []byte) {
	p := string(f[4:])
	l.frames = append(l.frames, p)
	if l.onFrame != nil {
		l.onFrame(c, p)
	}
}
func (l *connLog) OnClose(_ runtime.Conn, err error) {
	if l.closed {
		panic("OnClose twice")
	}
	l.closed, l.closeErr = true, err
	if l.w != nil {
		l.closeAt = l.w.Now()
	}
}

// server is a node that accepts connections on :9000 and logs them; with
// echo it sends every frame back.
type server struct {
	rt    runtime.Runtime
	echo  bool
	conns []*connLog
	l     runtime.Listener
}

func (s *server) Stop() {}

func newServer(echo bool, w *World, out **server) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		s := &server{rt: rt, echo: echo}
		l, err := rt.Listen(hostOf(rt)+":9000", func(c runtime.Conn) runtime.ConnHandler {
			cl := &connLog{w: w, conn: c}
			if s.echo {
				cl.onFrame = func(c runtime.Conn, p string) { _ = c.Send(frame(p)) }
			}
			s.conns = append(s.conns, cl)
			return cl
		})
		if err != nil {
			return nil, err
		}
		s.l = l
		if out != nil {
			*out = s
		}
		return s, nil
	}
}

// hostOf finds the node's address by listening on port 0 of 0.0.0.0.
func hostOf(rt runtime.Runtime) string {
	l, err := rt.Listen("0.0.0.0:0", func(runtime.Conn) runtime.ConnHandler { return nil })
	if err != nil {
		panic(err)
	}
	defer l.Close()
	a := l.Addr()
	for i := len(a) - 1; i >= 0; i-- {
		if a[i] == ':' {
			return a[:i]
		}
	}
	panic("no port in " + a)
}

// idle is a node that does nothing by itself; tests drive its runtime.
type idle struct{ stopped bool }

func (i *idle) Stop() { i.stopped = true }

func newIdle(rt runtime.Runtime) (runtime.Node, error) { return &idle{}, nil }
