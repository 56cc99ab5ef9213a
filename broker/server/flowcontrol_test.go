package server_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
)

// TestSendsThatWaitedPastTheBoundAreRefused: a send that waited behind a
// stopped broker (SIGSTOP) longer than waitTimeMillsInSendQueue is answered
// SYSTEM_BUSY with Java's TIMEOUT_CLEAN_QUEUE remark and not stored; one
// that waited less is stored, and sends after the backlog go through.
func TestSendsThatWaitedPastTheBoundAreRefused(t *testing.T) {
	for _, c := range []struct {
		pause   time.Duration
		refused bool
	}{{100 * time.Millisecond, false}, {time.Second, true}} {
		e := newEnv(t, 1, map[string]string{"waitTimeMillsInSendQueue": "200"})
		require.Equal(t, remoting.RespSuccess, e.send("FlowTopic", 0, "before").Code)
		before := e.b().Store().MaxOffsetInQueue("FlowTopic", 0)

		e.broker.Pause()
		cmd := remoting.NewRequest(remoting.ReqSendMessage, map[string]string{
			"producerGroup": "pg", "topic": "FlowTopic", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
			"queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "0",
			"properties": props(), "reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0",
		})
		cmd.Body = []byte("during")
		cl := e.start(brokerAddr, cmd, 10*time.Second)
		e.w.RunFor(c.pause)
		e.broker.Resume()
		require.True(t, e.w.RunUntil(func() bool { return cl.done }, 5*time.Second), "pause %v: no answer", c.pause)
		require.NoError(t, cl.err)
		after := e.b().Store().MaxOffsetInQueue("FlowTopic", 0)
		if c.refused {
			require.Equal(t, remoting.RespSystemBusy, cl.resp.Code, "pause %v", c.pause)
			require.True(t, strings.HasPrefix(cl.resp.Remark, "[TIMEOUT_CLEAN_QUEUE]broker busy"), cl.resp.Remark)
			waited, err := strconv.Atoi(strings.TrimSuffix(strings.Fields(strings.SplitAfter(cl.resp.Remark, "period in queue: ")[1])[0], "ms,"))
			require.NoError(t, err, cl.resp.Remark)
			require.Greater(t, waited, 200, cl.resp.Remark)
			require.Equal(t, before, after, "a refused send is not stored")
		} else {
			require.Equal(t, remoting.RespSuccess, cl.resp.Code, "pause %v: %s", c.pause, cl.resp.Remark)
			require.Equal(t, before+1, after)
		}
		require.Equal(t, remoting.RespSuccess, e.send("FlowTopic", 0, "after").Code, "pause %v: the next send", c.pause)
	}
}
