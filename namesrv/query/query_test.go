package query_test

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"testing"
	"time"

	"rocketsim/namesrv/query"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/server"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/remoting/remotingtest"
	"rocketsim/sim/simdisk"
)

func TestQueries(t *testing.T) {
	w := remotingtest.NewWorld()
	d := simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 1)))
	cfg := server.DefaultConfig()
	cfg.BindAddress = "10.0.0.1"
	if _, err := server.Start(w.NewNode("10.0.0.1", nil).WithDisk(d.FS()), cfg); err != nil {
		t.Fatal(err)
	}
	ns := cfg.ListenAddr()
	ep := remoting.NewEndpoint(w.NewNode("10.0.0.2", nil), remoting.Options{})

	reg := remoting.NewRequest(remoting.ReqRegisterBroker, map[string]string{
		"clusterName": "c", "brokerName": "a", "brokerAddr": "10.0.0.3:10911", "brokerId": "0"})
	reg.Body = wire.EncodeRegisterBody(wire.RegisterBody{Topics: map[string]routes.TopicConfig{
		"T": {TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}}}, false)
	if err := ep.Invoke(ep.ConnTo(ns), reg, time.Second, func(*remoting.Command, error) {}); err != nil {
		t.Fatal(err)
	}
	w.RunFor(100 * time.Millisecond)

	var route routes.TopicRoute
	var missingErr error
	var all, byCluster []string
	var ci routes.ClusterInfo
	must := func(err error) {
		if err != nil {
			t.Fatal(err)
		}
	}
	must(query.Route(ep, ns, "T", 0, func(r routes.TopicRoute, err error) { must(err); route = r }))
	must(query.Route(ep, ns, "missing", 0, func(_ routes.TopicRoute, err error) { missingErr = err }))
	must(query.AllTopics(ep, ns, 0, func(l []string, err error) { must(err); all = l }))
	must(query.TopicsByCluster(ep, ns, "c", 0, func(l []string, err error) { must(err); byCluster = l }))
	must(query.ClusterInfo(ep, ns, 0, func(c routes.ClusterInfo, err error) { must(err); ci = c }))
	w.RunFor(100 * time.Millisecond)

	if len(route.BrokerDatas) != 1 || route.BrokerDatas[0].Addrs[0] != "10.0.0.3:10911" || route.QueueDatas[0].WriteQueueNums != 4 {
		t.Fatalf("route %+v", route)
	}
	if !errors.Is(missingErr, query.ErrTopicNotExist) {
		t.Fatalf("missing topic: %v", missingErr)
	}
	if !reflect.DeepEqual(all, []string{"T"}) || !reflect.DeepEqual(byCluster, []string{"T"}) || len(ci.Brokers) != 1 {
		t.Fatalf("all %v by cluster %v cluster info %+v", all, byCluster, ci)
	}

	// A name server that is not there: the error names the request.
	var downErr error
	must(query.Route(ep, "10.0.0.9:9876", "T", time.Second, func(_ routes.TopicRoute, err error) { downErr = err }))
	w.RunFor(2 * time.Second)
	if downErr == nil || !errors.Is(downErr, remoting.ErrConnClosed) {
		t.Fatalf("down name server: %v", downErr)
	}
}
