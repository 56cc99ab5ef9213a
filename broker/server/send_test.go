package server_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store/message"
	"rocketsim/remoting"
)

func TestSendAutoCreatesTopicAndPullReturnsIt(t *testing.T) {
	e := newEnv(t, 1, nil)
	resp := e.send("T1", 2, "hello", "TAGS", "a", "KEYS", "k1")
	require.Equal(t, remoting.RespSuccess, resp.Code, code(resp))
	require.Equal(t, "2", resp.Ext("queueId"))
	require.Equal(t, "0", resp.Ext("queueOffset"))
	require.Equal(t, "DefaultRegion", resp.Ext("MSG_REGION"))
	require.Len(t, resp.Ext("msgId"), 32)
	tc, ok := e.b().Topics().Get("T1")
	require.True(t, ok, "auto-created from TBW102")
	require.Equal(t, 4, tc.WriteQueueNums)

	resp = e.send("T1", 2, "world", "TAGS", "b")
	require.Equal(t, "1", resp.Ext("queueOffset"))

	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g1", "T1", "*", "TAG").Code)
	pr := e.invoke(remoting.ReqPullMessage, pullExt("g1", "T1", 2, 0, 0, 0), nil)
	require.Equal(t, remoting.RespSuccess, pr.Code, code(pr))
	require.Equal(t, "2", pr.Ext("nextBeginOffset"))
	require.Equal(t, "0", pr.Ext("minOffset"))
	require.Equal(t, "2", pr.Ext("maxOffset"))
	require.Equal(t, "0", pr.Ext("suggestWhichBrokerId"))
	recs := decodeRecords(t, pr.Body)
	require.Len(t, recs, 2)
	require.Equal(t, "hello", string(recs[0].Body))
	require.Equal(t, "T1", recs[0].Topic)
	require.Equal(t, int64(1), recs[1].QueueOffset)
	p := message.ParseProperties(recs[0].Properties)
	require.Equal(t, "a", p["TAGS"])
	require.Equal(t, "DefaultCluster", p["CLUSTER"])
}

func TestSendRefusals(t *testing.T) {
	e := newEnv(t, 2, map[string]string{"autoCreateTopicEnable": "false"})
	resp := e.send("Missing", 0, "x")
	require.Equal(t, remoting.RespTopicNotExist, resp.Code, code(resp))
	resp = e.send("TBW102", 0, "x") // the template exists only with auto-creation on
	require.Equal(t, remoting.RespTopicNotExist, resp.Code, code(resp))
	resp = e.send("SCHEDULE_TOPIC_XXXX", 0, "x")
	require.Equal(t, remoting.RespNoPermission, resp.Code, code(resp))
	resp = e.send("bad topic!", 0, "x")
	require.Equal(t, remoting.RespSystemError, resp.Code, code(resp))
	// A topic that exists, with a queue id past its queues.
	resp = e.invoke(remoting.ReqUpdateAndCreateTopic, map[string]string{"topic": "T2", "readQueueNums": "2",
		"writeQueueNums": "2", "perm": "6"}, nil)
	require.Equal(t, remoting.RespSuccess, resp.Code, code(resp))
	resp = e.send("T2", 5, "x")
	require.Equal(t, remoting.RespSystemError, resp.Code, code(resp))
	resp = e.send("T2", 1, "x")
	require.Equal(t, remoting.RespSuccess, resp.Code, code(resp))
	_ = time.Second
}
