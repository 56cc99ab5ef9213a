package remoting_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"rocketsim/remoting"
	"rocketsim/remoting/remotingtest"
	"rocketsim/runtime"
)

const serverAddr = "10.0.0.1:9876"

type pair struct {
	w      *remotingtest.World
	server *remoting.Endpoint
	client *remoting.Endpoint
	conn   runtime.Conn
	srvRT  *remotingtest.Node
	cliRT  *remotingtest.Node
	// accepted are the server-side connections, in accept order.
	accepted []runtime.Conn
}

func newPair(t *testing.T, opts remoting.Options) *pair {
	t.Helper()
	p := &pair{w: remotingtest.NewWorld()}
	p.srvRT = p.w.NewNode("10.0.0.1", nil)
	p.cliRT = p.w.NewNode("10.0.0.2", nil)
	p.server = remoting.NewEndpoint(p.srvRT, remoting.Options{OnConnect: func(c runtime.Conn) { p.accepted = append(p.accepted, c) }})
	if _, err := p.srvRT.Listen(serverAddr, p.server.Accept); err != nil {
		t.Fatal(err)
	}
	p.client = remoting.NewEndpoint(p.cliRT, opts)
	p.conn = p.client.Dial(serverAddr)
	return p
}

type result struct {
	resp *remoting.Command
	err  error
	n    int
}

func (r *result) done(resp *remoting.Command, err error) { r.resp, r.err = resp, err; r.n++ }

func TestInvokeMatchesResponseByOpaque(t *testing.T) {
	p := newPair(t, remoting.Options{})
	p.server.Handle(remoting.ReqGetRouteInfoByTopic, func(req *remoting.Request) {
		resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
		resp.Body = []byte("route of " + req.Cmd.Ext("topic"))
		if err := req.Reply(resp); err != nil {
			t.Error(err)
		}
	})
	var a, b result
	// Sent before the dial completes: held, then flushed on connect.
	if err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "A"}), time.Second, a.done); err != nil {
		t.Fatal(err)
	}
	if err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "B"}), time.Second, b.done); err != nil {
		t.Fatal(err)
	}
	p.w.RunFor(100 * time.Millisecond)
	if a.err != nil || b.err != nil || string(a.resp.Body) != "route of A" || string(b.resp.Body) != "route of B" {
		t.Fatalf("a=%+v b=%+v", a, b)
	}
	if !a.resp.IsResponse() || a.resp.Opaque == b.resp.Opaque {
		t.Fatalf("responses %v %v", a.resp, b.resp)
	}
	p.w.RunFor(2 * time.Second) // the timers were stopped: no second callback
	if a.n != 1 || b.n != 1 || p.client.Pending() != 0 {
		t.Fatalf("callbacks a=%d b=%d pending=%d", a.n, b.n, p.client.Pending())
	}
}

func TestDeferredReply(t *testing.T) {
	p := newPair(t, remoting.Options{})
	var held *remoting.Request
	p.server.Handle(remoting.ReqPullMessage, func(req *remoting.Request) { held = req })
	var r result
	_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), 30*time.Second, r.done)
	p.w.RunFor(5 * time.Second)
	if held == nil || r.n != 0 || held.ConnClosed() {
		t.Fatalf("held=%v callbacks=%d", held, r.n)
	}
	if err := held.Reply(remoting.NewResponse(held.Cmd, remoting.RespPullNotFound, "")); err != nil {
		t.Fatal(err)
	}
	p.w.RunFor(time.Second)
	if r.n != 1 || r.err != nil || r.resp.Code != remoting.RespPullNotFound {
		t.Fatalf("got %+v", r)
	}
}

func TestTimeoutThenLateReplyIsDropped(t *testing.T) {
	p := newPair(t, remoting.Options{})
	var held *remoting.Request
	p.server.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) { held = req })
	var r result
	_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqHeartBeat, nil), 50*time.Millisecond, r.done)
	p.w.RunFor(49 * time.Millisecond)
	if r.n != 0 {
		t.Fatal("timed out early")
	}
	p.w.RunFor(2 * time.Millisecond)
	if r.n != 1 || !errors.Is(r.err, remoting.ErrTimeout) || !strings.Contains(r.err.Error(), "HEART_BEAT") {
		t.Fatalf("got %+v", r)
	}
	_ = held.Reply(remoting.NewResponse(held.Cmd, remoting.RespSuccess, ""))
	p.w.RunFor(time.Second)
	if r.n != 1 || p.client.Pending() != 0 {
		t.Fatalf("late reply reached the callback: %+v", r)
	}
}

func TestUnknownCodeGetsRequestCodeNotSupported(t *testing.T) {
	p := newPair(t, remoting.Options{})
	var r result
	_ = p.client.Invoke(p.conn, remoting.NewRequest(999, nil), time.Second, r.done)
	p.w.RunFor(100 * time.Millisecond)
	if r.err != nil || r.resp.Code != remoting.RespRequestCodeNotSupported || !strings.Contains(r.resp.Remark, "999") {
		t.Fatalf("got %+v %v", r, r.resp)
	}
}

func TestOnewayGetsNoReply(t *testing.T) {
	p := newPair(t, remoting.Options{})
	got := 0
	p.server.Handle(remoting.ReqUpdateConsumerOffset, func(req *remoting.Request) {
		got++
		if !req.Cmd.IsOneway() {
			t.Error("oneway bit lost")
		}
		if err := req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")); err != nil {
			t.Error(err)
		}
	})
	if err := p.client.InvokeOneway(p.conn, remoting.NewRequest(remoting.ReqUpdateConsumerOffset, nil)); err != nil {
		t.Fatal(err)
	}
	_ = p.client.InvokeOneway(p.conn, remoting.NewRequest(12345, nil)) // unknown oneway: no reply either
	p.w.RunFor(100 * time.Millisecond)
	if got != 1 {
		t.Fatalf("handler ran %d times", got)
	}
	srv := p.accepted[0].(*remotingtest.Conn)
	if srv.Sent != 0 {
		t.Fatalf("server sent %d frames in answer to oneway requests", srv.Sent)
	}
}

func TestServerInvokesClient(t *testing.T) {
	p := newPair(t, remoting.Options{})
	p.client.Handle(remoting.ReqGetConsumerRunningInfo, func(req *remoting.Request) {
		resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
		resp.SetExt("clientId", req.Cmd.Ext("clientId"))
		_ = req.Reply(resp)
	})
	p.w.RunFor(10 * time.Millisecond)
	if len(p.accepted) != 1 {
		t.Fatalf("accepted %d", len(p.accepted))
	}
	var r result
	_ = p.server.Invoke(p.accepted[0], remoting.NewRequest(remoting.ReqGetConsumerRunningInfo, map[string]string{"clientId": "c1"}), time.Second, r.done)
	p.w.RunFor(10 * time.Millisecond)
	if r.err != nil || r.resp.Ext("clientId") != "c1" {
		t.Fatalf("got %+v", r)
	}
}

func TestBadFrameClosesOnlyThatConnection(t *testing.T) {
	p := newPair(t, remoting.Options{})
	p.server.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) {
		_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, ""))
	})
	p.server.Handle(remoting.ReqPullMessage, func(*remoting.Request) {}) // never answers
	var pending1, pending2 result
	_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Minute, pending1.done)
	other := p.client.Dial(serverAddr)
	p.w.RunFor(10 * time.Millisecond)
	_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Minute, pending2.done)
	// Hostile bytes straight onto the wire.
	if err := p.conn.Send([]byte{0, 0, 0, 6, 0, 0, 0, 2, '{', '!'}); err != nil {
		t.Fatal(err)
	}
	p.w.RunFor(10 * time.Millisecond)
	if pending1.n != 1 || pending2.n != 1 || !errors.Is(pending1.err, remoting.ErrConnClosed) {
		t.Fatalf("pending on the closed conn: %+v %+v", pending1, pending2)
	}
	var ok result
	_ = p.client.Invoke(other, remoting.NewRequest(remoting.ReqHeartBeat, nil), time.Second, ok.done)
	p.w.RunFor(10 * time.Millisecond)
	if ok.err != nil || ok.resp.Code != remoting.RespSuccess {
		t.Fatalf("the other connection was hurt: %+v", ok)
	}
}

func TestCloseFailsPendingInOpaqueOrder(t *testing.T) {
	p := newPair(t, remoting.Options{})
	var heldReq *remoting.Request
	p.server.Handle(remoting.ReqPullMessage, func(req *remoting.Request) { heldReq = req })
	var order []int
	for i := 0; i < 5; i++ {
		i := i
		_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Minute, func(_ *remoting.Command, err error) {
			if !errors.Is(err, remoting.ErrConnClosed) {
				t.Errorf("err %v", err)
			}
			order = append(order, i)
		})
	}
	p.w.RunFor(10 * time.Millisecond)
	_ = p.conn.Close()
	p.w.RunFor(10 * time.Millisecond)
	if !heldReq.ConnClosed() {
		t.Fatal("held request does not see its connection closed")
	}
	if err := heldReq.Reply(remoting.NewResponse(heldReq.Cmd, remoting.RespSuccess, "")); !errors.Is(err, remoting.ErrConnClosed) {
		t.Fatalf("reply on a closed connection: %v", err)
	}
	if len(order) != 5 || order[0] != 0 || order[4] != 4 || p.client.Pending() != 0 {
		t.Fatalf("order %v pending %d", order, p.client.Pending())
	}
}

func TestPendingBound(t *testing.T) {
	p := newPair(t, remoting.Options{PendingMax: 2})
	var r result
	for i := 0; i < 2; i++ {
		if err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Second, r.done); err != nil {
			t.Fatal(err)
		}
	}
	if err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Second, r.done); !errors.Is(err, remoting.ErrTooManyPending) {
		t.Fatalf("third invoke: %v", err)
	}
	p.w.RunFor(2 * time.Second) // both answered REQUEST_CODE_NOT_SUPPORTED
	if p.client.Pending() != 0 {
		t.Fatalf("pending %d", p.client.Pending())
	}
	if err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Second, r.done); err != nil {
		t.Fatalf("after draining: %v", err)
	}
}

func TestDialRefusedFailsQueuedRequests(t *testing.T) {
	p := newPair(t, remoting.Options{})
	c := p.client.Dial("10.0.0.9:1")
	var r result
	_ = p.client.Invoke(c, remoting.NewRequest(remoting.ReqHeartBeat, nil), time.Minute, r.done)
	p.w.RunFor(10 * time.Millisecond)
	if r.n != 1 || !errors.Is(r.err, remoting.ErrConnClosed) || !errors.Is(r.err, runtime.ErrRefused) {
		t.Fatalf("got %+v", r)
	}
}

func TestEndpointCloseFailsEverything(t *testing.T) {
	p := newPair(t, remoting.Options{})
	p.server.Handle(remoting.ReqPullMessage, func(*remoting.Request) {})
	var r result
	_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Minute, r.done)
	p.w.RunFor(10 * time.Millisecond)
	p.client.Close()
	if r.n != 1 || !errors.Is(r.err, remoting.ErrEndpointClosed) {
		t.Fatalf("got %+v", r)
	}
	if err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqPullMessage, nil), time.Minute, r.done); !errors.Is(err, remoting.ErrEndpointClosed) {
		t.Fatalf("invoke after close: %v", err)
	}
	p.w.RunFor(2 * time.Minute)
	if r.n != 1 {
		t.Fatalf("callback ran %d times", r.n)
	}
}

func TestInvokeOnClosedConnFailsAtOnce(t *testing.T) {
	p := newPair(t, remoting.Options{})
	p.w.RunFor(10 * time.Millisecond)
	_ = p.conn.Close()
	p.w.RunFor(10 * time.Millisecond)
	var r result
	err := p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqHeartBeat, nil), time.Second, r.done)
	if !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("invoke on a closed conn: %v", err)
	}
	if err := p.client.InvokeOneway(p.conn, remoting.NewRequest(remoting.ReqHeartBeat, nil)); !errors.Is(err, runtime.ErrClosed) {
		t.Fatalf("oneway on a closed conn: %v", err)
	}
	p.w.RunFor(2 * time.Second)
	if r.n != 0 || p.client.Pending() != 0 {
		t.Fatalf("callback %d pending %d", r.n, p.client.Pending())
	}
}

func TestIdleConns(t *testing.T) {
	p := newPair(t, remoting.Options{})
	p.server.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) {
		_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, ""))
	})
	quiet := p.client.Dial(serverAddr)
	p.w.RunFor(10 * time.Millisecond)
	for i := 0; i < 5; i++ {
		var r result
		_ = p.client.Invoke(p.conn, remoting.NewRequest(remoting.ReqHeartBeat, nil), time.Second, r.done)
		p.w.RunFor(30 * time.Second)
	}
	idle := p.client.IdleConns(120 * time.Second)
	if len(idle) != 1 || idle[0].ID() != quiet.ID() {
		t.Fatalf("idle %v, want only the quiet connection %d", idle, quiet.ID())
	}
	if got := p.server.IdleConns(120 * time.Second); len(got) != 1 {
		t.Fatalf("server side idle %d", len(got))
	}
}

func TestConnToKeepsOneConnectionPerAddress(t *testing.T) {
	p := newPair(t, remoting.Options{})
	a := p.client.ConnTo(serverAddr)
	if b := p.client.ConnTo(serverAddr); b.ID() != a.ID() {
		t.Fatal("second ConnTo dialed again")
	}
	p.w.RunFor(10 * time.Millisecond)
	_ = a.Close()
	p.w.RunFor(10 * time.Millisecond)
	c := p.client.ConnTo(serverAddr)
	if c.ID() == a.ID() {
		t.Fatal("ConnTo returned a closed connection")
	}
	p.server.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) {
		_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, ""))
	})
	var r result
	_ = p.client.Invoke(c, remoting.NewRequest(remoting.ReqHeartBeat, nil), time.Second, r.done)
	p.w.RunFor(10 * time.Millisecond)
	if r.err != nil || r.resp.Code != remoting.RespSuccess {
		t.Fatalf("on the new connection: %+v", r)
	}
}
