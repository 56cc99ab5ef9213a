package remoting_test

import (
	"fmt"
	"time"

	"rocketsim/remoting"
	"rocketsim/remoting/remotingtest"
)

// A server answers one code now and holds another (a long poll) until later;
// a client invokes both on one connection.
func ExampleEndpoint() {
	w := remotingtest.NewWorld()
	srvRT := w.NewNode("10.0.0.1", nil)
	srv := remoting.NewEndpoint(srvRT, remoting.Options{})
	var held []*remoting.Request
	srv.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) {
		_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, "hello"))
	})
	srv.Handle(remoting.ReqPullMessage, func(req *remoting.Request) {
		held = append(held, req) // answered when a message arrives, or on timeout
	})
	if _, err := srvRT.Listen("10.0.0.1:10911", srv.Accept); err != nil {
		panic(err)
	}

	cli := remoting.NewEndpoint(w.NewNode("10.0.0.2", nil), remoting.Options{})
	conn := cli.ConnTo("10.0.0.1:10911")
	show := func(resp *remoting.Command, err error) {
		if err != nil {
			fmt.Println("error:", err)
			return
		}
		fmt.Println(remoting.ResponseName(resp.Code), resp.Remark)
	}
	_ = cli.Invoke(conn, remoting.NewRequest(remoting.ReqHeartBeat, nil), 3*time.Second, show)
	_ = cli.Invoke(conn, remoting.NewRequest(remoting.ReqPullMessage, map[string]string{"topic": "T"}), 30*time.Second, show)
	w.RunFor(time.Second)
	for _, req := range held {
		_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespPullNotFound, "nothing yet"))
	}
	w.RunFor(time.Second)
	// Output:
	// SUCCESS hello
	// PULL_NOT_FOUND nothing yet
}
