package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"rocketsim/broker/filter"
	"rocketsim/broker/store"
	"rocketsim/broker/topic"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
)

// mqKey writes a MessageQueue as a JSON object used as a map key, the way
// fastjson writes Map<MessageQueue, V> (fields sorted, no whitespace).
// Java's admin tools and rocketmq-client-go's ResetOffsetBody read this form.
func mqKey(buf *bytes.Buffer, topicName, brokerName string, queueID int) {
	t, _ := json.Marshal(topicName)
	bn, _ := json.Marshal(brokerName)
	fmt.Fprintf(buf, `{"brokerName":%s,"queueId":%d,"topic":%s}`, bn, queueID, t)
}

// mqTable writes {"<name>":{mq:value,...}} for queues 0..n-1 with the
// value written by val.
func mqTable(name, topicName, brokerName string, n int, val func(buf *bytes.Buffer, q int)) []byte {
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "{%q:{", name)
	for q := 0; q < n; q++ {
		if q > 0 {
			buf.WriteByte(',')
		}
		mqKey(&buf, topicName, brokerName, q)
		buf.WriteByte(':')
		val(&buf, q)
	}
	buf.WriteString("}}")
	return buf.Bytes()
}

// handleTopicStats serves GET_TOPIC_STATS_INFO (202): each write queue's
// min and max offset and the store time of its last message.
func (b *Broker) handleTopicStats(req *remoting.Request) {
	name := req.Cmd.Ext("topic")
	tc, ok := b.topics.Get(name)
	if !ok {
		b.replyCode(req, remoting.RespTopicNotExist, fmt.Sprintf("topic[%s] not exist", name))
		return
	}
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.Body = mqTable("offsetTable", name, b.cfg.BrokerName, tc.WriteQueueNums, func(buf *bytes.Buffer, q int) {
		minOff, maxOff := b.store.MinOffsetInQueue(name, int32(q)), b.store.MaxOffsetInQueue(name, int32(q))
		var last int64
		if maxOff > 0 {
			last, _ = b.store.MessageStoreTimestamp(name, int32(q), maxOff-1)
		}
		fmt.Fprintf(buf, `{"lastUpdateTimestamp":%d,"maxOffset":%d,"minOffset":%d}`, last, maxOff, minOff)
	})
	b.reply(req, resp)
}

// handleConsumeStats serves GET_CONSUME_STATS (208): per queue of the
// group's topics (or the one asked), the broker's max offset, the group's
// committed offset and the store time of the last consumed message.
func (b *Broker) handleConsumeStats(req *remoting.Request) {
	group, only := req.Cmd.Ext("consumerGroup"), req.Cmd.Ext("topic")
	topics := b.offsets.Topics(group)
	if only != "" {
		topics = []string{only}
	}
	var buf bytes.Buffer
	buf.WriteString(`{"consumeTps":0.0,"offsetTable":{`)
	first := true
	for _, name := range topics {
		tc, ok := b.topics.Get(name)
		if !ok {
			continue
		}
		if cg, online := b.clients.Consumer(group); online && only == "" {
			if _, subscribed := cg.Subscription(name); !subscribed {
				continue // Java skips topics an online group no longer subscribes to
			}
		}
		for q := 0; q < tc.ReadQueueNums; q++ {
			brokerOff := max(b.store.MaxOffsetInQueue(name, int32(q)), 0)
			consumerOff := max(b.offsets.Query(group, name, int32(q)), 0)
			var last int64
			if consumerOff > 0 {
				last, _ = b.store.MessageStoreTimestamp(name, int32(q), consumerOff-1)
			}
			if !first {
				buf.WriteByte(',')
			}
			first = false
			mqKey(&buf, name, b.cfg.BrokerName, q)
			fmt.Fprintf(&buf, `:{"brokerOffset":%d,"consumerOffset":%d,"lastTimestamp":%d}`, brokerOff, consumerOff, last)
		}
	}
	buf.WriteString("}}")
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.Body = buf.Bytes()
	b.reply(req, resp)
}

// connection is Java's Connection in ConsumerConnection.
type connection struct {
	ClientAddr string `json:"clientAddr"`
	ClientID   string `json:"clientId"`
	Language   string `json:"language"`
	Version    int16  `json:"version"`
}

// consumerConnection is Java's ConsumerConnection; encoding/json sorts the
// subscription table's keys.
type consumerConnection struct {
	ConnectionSet     []connection                       `json:"connectionSet"`
	ConsumeFromWhere  string                             `json:"consumeFromWhere"`
	ConsumeType       string                             `json:"consumeType"`
	MessageModel      string                             `json:"messageModel"`
	SubscriptionTable map[string]filter.SubscriptionData `json:"subscriptionTable"`
}

// handleConsumerConnections serves GET_CONSUMER_CONNECTION_LIST (203).
func (b *Broker) handleConsumerConnections(req *remoting.Request) {
	group := req.Cmd.Ext("consumerGroup")
	cg, ok := b.clients.Consumer(group)
	if !ok {
		b.replyCode(req, remoting.RespConsumerNotOnline, fmt.Sprintf("the consumer group[%s] not online", group))
		return
	}
	cc := consumerConnection{ConsumeFromWhere: cg.ConsumeFromWhere, ConsumeType: cg.ConsumeType,
		MessageModel: cg.MessageModel, SubscriptionTable: map[string]filter.SubscriptionData{}}
	for _, ch := range cg.Channels() {
		cc.ConnectionSet = append(cc.ConnectionSet, connection{ClientAddr: ch.Addr, ClientID: ch.ClientID,
			Language: ch.Language, Version: ch.Version})
	}
	for _, t := range cg.Topics() {
		s, _ := cg.Subscription(t)
		cc.SubscriptionTable[t] = s.Data
	}
	body, err := json.Marshal(cc)
	if err != nil {
		panic(fmt.Sprintf("encoding a consumer connection: %v", err)) // plain structs always encode
	}
	b.replyBody(req, body)
}

// brokerVersionDesc is the version we claim: the Java release whose
// protocol we follow.
const brokerVersionDesc = "V4_9_8"

// handleRuntimeInfo serves GET_BROKER_RUNTIME_INFO (28): a KVTable of the
// figures mqadmin brokerStatus and the dashboard show.
func (b *Broker) handleRuntimeInfo(req *remoting.Request) {
	now := b.rt.Now()
	kv := map[string]string{
		"brokerVersionDesc":     brokerVersionDesc,
		"brokerVersion":         strconv.Itoa(int(remoting.VersionDefault)),
		"bootTimestamp":         strconv.FormatInt(b.bootTime.UnixMilli(), 10),
		"runtime":               uptime(now.Sub(b.bootTime)),
		"commitLogMinOffset":    strconv.FormatInt(b.store.MinPhyOffset(), 10),
		"commitLogMaxOffset":    strconv.FormatInt(b.store.MaxPhyOffset(), 10),
		"dispatchBehindBytes":   strconv.FormatInt(b.store.MaxPhyOffset()-b.store.DispatchedPhyOffset(), 10),
		"msgPutTotalTodayNow":   strconv.FormatInt(b.stats.PutMessages, 10),
		"msgGetTotalTodayNow":   strconv.FormatInt(b.stats.GetMessages, 10),
		"putMessageTimesTotal":  strconv.FormatInt(b.store.Stats.Puts, 10),
		"putMessageSizeTotal":   strconv.FormatInt(b.store.Stats.PutBytes, 10),
		"pullRequestsHeld":      strconv.Itoa(b.holds.Len()),
		"sendRefusedSystemBusy": strconv.FormatInt(b.stats.SendRefused, 10),
		"brokerRole":            b.cfg.BrokerRole.String(),
		"flushDiskType":         b.cfg.FlushDiskType.String(),
		"topicCount":            strconv.Itoa(b.topics.Len()),
		"consumerGroupsOnline":  strconv.Itoa(len(b.clients.ConsumerGroups())),
		"producerGroupsOnline":  strconv.Itoa(len(b.clients.ProducerGroups())),
	}
	// Java's store figures (DefaultMessageStore.getRuntimeInfo, and the
	// schedule service's progress per level: "delivered,max").
	kv["commitLogDiskRatio"] = strconv.FormatFloat(b.store.DiskUsageRatio(), 'f', -1, 64)
	kv["remainHowManyDataToFlush"] = humanBytes(max(b.store.MaxPhyOffset()-b.store.SyncedPhyOffset(), 0))
	for level, off := range b.sched.Offsets() {
		kv["scheduleMessageOffset_"+strconv.Itoa(level)] = fmt.Sprintf("%d,%d", off,
			b.store.MaxOffsetInQueue(store.ScheduleTopic, int32(level-1)))
	}
	if err := b.store.Writable(); err != nil {
		kv["storeWritable"] = "false: " + err.Error()
	} else {
		kv["storeWritable"] = "true"
	}
	if topic.Writable(b.cfg.BrokerPermission) {
		kv["brokerPermission"] = topic.PermString(b.cfg.BrokerPermission)
	}
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.Body = wire.EncodeKVTable(kv)
	b.reply(req, resp)
}

// humanBytes writes a byte count as Java's MixAll.humanReadableByteCount
// (binary units): "512 B", "1.5 KiB", "3.0 MiB".
func humanBytes(n int64) string {
	if n < 1024 {
		return strconv.FormatInt(n, 10) + " B"
	}
	exp, v := 0, float64(n)
	for v >= 1024 && exp < 6 {
		v /= 1024
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTPE"[exp-1])
}

// uptime writes a duration as Java's broker does: "[ 0 days, 1 hours, 2
// minutes, 3 seconds ]".
func uptime(d time.Duration) string {
	s := int64(d / time.Second)
	return fmt.Sprintf("[ %d days, %d hours, %d minutes, %d seconds ]", s/86400, s/3600%24, s/60%60, s%60)
}
