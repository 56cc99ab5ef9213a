package mq

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
	"rocketsim/sim/simrt"
)

// TestCaughtUpOnlyAtQueueEnd: a pull that hands the consumer nothing says
// its queue is read to the end only when the answer's nextBeginOffset
// reaches the queue's maxOffset. The broker also answers
// PULL_RETRY_IMMEDIATELY below the end: for a batch of 32 messages none of
// whose tags the subscription selects (the consumer must pull on from
// nextBeginOffset), or for records whose commit log file was deleted. Taken
// as the end, such an answer let the drain or the verification phase stop
// early and stop the consumers, so messages the broker kept would count as
// lost.
func TestCaughtUpOnlyAtQueueEnd(t *testing.T) {
	w := simrt.New(1, simrt.Options{})
	var c *rawConsumer
	owned := []target{{broker: "broker-x", addr: "192.0.2.99:10911", queue: 0}}
	n := w.AddNode("c", simrt.NodeConfig{}, newConsumer(shortSpec(), "g", "TagA", true, owned, newRecorder(w.Now), func(rc *rawConsumer) { c = rc }))
	n.Start()
	require.NoError(t, n.Err())
	w.RunFor(100 * time.Millisecond)
	require.NotNil(t, c)

	cases := []struct {
		name      string
		code      int16
		next, max int64
		caughtUp  bool
	}{
		{"no tag matched, more follow", remoting.RespPullRetryImmediately, 32, 100, false},
		{"no tag matched up to the end", remoting.RespPullRetryImmediately, 100, 100, true},
		{"nothing new at the end", remoting.RespPullNotFound, 100, 100, true},
		{"not found below the end", remoting.RespPullNotFound, 40, 100, false},
	}
	for _, tc := range cases {
		req := remoting.NewRequest(remoting.ReqPullMessage, nil)
		resp := remoting.NewResponse(req, tc.code, "")
		resp.SetExt("nextBeginOffset", strconv.FormatInt(tc.next, 10))
		resp.SetExt("minOffset", "0")
		resp.SetExt("maxOffset", strconv.FormatInt(tc.max, 10))
		c.caughtUp[0] = !tc.caughtUp
		c.onPull(0, resp)
		require.Equal(t, tc.caughtUp, c.caughtUp[0], tc.name)
		require.Equal(t, tc.next, c.next[0], "%s: the next pull starts at nextBeginOffset", tc.name)
		w.RunFor(10 * time.Millisecond)
	}
}
