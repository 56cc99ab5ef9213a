package route_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/route"
	"rocketsim/namesrv/routes"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

func q(broker string, id int) client.Queue {
	return client.Queue{Topic: "T", BrokerName: broker, QueueID: id}
}

func TestPublishAndSubscribeQueues(t *testing.T) {
	r := &route.Route{Topic: "T", Data: routes.TopicRoute{
		QueueDatas: []routes.QueueData{
			{BrokerName: "b", ReadQueueNums: 2, WriteQueueNums: 3, Perm: route.PermRead | route.PermWrite},
			{BrokerName: "a", ReadQueueNums: 1, WriteQueueNums: 1, Perm: route.PermRead}, // read-only
			{BrokerName: "c", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},              // no master
		},
		BrokerDatas: []routes.BrokerData{
			{BrokerName: "a", Addrs: map[int64]string{0: "1.1.1.1:1"}},
			{BrokerName: "b", Addrs: map[int64]string{0: "2.2.2.2:1", 1: "2.2.2.3:1"}},
			{BrokerName: "c", Addrs: map[int64]string{1: "3.3.3.3:1"}},
		},
	}}
	pub := r.PublishQueues()
	require.Equal(t, []client.Queue{q("b", 0), q("b", 1), q("b", 2)}, pub)
	sub := r.SubscribeQueues()
	require.Equal(t, []client.Queue{q("a", 0), q("b", 0), q("b", 1), q("c", 0)}, sub)
	require.Equal(t, "2.2.2.3:1", r.BrokerAddr("b", 1))
	require.Equal(t, "3.3.3.3:1", r.BrokerAddr("c", 0), "no master: lowest id")
	require.Equal(t, []string{"1.1.1.1:1", "2.2.2.2:1"}, r.MasterAddrs())

	r.Data.OrderTopicConf = "a:2;bad;b:1"
	require.Equal(t, []client.Queue{q("a", 0), q("a", 1), q("b", 0)}, r.PublishQueues())
}

// routeNode is a client node holding a route client.
type routeNode struct {
	clienttest.Holder
	rc *route.Client
}

func newRouteNode(addrs []string) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		ep := remoting.NewEndpoint(rt, remoting.Options{})
		n := &routeNode{rc: route.New(rt, ep, addrs)}
		n.RT = rt
		n.rc.Start()
		return n, nil
	}
}

func TestFetchRotatesPastDeadNameServer(t *testing.T) {
	c := clienttest.NewCluster(t, 1, clienttest.Options{NameServers: 2})
	c.NS[0].Crash()
	node := c.AddClient("cli", newRouteNode(c.NSAddrs))
	rn := node.Value().(*routeNode)

	for i := 0; i < 4; i++ { // whichever name server it starts at, it gets an answer
		var got *route.Route
		var gerr error
		done := false
		c.Post(node, func() {
			rn.rc.Fetch(client.DefaultTopic, func(r *route.Route, err error) { got, gerr, done = r, err, true })
		})
		c.RunUntil("fetch", func() bool { return done }, 20*time.Second)
		require.NoError(t, gerr)
		require.Equal(t, []string{c.BrokerAddrs[0]}, got.MasterAddrs())
	}

	c.NS[1].Crash()
	var gerr error
	done := false
	c.Post(node, func() {
		rn.rc.Fetch("X", func(r *route.Route, err error) { gerr, done = err, true })
	})
	c.RunUntil("fetch", func() bool { return done }, 20*time.Second)
	require.ErrorIs(t, gerr, route.ErrNoNameServer)
}

func TestPublishRouteFallsBackToDefaultTopic(t *testing.T) {
	c := clienttest.NewCluster(t, 2, clienttest.Options{})
	node := c.AddClient("cli", newRouteNode(c.NSAddrs))
	rn := node.Value().(*routeNode)

	var ferr error
	done := false
	c.Post(node, func() { rn.rc.Fetch("NewTopic", func(_ *route.Route, err error) { ferr, done = err, true }) })
	c.RunUntil("fetch", func() bool { return done }, 10*time.Second)
	require.True(t, errors.Is(ferr, route.ErrTopicNotExist), "%v", ferr)

	var got *route.Route
	done = false
	c.Post(node, func() {
		rn.rc.PublishRoute("NewTopic", func(r *route.Route, err error) { got, ferr, done = r, err, true })
	})
	c.RunUntil("publish route", func() bool { return done }, 10*time.Second)
	require.NoError(t, ferr)
	require.True(t, got.Default)
	pub := got.PublishQueues()
	require.NotEmpty(t, pub)
	require.LessOrEqual(t, len(pub), client.DefaultTopicQueueNums)
	require.Equal(t, "NewTopic", pub[0].Topic)
	// The Client's routes keep their publish queues: the same slice on
	// every call, equal to what the route's data yields afresh.
	require.Same(t, &pub[0], &got.PublishQueues()[0])
	require.Equal(t, (&route.Route{Topic: got.Topic, Data: got.Data}).PublishQueues(), pub)
	var def *route.Route
	c.Post(node, func() { rn.rc.Fetch(client.DefaultTopic, func(r *route.Route, _ error) { def = r }) })
	c.RunUntil("default route", func() bool { return def != nil }, 10*time.Second)
	require.NotEmpty(t, def.PublishQueues())
	require.Same(t, &def.PublishQueues()[0], &def.PublishQueues()[0])
	require.Equal(t, (&route.Route{Topic: def.Topic, Data: def.Data}).PublishQueues(), def.PublishQueues())
	require.Same(t, got, rn.rc.Get("NewTopic"))
	require.Equal(t, c.BrokerAddrs[0], rn.rc.MasterAddr("broker-a"))
}
