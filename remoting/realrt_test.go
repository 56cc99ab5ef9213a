package remoting_test

import (
	"bytes"
	"io"
	"log/slog"
	"testing"
	"time"

	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

type nop struct{}

func (nop) Stop() {}

// On the real runtime over loopback: a 4 MiB body each way, many requests in
// flight on one connection, and a server-initiated call back to the client.
func TestEndpointOverRealRuntime(t *testing.T) {
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	srvRT := realrt.New("srv", realrt.Options{DataDir: t.TempDir(), Logger: quiet, Seed: 1})
	var srv *remoting.Endpoint
	addrCh := make(chan string, 1)
	accepted := make(chan runtime.Conn, 1)
	if err := srvRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		srv = remoting.NewEndpoint(rt, remoting.Options{OnConnect: func(c runtime.Conn) { accepted <- c }})
		srv.Handle(remoting.ReqSendMessage, func(req *remoting.Request) {
			resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
			resp.Body = bytes.ToUpper(req.Cmd.Body)
			resp.SetExt("queueOffset", req.Cmd.Ext("n"))
			_ = req.Reply(resp)
		})
		ln, err := rt.Listen("127.0.0.1:0", srv.Accept)
		if err != nil {
			return nil, err
		}
		addrCh <- ln.Addr()
		return nop{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	defer srvRT.Stop()
	addr := <-addrCh

	cliRT := realrt.New("cli", realrt.Options{DataDir: t.TempDir(), Logger: quiet, Seed: 2})
	var cli *remoting.Endpoint
	var conn runtime.Conn
	if err := cliRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		cli = remoting.NewEndpoint(rt, remoting.Options{})
		cli.Handle(remoting.ReqCheckTransactionState, func(req *remoting.Request) {
			_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, "checked "+req.Cmd.Ext("msgId")))
		})
		conn = cli.Dial(addr)
		return nop{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	defer cliRT.Stop()

	type answer struct {
		resp *remoting.Command
		err  error
	}
	const inFlight = 200
	answers := make(chan answer, inFlight+1)
	big := bytes.Repeat([]byte("abcdefgh"), 512<<10) // 4 MiB
	cliRT.Post(func() {
		for i := 0; i < inFlight; i++ {
			req := remoting.NewRequest(remoting.ReqSendMessage, map[string]string{"n": string(rune('0' + i%10))})
			req.Body = []byte("m")
			if i == 0 {
				req.Body = big
			}
			if err := cli.Invoke(conn, req, 10*time.Second, func(r *remoting.Command, err error) { answers <- answer{r, err} }); err != nil {
				answers <- answer{nil, err}
			}
		}
	})
	sawBig := false
	for i := 0; i < inFlight; i++ {
		a := <-answers
		if a.err != nil || a.resp.Code != remoting.RespSuccess {
			t.Fatalf("answer %d: %+v", i, a)
		}
		if len(a.resp.Body) == len(big) {
			sawBig = true
			if !bytes.Equal(a.resp.Body, bytes.ToUpper(big)) {
				t.Fatal("big body corrupted")
			}
		}
	}
	if !sawBig {
		t.Fatal("the 4 MiB answer never came")
	}

	c := <-accepted
	srvRT.Post(func() {
		req := remoting.NewRequest(remoting.ReqCheckTransactionState, map[string]string{"msgId": "X1"})
		if err := srv.Invoke(c, req, 5*time.Second, func(r *remoting.Command, err error) { answers <- answer{r, err} }); err != nil {
			answers <- answer{nil, err}
		}
	})
	a := <-answers
	if a.err != nil || a.resp.Remark != "checked X1" {
		t.Fatalf("server-initiated call: %+v", a)
	}
}
