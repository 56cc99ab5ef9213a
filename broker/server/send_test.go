package server_test

import (
	"math/rand/v2"
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

func TestSendsWaitingForDiskAreBounded(t *testing.T) {
	e := newEnv(t, 21, map[string]string{"sendThreadPoolQueueCapacity": "3"})
	require.Equal(t, remoting.RespSuccess, e.send("FC", 0, "warm").Code)
	e.broker.Disk().SetFsyncLatency(func(*rand.Rand) time.Duration { return 2 * time.Second })
	var calls []*call
	for i := 0; i < 5; i++ {
		cmd := remoting.NewRequest(remoting.ReqSendMessage, map[string]string{
			"producerGroup": "pg", "topic": "FC", "queueId": "0", "sysFlag": "0",
			"bornTimestamp": "1700000000000", "flag": "0", "properties": "",
		})
		calls = append(calls, e.start(brokerAddr, cmd, 10*time.Second))
	}
	e.w.RunFor(5 * time.Second)
	codes := map[int16]int{}
	for _, c := range calls {
		require.True(t, c.done)
		require.NoError(t, c.err)
		codes[c.resp.Code]++
		if c.resp.Code == remoting.RespSystemBusy {
			require.Contains(t, c.resp.Remark, "broker busy")
		}
	}
	require.Equal(t, map[int16]int{remoting.RespSuccess: 3, remoting.RespSystemBusy: 2}, codes,
		"three sends wait for the slow fsync, the rest are told to back off")
	require.Equal(t, int64(2), e.b().Stats().SendRefused)
}

func TestSlaveRefusesSends(t *testing.T) {
	e := newEnv(t, 22, map[string]string{"brokerRole": "SLAVE", "brokerId": "1"})
	r := e.send("S", 0, "x")
	require.Equal(t, remoting.RespServiceNotAvailable, r.Code, code(r))
	require.Contains(t, r.Remark, "slave")
}
