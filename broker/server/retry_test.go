package server_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/remoting"
)

// sendRetry sends to %RETRY%g as the Go client's send-back fallback does.
func (e *env) sendRetry(reconsume, maxReconsume int) *remoting.Command {
	e.t.Helper()
	return e.invoke(remoting.ReqSendMessage, map[string]string{
		"producerGroup": "CLIENT_INNER_PRODUCER", "topic": "%RETRY%g", "defaultTopic": "TBW102",
		"defaultTopicQueueNums": "4", "queueId": "0", "sysFlag": "0", "bornTimestamp": "1700000000000",
		"flag": "0", "properties": props("RETRY_TOPIC", "T", "DELAY", "5"), "reconsumeTimes": strconv.Itoa(reconsume),
		"unitMode": "false", "maxReconsumeTimes": strconv.Itoa(maxReconsume),
	}, []byte("retry me"))
}

func TestRetrySendDLQRule(t *testing.T) {
	e := newEnv(t, 13, nil)
	r := e.sendRetry(3, 16)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	st := e.b().Store()
	require.Equal(t, int64(1), st.MaxOffsetInQueue(store.ScheduleTopic, 4), "below the max: delayed (level 5) on its way to %RETRY%g")
	r = e.sendRetry(16, 16)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, int64(1), st.MaxOffsetInQueue("%DLQ%g", 0), "at the max: straight to the dead-letter topic")
	res := st.GetMessage("%DLQ%g", 0, 0, 1, nil)
	require.Len(t, res.Records, 1)
	rec, err := message.Decode(res.Records[0], true)
	require.NoError(t, err)
	_, delayed := message.ParseProperties(rec.Properties)["DELAY"]
	require.False(t, delayed, "a dead letter is not delayed")
	_, ok := e.b().Topics().Get("%DLQ%g")
	require.True(t, ok)
}

func TestSendBackRetriesThenDeadLetters(t *testing.T) {
	e := newEnv(t, 14, nil)
	require.Equal(t, remoting.RespSuccess, e.send("T", 0, "payload", "TAGS", "a").Code)
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g", "T", "*", "TAG").Code)
	pr := e.invoke(remoting.ReqPullMessage, pullExt("g", "T", 0, 0, 0, 0), nil)
	recs := decodeRecords(t, pr.Body)
	require.Len(t, recs, 1)
	back := func(phy int64, maxTimes int) *remoting.Command {
		return e.invoke(remoting.ReqConsumerSendMsgBack, map[string]string{"group": "g",
			"offset": strconv.FormatInt(phy, 10), "delayLevel": "0", "originMsgId": "ORIG",
			"originTopic": "T", "unitMode": "false", "maxReconsumeTimes": strconv.Itoa(maxTimes)}, nil)
	}
	r := back(recs[0].PhysicalOffset, 2)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	st := e.b().Store()
	// reconsumeTimes 0: delay level 3 (queue 2 of the schedule topic).
	require.Equal(t, int64(1), st.MaxOffsetInQueue(store.ScheduleTopic, 2))
	res := st.GetMessage(store.ScheduleTopic, 2, 0, 1, nil)
	rec, err := message.Decode(res.Records[0], true)
	require.NoError(t, err)
	p := message.ParseProperties(rec.Properties)
	require.Equal(t, "%RETRY%g", p["REAL_TOPIC"])
	require.Equal(t, "T", p["RETRY_TOPIC"])
	require.Equal(t, "ORIG", p["ORIGIN_MESSAGE_ID"])
	require.Equal(t, int32(1), rec.ReconsumeTimes)
	require.Equal(t, "payload", string(rec.Body))

	// The retried copy failed twice more: at reconsumeTimes 2 = max it is a dead letter.
	r = back(rec.PhysicalOffset, 2) // reconsumeTimes 1 → level 4
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	res = st.GetMessage(store.ScheduleTopic, 3, 0, 1, nil)
	require.Len(t, res.Records, 1)
	rec2, err := message.Decode(res.Records[0], true)
	require.NoError(t, err)
	require.Equal(t, int32(2), rec2.ReconsumeTimes)
	r = back(rec2.PhysicalOffset, 2)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, int64(1), st.MaxOffsetInQueue("%DLQ%g", 0))
	// delayLevel -1 (the orderly consumer's "give up"): straight to the DLQ.
	r = e.invoke(remoting.ReqConsumerSendMsgBack, map[string]string{"group": "g",
		"offset": strconv.FormatInt(recs[0].PhysicalOffset, 10), "delayLevel": "-1", "maxReconsumeTimes": "16"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, int64(2), st.MaxOffsetInQueue("%DLQ%g", 0))
	_ = time.Second
}

func TestDiskFullRefusesSendsClearly(t *testing.T) {
	e := newEnv(t, 15, nil)
	require.Equal(t, remoting.RespSuccess, e.send("DF", 0, "before").Code)
	d := e.broker.Disk()
	d.SetCapacity(d.Used() + 512)
	var last *remoting.Command
	for i := 0; i < 50; i++ {
		last = e.send("DF", 0, string(make([]byte, 200)))
		if last.Code == remoting.RespServiceNotAvailable {
			break
		}
		// Before the store notices, a write may reach the page cache
		// but not the disk: SYNC_FLUSH then answers FLUSH_DISK_TIMEOUT.
		require.Contains(t, []int16{remoting.RespSuccess, remoting.RespFlushDiskTimeout}, last.Code, code(last))
	}
	require.Equal(t, remoting.RespServiceNotAvailable, last.Code, code(last))
	require.Contains(t, last.Remark, "disk")
	// Space returns: writes resume by themselves.
	d.SetCapacity(1 << 30)
	require.True(t, e.w.RunUntil(func() bool { return e.b().Store().Writable() == nil }, time.Minute))
	require.Equal(t, remoting.RespSuccess, e.send("DF", 0, "after").Code)
}

func TestDelayedAndRetriedMessagesComeBack(t *testing.T) {
	e := newEnv(t, 20, nil)
	require.Equal(t, remoting.RespSuccess, e.send("D", 0, "later", "DELAY", "2").Code) // level 2: 5 s
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g", "D", "*", "TAG").Code)
	st := e.b().Store()
	require.Equal(t, int64(0), st.MaxOffsetInQueue("D", 0), "parked in the schedule topic")
	// A long poll on the real queue is woken when the delay ends.
	pending := e.start(brokerAddr, remoting.NewRequest(remoting.ReqPullMessage, pullExt("g", "D", 0, 0, suspend, 15*time.Second)), 30*time.Second)
	sent := e.w.Now()
	require.True(t, e.w.RunUntil(func() bool { return pending.done }, 14*time.Second))
	waited := e.w.Now() - sent
	require.GreaterOrEqual(t, waited, 4*time.Second)
	require.Less(t, waited, 7*time.Second)
	require.Equal(t, remoting.RespSuccess, pending.resp.Code, code(pending.resp))
	recs := decodeRecords(t, pending.resp.Body)
	require.Len(t, recs, 1)
	p := message.ParseProperties(recs[0].Properties)
	_, still := p["DELAY"]
	require.False(t, still)
	require.Equal(t, "later", string(recs[0].Body))

	// A send-back comes back in %RETRY%g after level 3 (10 s).
	r := e.invoke(remoting.ReqConsumerSendMsgBack, map[string]string{"group": "g",
		"offset": strconv.FormatInt(recs[0].PhysicalOffset, 10), "delayLevel": "0", "maxReconsumeTimes": "16"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(8 * time.Second)
	require.Equal(t, int64(0), st.MaxOffsetInQueue("%RETRY%g", 0))
	e.w.RunFor(4 * time.Second)
	require.Equal(t, int64(1), st.MaxOffsetInQueue("%RETRY%g", 0))
	res := st.GetMessage("%RETRY%g", 0, 0, 1, nil)
	rec, err := message.Decode(res.Records[0], true)
	require.NoError(t, err)
	require.Equal(t, int32(1), rec.ReconsumeTimes)
	require.Equal(t, "D", message.ParseProperties(rec.Properties)["RETRY_TOPIC"])
}
