package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
)

const suspend = pullFlagSuspendForTest

// pullFlagSuspendForTest is PullSysFlag's suspend bit.
const pullFlagSuspendForTest = 2

func TestLongPollWokenByArrival(t *testing.T) {
	e := newEnv(t, 3, nil)
	require.Equal(t, remoting.RespSuccess, e.send("LP", 1, "first").Code)
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g1", "LP", "*", "TAG").Code)

	// Offset 1 is the end of the queue: the pull is held.
	cmd := remoting.NewRequest(remoting.ReqPullMessage, pullExt("g1", "LP", 1, 1, suspend, 20*time.Second))
	pending := e.start(brokerAddr, cmd, 40*time.Second)
	e.w.RunFor(2 * time.Second)
	require.False(t, pending.done, "the pull must be held, not answered")
	require.Equal(t, 1, e.b().HeldPulls())

	// A message on another queue does not wake it; one on its queue does.
	require.Equal(t, remoting.RespSuccess, e.send("LP", 0, "elsewhere").Code)
	require.False(t, pending.done)
	start := e.w.Now()
	require.Equal(t, remoting.RespSuccess, e.send("LP", 1, "second").Code)
	require.True(t, e.w.RunUntil(func() bool { return pending.done }, time.Second))
	require.Less(t, e.w.Now()-start, time.Second, "woken by the arrival, not by a timer")
	require.NoError(t, pending.err)
	require.Equal(t, remoting.RespSuccess, pending.resp.Code, code(pending.resp))
	recs := decodeRecords(t, pending.resp.Body)
	require.Len(t, recs, 1)
	require.Equal(t, "second", string(recs[0].Body))
	require.Equal(t, "2", pending.resp.Ext("nextBeginOffset"))
	require.Equal(t, 0, e.b().HeldPulls())
}

func TestLongPollTimesOutWithNotFound(t *testing.T) {
	e := newEnv(t, 4, nil)
	require.Equal(t, remoting.RespSuccess, e.send("LP", 0, "x").Code)
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g1", "LP", "*", "TAG").Code)
	cmd := remoting.NewRequest(remoting.ReqPullMessage, pullExt("g1", "LP", 0, 1, suspend, 20*time.Second))
	start := e.w.Now()
	pending := e.start(brokerAddr, cmd, 40*time.Second)
	require.True(t, e.w.RunUntil(func() bool { return pending.done }, 30*time.Second))
	held := e.w.Now() - start
	// The client asked 20 s; the broker caps holds at SuspendMax (15 s).
	require.GreaterOrEqual(t, held, 15*time.Second)
	require.Less(t, held, 16*time.Second)
	require.Equal(t, remoting.RespPullNotFound, pending.resp.Code, code(pending.resp))
	require.Equal(t, "1", pending.resp.Ext("nextBeginOffset"))
	require.Equal(t, "0", pending.resp.Ext("minOffset"))
	require.Equal(t, "1", pending.resp.Ext("maxOffset"))
}

func TestPullStatusMapping(t *testing.T) {
	e := newEnv(t, 5, nil)
	for i := 0; i < 3; i++ {
		require.Equal(t, remoting.RespSuccess, e.send("PS", 0, "m", "TAGS", []string{"a", "b", "a"}[i]).Code)
	}
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g1", "PS", "b", "TAG").Code)
	pull := func(queue int, offset int64, flag int) *remoting.Command {
		return e.invoke(remoting.ReqPullMessage, pullExt("g1", "PS", queue, offset, flag, 0), nil)
	}
	// The tag filter: only the "b" message comes back.
	r := pull(0, 0, 0)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	recs := decodeRecords(t, r.Body)
	require.Len(t, recs, 1)
	require.Equal(t, int64(1), recs[0].QueueOffset)
	// Everything from offset 2 on is filtered out: retry at once, past it.
	r = pull(0, 2, 0)
	require.Equal(t, remoting.RespPullRetryImmediately, r.Code, code(r))
	require.Equal(t, "3", r.Ext("nextBeginOffset"))
	// At the end without suspend: not found, at once.
	r = pull(0, 3, 0)
	require.Equal(t, remoting.RespPullNotFound, r.Code, code(r))
	// Far past the end: offset moved, back to the min offset while the
	// queue still starts at 0 (Java's OFFSET_OVERFLOW_BADLY correction).
	r = pull(0, 100, 0)
	require.Equal(t, remoting.RespPullOffsetMoved, r.Code, code(r))
	require.Equal(t, "0", r.Ext("nextBeginOffset"))
	// An empty queue at offset 0: not found; at another offset: moved.
	r = pull(1, 0, 0)
	require.Equal(t, remoting.RespPullNotFound, r.Code, code(r))
	r = pull(1, 5, 0)
	require.Equal(t, remoting.RespPullOffsetMoved, r.Code, code(r))
	require.Equal(t, "0", r.Ext("nextBeginOffset"))

	// No heartbeat for the group: SUBSCRIPTION_NOT_EXIST; a subscription in
	// the request (sysFlag bit 2) serves a pull consumer without one.
	r = e.invoke(remoting.ReqPullMessage, pullExt("other", "PS", 0, 0, 0, 0), nil)
	require.Equal(t, remoting.RespSubscriptionNotExist, r.Code, code(r))
	ext := pullExt("other", "PS", 0, 0, 4, 0)
	ext["subscription"] = "a"
	r = e.invoke(remoting.ReqPullMessage, ext, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Len(t, decodeRecords(t, r.Body), 2)
	// A bad SQL92 expression is refused with a clear error.
	ext = pullExt("other", "PS", 0, 0, 4, 0)
	ext["subscription"], ext["expressionType"] = "a >", "SQL92"
	r = e.invoke(remoting.ReqPullMessage, ext, nil)
	require.Equal(t, remoting.RespSubscriptionParseFailed, r.Code, code(r))
	// A queue id past the topic's read queues.
	r = pull(9, 0, 0)
	require.Equal(t, remoting.RespSystemError, r.Code, code(r))
}

func TestPullCommitsPiggyBackedOffset(t *testing.T) {
	e := newEnv(t, 6, nil)
	require.Equal(t, remoting.RespSuccess, e.send("PC", 0, "m").Code)
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g1", "PC", "*", "TAG").Code)
	ext := pullExt("g1", "PC", 0, 1, 1, 0)
	ext["commitOffset"] = "1"
	r := e.invoke(remoting.ReqPullMessage, ext, nil)
	require.Equal(t, remoting.RespPullNotFound, r.Code, code(r))
	q := e.invoke(remoting.ReqQueryConsumerOffset, map[string]string{"consumerGroup": "g1", "topic": "PC", "queueId": "0"}, nil)
	require.Equal(t, remoting.RespSuccess, q.Code, code(q))
	require.Equal(t, "1", q.Ext("offset"))
}
