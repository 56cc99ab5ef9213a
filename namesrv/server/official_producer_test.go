package server_test

import (
	"context"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/producer"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"rocketsim/namesrv/registrar"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/server"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// TestOfficialProducerThroughOurNameServerAndEndpoint: the official
// producer resolves a route from our name server, then sends to a stand-in
// broker built on our remoting endpoint, which registered itself through our
// registrar. It exercises the whole remoting path with the official client's
// codec on the other end: request headers, response flag and opaque,
// extFields as strings, bodies.
func TestOfficialProducerThroughOurNameServerAndEndpoint(t *testing.T) {
	rlog.SetLogLevel("error")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	cfg := server.DefaultConfig()
	cfg.BindAddress, cfg.ListenPort = "127.0.0.1", 0
	nsRT := realrt.New("namesrv", realrt.Options{DataDir: t.TempDir(), Logger: quiet, Seed: 3})
	addrCh := make(chan string, 1)
	if err := nsRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		s, err := server.Start(rt, cfg)
		if err == nil {
			addrCh <- s.Addr()
		}
		return s, err
	}); err != nil {
		t.Fatal(err)
	}
	defer nsRT.Stop()
	nsAddr := <-addrCh

	type sent struct {
		topic, queueID, props string
		body                  []byte
	}
	received := make(chan sent, 16)
	registered := make(chan error, 4)
	brokerRT := realrt.New("broker", realrt.Options{DataDir: t.TempDir(), Logger: quiet, Seed: 4})
	if err := brokerRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		ep := remoting.NewEndpoint(rt, remoting.Options{})
		offset := 0
		ep.Handle(remoting.ReqSendMessage, func(req *remoting.Request) {
			received <- sent{req.Cmd.Ext("topic"), req.Cmd.Ext("queueId"), req.Cmd.Ext("properties"), req.Cmd.Body}
			resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
			resp.SetExt("msgId", "7F00000100002A9F0000000000000000")
			resp.SetExt("queueId", req.Cmd.Ext("queueId"))
			resp.SetExt("queueOffset", strconv.Itoa(offset))
			offset++
			_ = req.Reply(resp)
		})
		ep.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) {
			_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, ""))
		})
		ln, err := rt.Listen("127.0.0.1:0", ep.Accept)
		if err != nil {
			return nil, err
		}
		reg := registrar.New(rt, ep, registrar.Options{
			NameServers: []string{nsAddr}, Cluster: "DefaultCluster", BrokerName: "broker-a",
			BrokerAddr: ln.Addr(), HAServerAddr: ln.Addr(),
			OnResult: func(_ string, resp *remoting.Command, err error) { registered <- err },
		}, func() wire.RegisterBody {
			return wire.RegisterBody{Topics: map[string]routes.TopicConfig{
				"TopicTest": {TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
			}}
		})
		reg.Start()
		return &brokerStub{reg: reg}, nil
	}); err != nil {
		t.Fatal(err)
	}
	defer brokerRT.Stop()
	if err := <-registered; err != nil {
		t.Fatalf("registration: %v", err)
	}

	p, err := producer.NewDefaultProducer(
		producer.WithNsResolver(primitive.NewPassthroughResolver([]string{nsAddr})),
		producer.WithGroupName("pg"),
		producer.WithRetry(0),
	)
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Start(); err != nil {
		t.Fatal(err)
	}
	defer p.Shutdown()

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	queues := map[int]bool{}
	for i := 0; i < 8; i++ {
		msg := primitive.NewMessage("TopicTest", []byte("hello "+strconv.Itoa(i)))
		msg.WithTag("tagA")
		res, err := p.SendSync(ctx, msg)
		if err != nil {
			t.Fatalf("send %d: %v", i, err)
		}
		if res.Status != primitive.SendOK || res.QueueOffset != int64(i) || res.MessageQueue.BrokerName != "broker-a" {
			t.Fatalf("send %d: %+v", i, res)
		}
		queues[res.MessageQueue.QueueId] = true
		got := <-received
		if got.topic != "TopicTest" || string(got.body) != "hello "+strconv.Itoa(i) || got.queueID != strconv.Itoa(res.MessageQueue.QueueId) {
			t.Fatalf("broker saw %+v", got)
		}
	}
	if len(queues) != 4 {
		t.Fatalf("the producer used queues %v, want all 4 from the route", queues)
	}
}
