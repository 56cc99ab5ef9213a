package server

import (
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/broker/topic"
	"rocketsim/remoting"
)

// handleSendBack serves CONSUMER_SEND_MSG_BACK (36): a message a consumer
// failed to process is stored again in the group's %RETRY% topic with a
// delay that grows with each attempt (level 3 + reconsumeTimes unless the
// client chose one), or, once it was retried maxReconsumeTimes times or the
// client asks (delayLevel < 0), in the group's %DLQ% topic. The delay goes
// through the store's SCHEDULE_TOPIC_XXXX path and the schedule service.
func (b *Broker) handleSendBack(req *remoting.Request) {
	cmd := req.Cmd
	group := cmd.Ext("group")
	phy, err := cmd.ExtInt64("offset")
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	delayLevel := 0
	if v := cmd.Ext("delayLevel"); v != "" {
		if delayLevel, err = strconv.Atoi(v); err != nil {
			b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("the custom field <delayLevel> is not a number: %q", v))
			return
		}
	}
	g, err := b.findGroup(group)
	if err != nil {
		b.replyCode(req, remoting.RespSubscriptionGroupNotExist, fmt.Sprintf("subscription group not exist, %s: %v", group, err))
		return
	}
	if !topic.Writable(b.cfg.BrokerPermission) {
		b.replyCode(req, remoting.RespNoPermission, fmt.Sprintf("the broker[%s] sending message is forbidden", b.addr))
		return
	}
	if g.RetryQueueNums <= 0 {
		b.replyCode(req, remoting.RespSuccess, "") // the group wants no retries: the message is dropped
		return
	}
	retry := topic.RetryTopic(group)
	tc, created, err := b.topics.CreateInSendBack(retry, g.RetryQueueNums, topic.PermReadWrite, 0)
	if created {
		b.topicsChanged()
	}
	if err != nil && !created {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("topic[%s] not exist: %v", retry, err))
		return
	}
	if !topic.Writable(tc.Perm) {
		b.replyCode(req, remoting.RespNoPermission, fmt.Sprintf("the topic[%s] sending message is forbidden", retry))
		return
	}
	rec, _, err := b.store.LookMessageByOffset(phy)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("look message by offset failed, %d: %v", phy, err))
		return
	}
	props := message.ParseProperties(rec.Properties)
	if _, ok := props[propRetryTopic]; !ok {
		props[propRetryTopic] = rec.Topic
	}
	// Java answers a send-back without waiting for the fsync
	// (setWaitStoreMsgOK(false)) whatever the flush mode, and the consumer
	// then commits past the message: a power loss right after takes the
	// only copy left (the simulator found it, mq-retry-dlq seed 71). Under
	// SYNC_FLUSH ours waits for the fsync, as a send does; under
	// ASYNC_FLUSH it answers at once, as Java's.
	if b.cfg.FlushDiskType != config.SyncFlush {
		props[message.PropertyWaitStoreOK] = "false"
	} else {
		delete(props, message.PropertyWaitStoreOK)
	}
	maxTimes := int32(g.RetryMaxTimes)
	if cmd.Version >= versionV3_4_9 {
		if v := cmd.Ext("maxReconsumeTimes"); v != "" {
			if n, err := strconv.Atoi(v); err == nil {
				maxTimes = int32(n)
			}
		}
	}
	target, queueID := tc.TopicName, int32(b.rt.Rand().IntN(g.RetryQueueNums))
	delayLevel = b.bugSkipRetry(rec.ReconsumeTimes, maxTimes, delayLevel) // test-only switch, off in production
	if rec.ReconsumeTimes >= maxTimes || delayLevel < 0 {
		dlq := topic.DLQTopic(group)
		dc, created, err := b.topics.CreateInSendBack(dlq, dlqQueueNums, topic.PermReadWrite, 0)
		if created {
			b.topicsChanged()
		}
		if err != nil && !created {
			b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("topic[%s] not exist: %v", dlq, err))
			return
		}
		target, queueID = dc.TopicName, int32(b.rt.Rand().IntN(dlqQueueNums))
		delete(props, message.PropertyDelayLevel)
		b.log.Info("message goes to the dead-letter topic", slog.String("group", group),
			slog.Int("reconsumeTimes", int(rec.ReconsumeTimes)), slog.Int("max", int(maxTimes)))
	} else {
		if delayLevel == 0 {
			delayLevel = 3 + int(rec.ReconsumeTimes)
		}
		props[message.PropertyDelayLevel] = strconv.Itoa(delayLevel)
	}
	if _, ok := props[propOriginMessageID]; !ok {
		origin := cmd.Ext("originMsgId")
		if origin == "" {
			origin = message.ID(rec.StoreHost, rec.PhysicalOffset)
		}
		props[propOriginMessageID] = origin
	}
	m := &store.Message{
		Topic: target, QueueID: queueID, Flag: rec.Flag, Body: rec.Body,
		Properties: message.FormatProperties(props), SysFlag: rec.SysFlag &^ message.FlagStoreHostV6,
		BornTimestamp: rec.BornTimestamp, BornHost: rec.BornHost, ReconsumeTimes: rec.ReconsumeTimes + 1,
	}
	b.put(m, func(res store.PutResult) {
		if res.Status == store.PutOK {
			b.replyCode(req, remoting.RespSuccess, "")
			return
		}
		remark := res.Status.String()
		if res.Err != nil {
			remark += ": " + res.Err.Error()
		}
		b.replyCode(req, remoting.RespSystemError, remark)
	})
}
