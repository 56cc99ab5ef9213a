package litepull_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/clienttest"
	"rocketsim/client/consumer"
	"rocketsim/client/litepull"
	"rocketsim/client/producer"
	"rocketsim/runtime"
)

func TestAssignPollCommitSeek(t *testing.T) {
	cl := clienttest.NewCluster(t, 71, clienttest.Options{})
	q0 := client.Queue{Topic: "LP", BrokerName: "broker-a", QueueID: 0}
	pn := cl.AddClient("prod", func(rt runtime.Runtime) (runtime.Node, error) {
		p, err := producer.New(rt, producer.Options{Group: "pg", NameServers: cl.NSAddrs})
		if err != nil {
			return nil, err
		}
		p.Start()
		left := 20
		var next func(i int)
		next = func(i int) {
			if i == 20 {
				return
			}
			p.SendSelect(client.NewMessage("LP", []byte(fmt.Sprint(i))), producer.Manual{Queue: q0}, func(_ *producer.SendResult, err error) {
				require.NoError(t, err)
				left--
				next(i + 1)
			})
		}
		next(0)
		return &clienttest.Holder{RT: rt, OnStop: p.Shutdown}, nil
	})
	_ = pn
	cl.W.RunFor(5 * time.Second)

	var lp *litepull.Consumer
	n := cl.AddClient("lite", func(rt runtime.Runtime) (runtime.Node, error) {
		var err error
		lp, err = litepull.New(rt, litepull.Options{Options: consumer.Options{Group: "lg", NameServers: cl.NSAddrs,
			ConsumeFrom: consumer.ConsumeFromFirstOffset}})
		if err != nil {
			return nil, err
		}
		if err := lp.Assign("LP", []client.Queue{q0}); err != nil {
			return nil, err
		}
		return &clienttest.Holder{RT: rt}, lp.Start()
	})
	pollAll := func(want int) []string {
		var bodies []string
		for len(bodies) < want {
			var got []*client.MessageExt
			done := false
			cl.Post(n, func() {
				require.NoError(t, lp.Poll(8, 5*time.Second, func(ms []*client.MessageExt) { got, done = ms, true }))
			})
			cl.RunUntil("poll", func() bool { return done }, 10*time.Second)
			require.NotEmpty(t, got, "poll timed out with %d of %d", len(bodies), want)
			for _, m := range got {
				require.Equal(t, q0, m.Queue())
				bodies = append(bodies, string(m.Body))
			}
		}
		return bodies
	}
	bodies := pollAll(20)
	for i, b := range bodies {
		require.Equal(t, fmt.Sprint(i), b)
	}
	require.Equal(t, int64(0), lp.Core().Committed(q0), "nothing committed before Commit")
	cl.Post(n, lp.Commit)
	require.Equal(t, int64(20), lp.Core().Committed(q0))

	// A poll with nothing new times out empty.
	var got []*client.MessageExt
	done := false
	cl.Post(n, func() {
		require.NoError(t, lp.Poll(8, time.Second, func(ms []*client.MessageExt) { got, done = ms, true }))
	})
	cl.RunUntil("empty poll", func() bool { return done }, 5*time.Second)
	require.Empty(t, got)

	cl.Post(n, func() { require.NoError(t, lp.Seek(q0, 15)) })
	bodies = pollAll(5)
	require.Equal(t, []string{"15", "16", "17", "18", "19"}, bodies)
}
