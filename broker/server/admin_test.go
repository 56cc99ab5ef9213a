package server_test

import (
	"encoding/binary"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store/message"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
)

// batchBody encodes messages as the Go client's MarshalMessageBatch does.
func batchBody(bodies []string, props []string) []byte {
	var out []byte
	for i, b := range bodies {
		p := props[i]
		total := 4 + 4 + 4 + 4 + 4 + len(b) + 2 + len(p)
		out = binary.BigEndian.AppendUint32(out, uint32(total))
		out = binary.BigEndian.AppendUint32(out, 0) // magic
		out = binary.BigEndian.AppendUint32(out, 0) // body crc
		out = binary.BigEndian.AppendUint32(out, 0) // flag
		out = binary.BigEndian.AppendUint32(out, uint32(len(b)))
		out = append(out, b...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(p)))
		out = append(out, p...)
	}
	return out
}

func batchExt(topic string, queue int) map[string]string {
	return map[string]string{"a": "pg", "b": topic, "c": "TBW102", "d": "4", "e": strconv.Itoa(queue), "f": "0",
		"g": "1700000000000", "h": "0", "i": "", "j": "0", "k": "false", "l": "0", "m": "true"}
}

func TestBatchSendV2(t *testing.T) {
	e := newEnv(t, 16, nil)
	body := batchBody([]string{"one", "two", "three"}, []string{props("KEYS", "k1"), props("TAGS", "t"), ""})
	r := e.invoke(remoting.ReqSendBatchMessage, batchExt("B", 2), body)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, "0", r.Ext("queueOffset"))
	require.Equal(t, "2", r.Ext("queueId"))
	ids := strings.Split(r.Ext("msgId"), ",")
	require.Len(t, ids, 3)
	r = e.invoke(remoting.ReqSendBatchMessage, batchExt("B", 2), body)
	require.Equal(t, "3", r.Ext("queueOffset"), "consecutive offsets per batch")

	res := e.b().Store().GetMessage("B", 2, 0, 10, nil)
	require.Len(t, res.Records, 6)
	rec, err := message.Decode(res.Records[1], true)
	require.NoError(t, err)
	require.Equal(t, "two", string(rec.Body))
	require.Equal(t, "t", message.ParseProperties(rec.Properties)["TAGS"])
	require.Equal(t, ids[1], message.ID(rec.StoreHost, rec.PhysicalOffset))

	// SEND_MESSAGE_V2 (310) is the compact header for one message.
	ext := batchExt("B", 1)
	delete(ext, "m")
	ext["i"] = props("TAGS", "x")
	r = e.invoke(remoting.ReqSendMessageV2, ext, []byte("single"))
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, "1", r.Ext("queueId"))

	// A delayed message in a batch and a malformed body are refused.
	r = e.invoke(remoting.ReqSendBatchMessage, batchExt("B", 0), batchBody([]string{"d"}, []string{props("DELAY", "2")}))
	require.Equal(t, remoting.RespMessageIllegal, r.Code, code(r))
	r = e.invoke(remoting.ReqSendBatchMessage, batchExt("B", 0), body[:len(body)-1])
	require.Equal(t, remoting.RespMessageIllegal, r.Code, code(r))
	require.Equal(t, int64(0), e.b().Store().MaxOffsetInQueue("B", 0))
}

func TestQueryAndViewMessage(t *testing.T) {
	e := newEnv(t, 17, nil)
	r := e.send("Q", 0, "findme", "KEYS", "order-42", "UNIQ_KEY", "U1")
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	msgID := r.Ext("msgId")
	e.send("Q", 1, "other", "KEYS", "order-43")
	q := e.invoke(remoting.ReqQueryMessage, map[string]string{"topic": "Q", "key": "order-42", "maxNum": "32",
		"beginTimestamp": "0", "endTimestamp": strconv.FormatInt(1<<62, 10)}, nil)
	require.Equal(t, remoting.RespSuccess, q.Code, code(q))
	recs := decodeRecords(t, q.Body)
	require.Len(t, recs, 1)
	require.Equal(t, "findme", string(recs[0].Body))
	q = e.invoke(remoting.ReqQueryMessage, map[string]string{"topic": "Q", "key": "nope", "maxNum": "32",
		"beginTimestamp": "0", "endTimestamp": strconv.FormatInt(1<<62, 10)}, nil)
	require.Equal(t, remoting.RespQueryNotFound, q.Code, code(q))

	_, phy, err := message.ParseID(msgID)
	require.NoError(t, err)
	v := e.invoke(remoting.ReqViewMessageById, map[string]string{"offset": strconv.FormatInt(phy, 10)}, nil)
	require.Equal(t, remoting.RespSuccess, v.Code, code(v))
	require.Equal(t, "findme", string(decodeRecords(t, v.Body)[0].Body))
	v = e.invoke(remoting.ReqViewMessageById, map[string]string{"offset": "999999"}, nil)
	require.Equal(t, remoting.RespSystemError, v.Code, code(v))
}

func TestAdminTopicsGroupsAndStats(t *testing.T) {
	e := newEnv(t, 18, nil)
	r := e.invoke(remoting.ReqUpdateAndCreateTopic, map[string]string{"topic": "AT", "readQueueNums": "3",
		"writeQueueNums": "3", "perm": "6", "topicFilterType": "SINGLE_TAG", "topicSysFlag": "0", "order": "false"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	all := e.invoke(remoting.ReqGetAllTopicConfig, nil, nil)
	require.Equal(t, remoting.RespSuccess, all.Code)
	require.Contains(t, string(all.Body), `"AT"`)
	e.w.RunFor(1e9)
	// The name server learned of it at once.
	route := e.invokeNS(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": "AT"})
	require.Equal(t, remoting.RespSuccess, route.Code, code(route))
	rd, err := wire.DecodeTopicRoute(route.Body)
	require.NoError(t, err)
	require.Equal(t, 3, rd.QueueDatas[0].WriteQueueNums)

	for i := 0; i < 3; i++ {
		e.send("AT", 1, "m"+strconv.Itoa(i))
	}
	stats := e.invoke(remoting.ReqGetTopicStatsInfo, map[string]string{"topic": "AT"}, nil)
	require.Equal(t, remoting.RespSuccess, stats.Code, code(stats))
	require.Contains(t, string(stats.Body), `{"brokerName":"broker-a","queueId":1,"topic":"AT"}:{"lastUpdateTimestamp":`)
	require.Contains(t, string(stats.Body), `"maxOffset":3,"minOffset":0}`)

	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "ag", "AT", "*", "TAG").Code)
	e.commitOffset("ag", "AT", 1, 2)
	cs := e.invoke(remoting.ReqGetConsumeStats, map[string]string{"consumerGroup": "ag", "topic": "AT"}, nil)
	require.Equal(t, remoting.RespSuccess, cs.Code, code(cs))
	require.Contains(t, string(cs.Body), `{"brokerName":"broker-a","queueId":1,"topic":"AT"}:{"brokerOffset":3,"consumerOffset":2,`)

	cc := e.invoke(remoting.ReqGetConsumerConnectionList, map[string]string{"consumerGroup": "ag"}, nil)
	require.Equal(t, remoting.RespSuccess, cc.Code, code(cc))
	var conn struct {
		ConnectionSet []struct {
			ClientID string `json:"clientId"`
		} `json:"connectionSet"`
		MessageModel      string                    `json:"messageModel"`
		SubscriptionTable map[string]map[string]any `json:"subscriptionTable"`
	}
	require.NoError(t, json.Unmarshal(cc.Body, &conn))
	require.Equal(t, "c1", conn.ConnectionSet[0].ClientID)
	require.Equal(t, "CLUSTERING", conn.MessageModel)
	require.Contains(t, conn.SubscriptionTable, "AT")
	cc = e.invoke(remoting.ReqGetConsumerConnectionList, map[string]string{"consumerGroup": "nobody"}, nil)
	require.Equal(t, remoting.RespConsumerNotOnline, cc.Code)

	info := e.invoke(remoting.ReqGetBrokerRuntimeInfo, nil, nil)
	require.Equal(t, remoting.RespSuccess, info.Code)
	kv, err := wire.DecodeKVTable(info.Body)
	require.NoError(t, err)
	require.Equal(t, "true", kv["storeWritable"])
	require.Equal(t, "3", kv["msgPutTotalTodayNow"])
	// Java's store figures: disk ratio, unflushed bytes, and each delay
	// level's "delivered,max" (nothing delayed here).
	ratio, err := strconv.ParseFloat(kv["commitLogDiskRatio"], 64)
	require.NoError(t, err, kv["commitLogDiskRatio"])
	require.True(t, ratio >= 0 && ratio <= 1, "commitLogDiskRatio %v", ratio)
	require.Regexp(t, `^[0-9.]+ (B|KiB|MiB)$`, kv["remainHowManyDataToFlush"])
	require.Equal(t, "0,0", kv["scheduleMessageOffset_1"])
	require.Contains(t, kv, "scheduleMessageOffset_18")

	// Subscription groups: create with defaults filled in, list, delete.
	r = e.invoke(remoting.ReqUpdateAndCreateSubscriptionGroup, nil, []byte(`{"groupName":"sg","retryMaxTimes":3}`))
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	g := e.invoke(remoting.ReqGetAllSubscriptionGroupConfig, nil, nil)
	require.Contains(t, string(g.Body), `"sg"`)
	sg, ok := e.b().Groups().Get("sg")
	require.True(t, ok)
	require.Equal(t, 3, sg.RetryMaxTimes)
	require.True(t, sg.ConsumeEnable, "left out of the body: the default")
	r = e.invoke(remoting.ReqDeleteSubscriptionGroup, map[string]string{"groupName": "sg"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	_, ok = e.b().Groups().Get("sg")
	require.False(t, ok)

	// Delete the topic: config, queues and offsets go.
	r = e.invoke(remoting.ReqDeleteTopicInBroker, map[string]string{"topic": "AT"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	_, ok = e.b().Topics().Get("AT")
	require.False(t, ok)
	require.Equal(t, int64(-1), e.b().Offsets().Query("ag", "AT", 1))
	r = e.invoke(remoting.ReqDeleteTopicInBroker, map[string]string{"topic": "SCHEDULE_TOPIC_XXXX"}, nil)
	require.Equal(t, remoting.RespSystemError, r.Code, "system topics stay")

	// Unknown codes: REQUEST_CODE_NOT_SUPPORTED.
	r = e.invoke(remoting.ReqGetKVConfig, nil, nil)
	require.Equal(t, remoting.RespRequestCodeNotSupported, r.Code)
}

func TestResetOffsetTellsConsumers(t *testing.T) {
	e := newEnv(t, 19, nil)
	for i := 0; i < 4; i++ {
		e.send("R", 0, "m")
	}
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "rg", "R", "*", "TAG").Code)
	e.commitOffset("rg", "R", 0, 4)
	before := len(e.c().requests)
	r := e.invoke(remoting.ReqInvokeBrokerToResetOffset, map[string]string{"topic": "R", "group": "rg",
		"timestamp": "0", "isForce": "true"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	want := `{"offsetTable":{{"brokerName":"broker-a","queueId":0,"topic":"R"}:0,`
	require.True(t, strings.HasPrefix(string(r.Body), want), string(r.Body))
	e.w.RunFor(1e8)
	require.Len(t, e.c().requests, before+1)
	got := e.c().requests[before]
	require.Equal(t, remoting.ReqResetConsumerClientOffset, got.Code)
	require.Equal(t, "rg", got.Ext("group"))
	require.Equal(t, string(r.Body), string(got.Body))
	r = e.invoke(remoting.ReqInvokeBrokerToResetOffset, map[string]string{"topic": "R", "group": "offline",
		"timestamp": "0", "isForce": "true"}, nil)
	require.Equal(t, remoting.RespConsumerNotOnline, r.Code, code(r))
}

func TestAdminExtras(t *testing.T) {
	e := newEnv(t, 23, nil)
	e.send("X", 0, "m")
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "xg", "X", "*", "TAG").Code)
	e.commitOffset("xg", "X", 0, 1)
	r := e.invoke(remoting.ReqGetAllConsumerOffset, nil, nil)
	require.Equal(t, `{"offsetTable":{"X@xg":{0:1}}}`, string(r.Body))
	r = e.invoke(remoting.ReqGetAllDelayOffset, nil, nil)
	require.True(t, strings.HasPrefix(string(r.Body), `{"offsetTable":{1:0,2:0,`), string(r.Body))
	r = e.invoke(remoting.ReqGetTopicConfig, map[string]string{"topic": "X"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Contains(t, string(r.Body), `"topicName":"X"`)
	r = e.invoke(remoting.ReqGetTopicConfig, map[string]string{"topic": "nope"}, nil)
	require.Equal(t, remoting.RespTopicNotExist, r.Code)
	r = e.invoke(remoting.ReqGetProducerConnectionList, map[string]string{"producerGroup": "pg"}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Contains(t, string(r.Body), `"clientId":"c1"`)
	r = e.invoke(remoting.ReqQueryTopicConsumeByWho, map[string]string{"topic": "X"}, nil)
	require.Equal(t, `{"groupList":["xg"]}`, string(r.Body))
	r = e.invoke(remoting.ReqGetBrokerConfig, nil, nil)
	require.Contains(t, string(r.Body), "brokerName=broker-a\n")
	require.Contains(t, r.Ext("version"), `"counter":`)
}
