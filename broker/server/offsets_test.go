package server_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
)

func (e *env) commitOffset(group, topic string, queue int, off int64) {
	e.t.Helper()
	r := e.invoke(remoting.ReqUpdateConsumerOffset, map[string]string{"consumerGroup": group, "topic": topic,
		"queueId": strconv.Itoa(queue), "commitOffset": strconv.FormatInt(off, 10)}, nil)
	require.Equal(e.t, remoting.RespSuccess, r.Code, code(r))
}

func (e *env) queryOffset(group, topic string, queue int) *remoting.Command {
	e.t.Helper()
	return e.invoke(remoting.ReqQueryConsumerOffset, map[string]string{"consumerGroup": group, "topic": topic,
		"queueId": strconv.Itoa(queue)}, nil)
}

func TestQueryConsumerOffsetYoungQueueQuirk(t *testing.T) {
	e := newEnv(t, 10, nil)
	// No offset, the queue starts at 0: Java answers 0, not QUERY_NOT_FOUND.
	r := e.queryOffset("g", "Q", 0)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, "0", r.Ext("offset"))
	e.commitOffset("g", "Q", 0, 7)
	r = e.queryOffset("g", "Q", 0)
	require.Equal(t, "7", r.Ext("offset"))
}

func TestOffsetsSurviveRestartAndFlushPeriod(t *testing.T) {
	e := newEnv(t, 11, nil)
	e.commitOffset("g", "T", 1, 5)
	e.w.RunFor(6 * time.Second) // flushConsumerOffsetInterval is 5 s
	e.commitOffset("g", "T", 1, 9)
	// A crash right away loses the last commit (consumers re-consume: at
	// least once) but not the persisted one.
	e.broker.Crash()
	e.broker.Start()
	require.NoError(t, e.broker.Err())
	e.w.RunFor(time.Second)
	require.Equal(t, "5", e.queryOffset("g", "T", 1).Ext("offset"))

	// A graceful stop persists everything.
	e.commitOffset("g", "T", 1, 12)
	e.broker.Stop()
	e.broker.Start()
	require.NoError(t, e.broker.Err())
	e.w.RunFor(time.Second)
	require.Equal(t, "12", e.queryOffset("g", "T", 1).Ext("offset"))

	// So does a power loss after the periodic flush (written with fsync).
	e.commitOffset("g", "T", 1, 20)
	e.w.RunFor(6 * time.Second)
	e.broker.PowerLoss()
	e.broker.Start()
	require.NoError(t, e.broker.Err())
	e.w.RunFor(time.Second)
	require.Equal(t, "20", e.queryOffset("g", "T", 1).Ext("offset"))
}

func TestMinMaxSearchOffsetAndStoreTime(t *testing.T) {
	e := newEnv(t, 12, nil)
	require.Equal(t, remoting.RespSuccess, e.send("O", 0, "a").Code)
	e.w.RunFor(10 * time.Second)
	require.Equal(t, remoting.RespSuccess, e.send("O", 0, "b").Code)
	ext := map[string]string{"topic": "O", "queueId": "0"}
	require.Equal(t, "2", e.invoke(remoting.ReqGetMaxOffset, ext, nil).Ext("offset"))
	require.Equal(t, "0", e.invoke(remoting.ReqGetMinOffset, ext, nil).Ext("offset"))
	first := e.invoke(remoting.ReqGetEarliestMsgStoretime, ext, nil)
	require.Equal(t, remoting.RespSuccess, first.Code, code(first))
	ts, err := strconv.ParseInt(first.Ext("timestamp"), 10, 64)
	require.NoError(t, err)
	search := func(at int64) string {
		return e.invoke(remoting.ReqSearchOffsetByTimestamp, map[string]string{"topic": "O", "queueId": "0",
			"timestamp": strconv.FormatInt(at, 10)}, nil).Ext("offset")
	}
	require.Equal(t, "0", search(ts))
	require.Equal(t, "1", search(ts+5000), "the second message was stored 10 s later")
	require.Equal(t, "2", search(ts+60000))
}
