package admin_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client/admin"
	"rocketsim/client/clienttest"
	"rocketsim/client/route"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

func TestCreateListDeleteTopic(t *testing.T) {
	cl := clienttest.NewCluster(t, 1, clienttest.Options{})
	var a *admin.Admin
	var rc *route.Client
	n := cl.AddClient("admin", func(rt runtime.Runtime) (runtime.Node, error) {
		a = admin.New(rt, cl.NSAddrs)
		rc = route.New(rt, remoting.NewEndpoint(rt, remoting.Options{}), cl.NSAddrs)
		return &clienttest.Holder{RT: rt, OnStop: a.Close}, nil
	})
	wait := func(what string, start func(done func(error))) {
		t.Helper()
		var err error
		done := false
		n.Runtime().Post(func() { start(func(e error) { err, done = e, true }) })
		cl.RunUntil(what, func() bool { return done }, 20*time.Second)
		require.NoError(t, err, what)
	}
	wait("create", func(done func(error)) {
		a.CreateTopic(cl.BrokerAddrs[0], admin.TopicConfig{Topic: "Made", ReadQueueNums: 6, WriteQueueNums: 6}, done)
	})
	var topics []string
	cl.RunUntil("listed", func() bool {
		wait("list", func(done func(error)) { a.Topics(func(l []string, err error) { topics = l; done(err) }) })
		return slices.Contains(topics, "Made")
	}, time.Minute)
	var r *route.Route
	wait("route", func(done func(error)) { rc.Fetch("Made", func(got *route.Route, err error) { r = got; done(err) }) })
	require.Len(t, r.PublishQueues(), 6)

	wait("delete", func(done func(error)) { a.DeleteTopic(cl.BrokerAddrs[0], "Made", done) })
	wait("list again", func(done func(error)) { a.Topics(func(l []string, err error) { topics = l; done(err) }) })
	require.NotContains(t, topics, "Made")
}
