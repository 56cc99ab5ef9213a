package server_test

import (
	"context"
	"io"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/admin"
	"github.com/apache/rocketmq-client-go/v2/primitive"
	"github.com/apache/rocketmq-client-go/v2/rlog"

	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/server"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// TestOfficialClientResolvesRoutes runs our name server on the real runtime
// on loopback, registers a broker with our own remoting client, and checks
// that the unmodified rocketmq-client-go resolves the topic's route, its
// cluster, and the topic list.
func TestOfficialClientResolvesRoutes(t *testing.T) {
	rlog.SetLogLevel("error")
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))

	cfg := server.DefaultConfig()
	cfg.BindAddress = "127.0.0.1"
	cfg.ListenPort = 0
	nsRT := realrt.New("namesrv", realrt.Options{DataDir: t.TempDir(), Logger: quiet, Seed: 1})
	var srv *server.Server
	err := nsRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		s, err := server.Start(rt, cfg)
		srv = s
		return s, err
	})
	if err != nil {
		t.Fatal(err)
	}
	defer nsRT.Stop()
	addrCh := make(chan string, 1)
	nsRT.Post(func() { addrCh <- srv.Addr() })
	nsAddr := <-addrCh

	// Our broker-side registration, over our remoting endpoint on realrt.
	brokerRT := realrt.New("broker", realrt.Options{DataDir: t.TempDir(), Logger: quiet, Seed: 2})
	type result struct {
		resp *remoting.Command
		err  error
	}
	done := make(chan result, 4)
	var ep *remoting.Endpoint
	var conn runtime.Conn
	if err := brokerRT.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		ep = remoting.NewEndpoint(rt, remoting.Options{})
		conn = ep.Dial(nsAddr)
		return stopper{}, nil
	}); err != nil {
		t.Fatal(err)
	}
	defer brokerRT.Stop()
	registerBroker := func(name, addr string, id int64, topics map[string]int) {
		body := wire.RegisterBody{DataVersion: routes.DataVersion{Timestamp: 1, Counter: 1}, Topics: map[string]routes.TopicConfig{}}
		for tp, n := range topics {
			body.Topics[tp] = routes.TopicConfig{TopicName: tp, ReadQueueNums: n, WriteQueueNums: n, Perm: 6}
		}
		req := remoting.NewRequest(remoting.ReqRegisterBroker, map[string]string{
			"clusterName": "DefaultCluster", "brokerName": name, "brokerAddr": addr,
			"brokerId": strconv.FormatInt(id, 10), "haServerAddr": addr, "compressed": "false",
		})
		req.Body = wire.EncodeRegisterBody(body, false)
		brokerRT.Post(func() {
			if err := ep.Invoke(conn, req, 3*time.Second, func(r *remoting.Command, err error) { done <- result{r, err} }); err != nil {
				done <- result{nil, err}
			}
		})
		r := <-done
		if r.err != nil || r.resp.Code != remoting.RespSuccess {
			t.Fatalf("register %s: %+v", name, r)
		}
	}
	registerBroker("broker-a", "127.0.0.1:10911", 0, map[string]int{"TopicTest": 4, "TBW102": 8})
	registerBroker("broker-a", "127.0.0.1:10921", 1, nil)
	registerBroker("broker-b", "127.0.0.1:10931", 0, map[string]int{"TopicTest": 2, "Other": 1})

	adm, err := admin.NewAdmin(admin.WithResolver(primitive.NewPassthroughResolver([]string{nsAddr})))
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	mqs, err := adm.FetchPublishMessageQueues(ctx, "TopicTest")
	if err != nil {
		t.Fatalf("official client route lookup: %v", err)
	}
	var got []string
	for _, mq := range mqs {
		got = append(got, mq.BrokerName+"/"+strconv.Itoa(mq.QueueId))
	}
	sort.Strings(got)
	want := []string{"broker-a/0", "broker-a/1", "broker-a/2", "broker-a/3", "broker-b/0", "broker-b/1"}
	if !slices.Equal(got, want) {
		t.Fatalf("publish queues %v, want %v", got, want)
	}

	clusters, err := adm.FetchClusterList("TopicTest")
	if err != nil || !slices.Equal(clusters, []string{"DefaultCluster"}) {
		t.Fatalf("cluster list %v %v", clusters, err)
	}

	list, err := adm.FetchAllTopicList(ctx)
	if err != nil {
		t.Fatalf("topic list: %v", err)
	}
	topics := slices.Sorted(slices.Values(list.TopicList))
	if !slices.Equal(topics, []string{"Other", "TBW102", "TopicTest"}) {
		t.Fatalf("topic list %v", topics)
	}

	if _, err := adm.FetchPublishMessageQueues(ctx, "NoSuchTopic"); err == nil {
		t.Fatal("route for a missing topic")
	}
}

type stopper struct{}

func (stopper) Stop() {}
