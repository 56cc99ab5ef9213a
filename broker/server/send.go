package server

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/broker/topic"
	"rocketsim/broker/transaction"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Response extFields and properties of the send path (Java MessageConst).
const (
	propCluster         = "CLUSTER"
	propMsgRegion       = "MSG_REGION"
	propTraceSwitch     = "TRACE_ON"
	propRetryTopic      = "RETRY_TOPIC"
	propOriginMessageID = "ORIGIN_MESSAGE_ID"
	// regionDefault is BrokerConfig.regionId's default; clients copy it
	// into SendResult.RegionID.
	regionDefault = "DefaultRegion"
	// versionV3_4_9 is the first client version whose send-back and retry
	// sends carry maxReconsumeTimes in the header (MQVersion V3_4_9).
	versionV3_4_9 = 121
	// dlqQueueNums is the queue count of a dead-letter topic (MixAll
	// DLQ_NUMS_PER_GROUP).
	dlqQueueNums = 1
)

// sendHeader is SendMessageRequestHeader, read from the long (v1) or
// compact (v2: a..n) names.
type sendHeader struct {
	producerGroup         string
	topic                 string
	defaultTopic          string
	defaultTopicQueueNums int
	queueID               int
	sysFlag               int32
	bornTimestamp         int64
	flag                  int32
	properties            string
	reconsumeTimes        int32
	unitMode              bool
	maxReconsumeTimes     int32
	hasMaxReconsumeTimes  bool
	batch                 bool
}

// v2Keys maps SendMessageRequestHeader's names to SendMessageRequestHeaderV2's
// one-letter keys.
var v2Keys = map[string]string{
	"producerGroup": "a", "topic": "b", "defaultTopic": "c", "defaultTopicQueueNums": "d",
	"queueId": "e", "sysFlag": "f", "bornTimestamp": "g", "flag": "h", "properties": "i",
	"reconsumeTimes": "j", "unitMode": "k", "maxReconsumeTimes": "l", "batch": "m",
}

func parseSendHeader(cmd *remoting.Command) (sendHeader, error) {
	get := func(name string) (string, bool) {
		v, ok := cmd.ExtFields[name]
		return v, ok
	}
	if cmd.Code == remoting.ReqSendMessageV2 || cmd.Code == remoting.ReqSendBatchMessage || cmd.Code == remoting.ReqSendReplyMessageV2 {
		get = func(name string) (string, bool) {
			v, ok := cmd.ExtFields[v2Keys[name]]
			return v, ok
		}
	}
	var h sendHeader
	var err error
	num := func(name string, required bool) int64 {
		v, ok := get(name)
		if !ok || v == "" {
			if required && err == nil {
				err = fmt.Errorf("the custom field <%s> is null", name)
			}
			return 0
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("the custom field <%s> is not a number: %q", name, v)
		}
		return n
	}
	h.producerGroup, _ = get("producerGroup")
	h.topic, _ = get("topic")
	h.defaultTopic, _ = get("defaultTopic")
	h.defaultTopicQueueNums = int(num("defaultTopicQueueNums", false))
	h.queueID = int(num("queueId", true))
	h.sysFlag = int32(num("sysFlag", false))
	h.bornTimestamp = num("bornTimestamp", true)
	h.flag = int32(num("flag", false))
	h.properties, _ = get("properties")
	h.reconsumeTimes = int32(num("reconsumeTimes", false))
	if v, ok := get("unitMode"); ok {
		h.unitMode = strings.EqualFold(v, "true")
	}
	if v, ok := get("maxReconsumeTimes"); ok && v != "" {
		h.hasMaxReconsumeTimes = true
		h.maxReconsumeTimes = int32(num("maxReconsumeTimes", false))
	}
	if v, ok := get("batch"); ok {
		h.batch = strings.EqualFold(v, "true")
	}
	if h.topic == "" && err == nil {
		err = errors.New("the custom field <topic> is null")
	}
	return h, err
}

// sendTarget is where a send goes after the topic checks: its topic
// configuration and queue.
type sendTarget struct {
	topic   topic.Config
	queueID int32
}

// checkSend is Java's msgCheck: broker and topic permissions, auto-creation
// through the default topic, and the queue id. It answers the request
// itself and reports false when the send cannot go on.
func (b *Broker) checkSend(req *remoting.Request, h *sendHeader) (sendTarget, bool) {
	if !b.cfg.BrokerRole.IsMaster() {
		b.replyCode(req, remoting.RespServiceNotAvailable, fmt.Sprintf("the broker[%s] is a slave and refuses sends", b.addr))
		return sendTarget{}, false
	}
	if w, ok := req.Conn.(runtime.FrameWaiter); ok && b.cfg.WaitTimeMillsInSendQueue > 0 && w.FrameWaited() > b.cfg.WaitTimeMillsInSendQueue {
		// Java's cleanExpiredRequestInQueue: a send that waited in the
		// queue (here: behind a busy or paused loop) past the bound is
		// answered at once, and the client backs off.
		b.stats.SendRefused++
		b.replyCode(req, remoting.RespSystemBusy, fmt.Sprintf(
			"[TIMEOUT_CLEAN_QUEUE]broker busy, start flow control for a while, period in queue: %dms, size of queue: %d",
			w.FrameWaited().Milliseconds(), b.sendsWaiting))
		return sendTarget{}, false
	}
	if runtime.Buggify(b.rt, "broker/send-busy") {
		// Flow control at any moment is legal (Java's page cache busy
		// check): the send was not stored, and the client backs off and
		// retries.
		b.stats.SendRefused++
		b.replyCode(req, remoting.RespSystemBusy, "[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while")
		return sendTarget{}, false
	}
	if b.sendsWaiting >= b.cfg.SendThreadPoolQueueCapacity {
		// Sends answered only after their fsync pile up when the disk is
		// slow; past the bound the client is told to back off (Java's
		// fast failure of a full send queue).
		b.stats.SendRefused++
		b.replyCode(req, remoting.RespSystemBusy, fmt.Sprintf(
			"[TOO_MANY_REQUESTS]broker busy, start flow control for a while: %d sends wait for the disk", b.sendsWaiting))
		return sendTarget{}, false
	}
	if !topic.Writable(b.cfg.BrokerPermission) {
		b.replyCode(req, remoting.RespNoPermission, fmt.Sprintf("the broker[%s] sending message is forbidden", b.addr))
		return sendTarget{}, false
	}
	if err := topic.ValidateSendTopic(h.topic); err != nil {
		code := remoting.RespSystemError // a bad name, or the TBW102 template
		if errors.Is(err, topic.ErrNotAllowedSend) && h.topic != topic.AutoCreateTopicKey {
			code = remoting.RespNoPermission // a topic only the broker writes
		}
		b.replyCode(req, code, fmt.Sprintf("sending to topic %q: %v", h.topic, err))
		return sendTarget{}, false
	}
	tc, ok := b.topics.Get(h.topic)
	if !ok {
		def := h.defaultTopic
		if def == "" {
			def = topic.AutoCreateTopicKey
		}
		c, created, err := b.topics.CreateInSend(h.topic, def, h.defaultTopicQueueNums, 0)
		if err != nil && topic.IsRetryTopic(h.topic) {
			c, created, err = b.topics.CreateInSendBack(h.topic, 1, topic.PermReadWrite, 0)
		}
		if created {
			b.topicsChanged()
		}
		if err != nil && !created {
			b.replyCode(req, remoting.RespTopicNotExist,
				fmt.Sprintf("topic[%s] not exist, apply first please! (%v)", h.topic, err))
			return sendTarget{}, false
		}
		tc = c
	}
	if !topic.Writable(tc.Perm) {
		b.replyCode(req, remoting.RespNoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", h.topic))
		return sendTarget{}, false
	}
	valid := max(tc.ReadQueueNums, tc.WriteQueueNums)
	if h.queueID >= valid {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("request queueId[%d] is illegal, %s Producer: %s",
			h.queueID, h.topic, req.Conn.RemoteAddr()))
		return sendTarget{}, false
	}
	qid := h.queueID
	if qid < 0 {
		qid = b.rt.Rand().IntN(max(tc.WriteQueueNums, 1))
	}
	return sendTarget{topic: tc, queueID: int32(qid)}, true
}

// bornHost is the sender's address as the record stores it. The last
// address parsed is kept: a producer's sends come one after another on
// one connection, and parsing the address was 2% of a send's CPU.
func (b *Broker) bornHost(req *remoting.Request) message.Addr {
	remote := req.Conn.RemoteAddr()
	if remote == b.bornHostLast.text && b.bornHostLast.addr.IP != nil {
		return b.bornHostLast.addr
	}
	a, err := message.ParseAddr(remote)
	if err != nil {
		return message.AddrV4(0, 0, 0, 0, 0)
	}
	b.bornHostLast.text, b.bornHostLast.addr = remote, a
	return a
}

// handleSend serves SEND_MESSAGE (10), SEND_MESSAGE_V2 (310) and their reply
// variants; SEND_BATCH_MESSAGE (320) goes to handleSendBatch.
func (b *Broker) handleSend(req *remoting.Request) {
	h, err := parseSendHeader(req.Cmd)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if h.batch || req.Cmd.Code == remoting.ReqSendBatchMessage {
		b.handleSendBatch(req, &h)
		return
	}
	t, ok := b.checkSend(req, &h)
	if !ok {
		return
	}
	m := &store.Message{
		Topic: t.topic.TopicName, QueueID: t.queueID, Flag: h.flag, Body: req.Cmd.Body,
		SysFlag: h.sysFlag, BornTimestamp: h.bornTimestamp, BornHost: b.bornHost(req),
		ReconsumeTimes: h.reconsumeTimes,
	}
	fast := false
	if b.bugs == nil && !topic.IsRetryTopic(h.topic) {
		// Nothing below changes the properties but CLUSTER: set it in
		// the string when the string is in canonical form.
		m.Properties, fast = withProperty(h.properties, propCluster, b.cfg.BrokerClusterName)
	}
	if !fast {
		props := message.ParseProperties(h.properties)
		if !b.retryAndDLQ(req, &h, m, props) {
			return
		}
		b.bugDelayEarly(m.Topic, props) // test-only switch, off in production
		props[propCluster] = b.cfg.BrokerClusterName
		m.Properties = message.FormatProperties(props)
	}
	// A transactional send (TRAN_MSG=true) is stored as a half message; a
	// retry that is being delayed is not one any more (Java's check for
	// clients before 4.6.1).
	if transaction.IsHalf(m.Properties) && !(h.reconsumeTimes > 0 && delayed(m.Properties)) {
		if b.cfg.RejectTransactionMessage {
			b.replyCode(req, remoting.RespNoPermission,
				fmt.Sprintf("the broker[%s] sending transaction message is forbidden", b.addr))
			return
		}
		transaction.PrepareHalf(m)
	}
	respQueue := t.queueID // Java answers the queue the send chose, not where a half or dead letter went
	// test-only switch, off in production:
	if b.bugDropAcked(req, m, respQueue) {
		return
	}
	b.putReplicated(m, func(res store.PutResult) {
		resp := b.sendResponse(req, res)
		if stored(res.Status) {
			// After sendResponse's MSG_REGION and TRACE_ON, in key order.
			resp.ExtList = append(resp.ExtList,
				remoting.Field{Key: "msgId", Value: res.MsgID},
				remoting.Field{Key: "queueId", Value: strconv.Itoa(int(respQueue))},
				remoting.Field{Key: "queueOffset", Value: strconv.FormatInt(res.QueueOffset, 10)})
		}
		b.reply(req, resp)
	})
}

// delayed reports whether canonical properties carry a non-empty delay
// level.
func delayed(props string) bool {
	v, _ := message.Property(props, message.PropertyDelayLevel)
	return v != ""
}

// put appends m. The pulls held on its queue wake when the store
// dispatches it (arrived): once it reached the page cache, as Java's reput
// service makes it visible before the flush, or under serveOnlyFlushed once
// an fsync covers it.
//
// A slave's log is a copy of its master's: nothing else may append to it
// (Java's putMessage refuses on a SLAVE), whoever asks.
func (b *Broker) put(m *store.Message, done func(store.PutResult)) {
	if !b.cfg.BrokerRole.IsMaster() {
		b.stats.SlavePutsRefused++
		done(store.PutResult{Status: store.ServiceNotAvailable, Topic: m.Topic, QueueID: m.QueueID,
			Err: fmt.Errorf("the broker[%s] is a slave: its store takes only its master's log", b.addr)})
		return
	}
	b.sendsWaiting++
	b.store.Put(m, func(res store.PutResult) {
		b.sendsWaiting--
		done(res)
	})
	b.notifyHA()
}

// arrived is the store's MessageArriving: it wakes the pulls held on the
// message's queue, and the scheduler for a delayed message (which the store
// put into SCHEDULE_TOPIC_XXXX).
func (b *Broker) arrived(a store.Arrival) {
	if a.Topic == store.ScheduleTopic {
		if b.sched != nil {
			b.sched.Notify()
		}
		return
	}
	b.holds.Notify(a.Topic, a.QueueID)
}

// retryAndDLQ applies Java's handleRetryAndDLQ to a send into a %RETRY%
// topic: a message retried maxReconsumeTimes times goes to the group's
// dead-letter topic instead, without delay. It answers the request itself
// and reports false when the send cannot go on.
func (b *Broker) retryAndDLQ(req *remoting.Request, h *sendHeader, m *store.Message, props map[string]string) bool {
	if !topic.IsRetryTopic(h.topic) {
		return true
	}
	group := strings.TrimPrefix(h.topic, topic.RetryGroupTopicPrefix)
	g, err := b.findGroup(group)
	if err != nil {
		b.replyCode(req, remoting.RespSubscriptionGroupNotExist,
			fmt.Sprintf("subscription group not exist, %s: %v", group, err))
		return false
	}
	maxTimes := int32(g.RetryMaxTimes)
	if req.Cmd.Version >= versionV3_4_9 && h.hasMaxReconsumeTimes {
		maxTimes = h.maxReconsumeTimes
	}
	if h.reconsumeTimes < maxTimes {
		return true
	}
	dlq := topic.DLQTopic(group)
	tc, created, err := b.topics.CreateInSendBack(dlq, dlqQueueNums, topic.PermReadWrite, 0)
	if created {
		b.topicsChanged()
	}
	if err != nil && !created {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("topic[%s] not exist: %v", dlq, err))
		return false
	}
	m.Topic = tc.TopicName
	m.QueueID = int32(b.rt.Rand().IntN(dlqQueueNums))
	delete(props, message.PropertyDelayLevel)
	b.log.Info("retried message goes to the dead-letter topic", slog.String("group", group),
		slog.Int("reconsumeTimes", int(h.reconsumeTimes)), slog.Int("max", int(maxTimes)))
	return true
}

// sendResponse maps a put's outcome to the response code and remark Java's
// handlePutMessageResult gives, with the extFields every send response has.
func (b *Broker) sendResponse(req *remoting.Request, res store.PutResult) *remoting.Command {
	code, remark := remoting.RespSuccess, ""
	switch res.Status {
	case store.PutOK:
	case store.FlushDiskTimeout:
		code = remoting.RespFlushDiskTimeout
	case store.FlushSlaveTimeout:
		code = remoting.RespFlushSlaveTimeout
	case store.SlaveNotAvailable:
		code = remoting.RespSlaveNotAvailable
	case store.CreateMappedFileFailed:
		code, remark = remoting.RespSystemError, "create mapped file failed, server is busy or broken."
	case store.MessageIllegal, store.PropertiesSizeExceeded:
		code, remark = remoting.RespMessageIllegal,
			"the message is illegal, maybe msg body or properties length not matched."
	case store.ServiceNotAvailable:
		code, remark = remoting.RespServiceNotAvailable,
			"service not available now. It may be caused by one of the following reasons: "+
				"the broker's disk is full, messages are put to the slave, message store has been shut down, etc."
	case store.OSPageCacheBusy:
		// Java's fast failure answers sends that cannot be served in time
		// with SYSTEM_BUSY, and clients back off instead of retrying at once.
		code, remark = remoting.RespSystemBusy, "[PCBUSY_CLEAN_QUEUE]broker busy, start flow control for a while"
		b.stats.SendRefused++
	default:
		code, remark = remoting.RespSystemError, "UNKNOWN_ERROR"
	}
	if res.Err != nil && code != remoting.RespSuccess {
		remark = strings.TrimSpace(remark + " (" + res.Err.Error() + ")")
	}
	if code == remoting.RespSuccess {
		b.stats.PutMessages++
	}
	// NewResponse's fields, with the custom header as an ExtList instead
	// of a map: every send answer has these two entries and a stored one
	// three more, in key order (SetExt still works on it).
	ext := make([]remoting.Field, 2, 5)
	ext[0] = remoting.Field{Key: propMsgRegion, Value: regionDefault}
	ext[1] = remoting.Field{Key: propTraceSwitch, Value: "true"}
	return &remoting.Command{Code: code, Language: remoting.LanguageGo, Version: remoting.VersionDefault,
		Opaque: req.Cmd.Opaque, Flag: remoting.FlagResponse, Remark: remark, ExtList: ext}
}
