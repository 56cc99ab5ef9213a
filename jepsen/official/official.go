// Package official records histories from the official Go client,
// github.com/apache/rocketmq-client-go/v2: it turns the client's messages,
// send results and errors into history events, so a workload driving the
// official client (against our broker or Apache's) is judged by the same
// checkers as our own clients.
//
// The one judgement here is which outcomes are certain. A SendResult with
// status SEND_OK is ok. FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT and
// SLAVE_NOT_AVAILABLE mean the master stored the message but its durability
// is unknown: info. An error is info too: the producer retries internally
// (retryTimesWhenSendFailed), so even when the last attempt was refused, an
// earlier one that timed out may have been stored.
package official

import (
	"strings"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"rocketsim/jepsen/history"
)

// SendInvoke is the invoke event for sending msg to mq (nil when the
// producer picks the queue itself). The message's first key is its identity
// for the checkers.
func SendInvoke(process string, msg *primitive.Message, mq *primitive.MessageQueue, txnID string, now time.Time) history.Op {
	op := history.Op{
		Process: process, Type: history.Invoke, F: history.FSend, Time: now.UnixNano(),
		Topic: msg.Topic, Key: firstKey(msg.GetKeys()), MsgID: msg.GetProperty(primitive.PropertyUniqueClientMessageIdKeyIndex),
		BodyDigest: history.Digest(msg.Body), Tags: msg.GetTags(), DelayLevel: delayLevel(msg),
		ShardingKey: msg.GetShardingKey(), TxnID: txnID,
	}
	if mq != nil {
		op.Queue = &history.Queue{Broker: mq.BrokerName, ID: mq.QueueId}
	}
	return op
}

// SendCompletion classifies a send's outcome and returns the update that
// records its results on the completion (for history.Recorder.Complete).
func SendCompletion(res *primitive.SendResult, err error) (history.Type, func(*history.Op)) {
	if err != nil {
		return history.Info, func(op *history.Op) { op.Error = err.Error() }
	}
	if res == nil {
		return history.Info, func(op *history.Op) { op.Error = "no send result" }
	}
	t := history.Info
	if res.Status == primitive.SendOK {
		t = history.OK
	}
	return t, func(op *history.Op) {
		if res.MsgID != "" {
			op.MsgID = res.MsgID
		}
		if res.MessageQueue != nil {
			op.Topic = res.MessageQueue.Topic
			op.Queue = &history.Queue{Broker: res.MessageQueue.BrokerName, ID: res.MessageQueue.QueueId}
		}
		op.Status = sendStatus(res.Status)
		if t == history.OK {
			op.Offset = history.Int64(res.QueueOffset)
		}
	}
}

// Receive is the point event for a message handed to group's listener. The
// official push consumer has already restored a retried message's original
// topic; its queue and offset are then those of the retry topic, which the
// checkers skip for reconsume > 0.
func Receive(process, group string, m *primitive.MessageExt, txnID string, now time.Time) history.Op {
	op := history.Op{
		Process: process, Type: history.OK, F: history.FReceive, Time: now.UnixNano(), Group: group,
		Topic: m.Topic, Offset: history.Int64(m.QueueOffset), Key: firstKey(m.GetKeys()), MsgID: m.MsgId,
		BodyDigest: history.Digest(m.Body), Tags: m.GetTags(), DelayLevel: delayLevel(&m.Message),
		Reconsume: int(m.ReconsumeTimes), ShardingKey: m.GetShardingKey(), TxnID: txnID,
	}
	if m.Queue != nil {
		op.Queue = &history.Queue{Broker: m.Queue.BrokerName, ID: m.Queue.QueueId}
	}
	return op
}

// Ack is the point event for the listener's verdict on a received message:
// consumed true for CONSUME_SUCCESS, false for RECONSUME_LATER.
func Ack(process, group string, m *primitive.MessageExt, consumed bool, now time.Time) history.Op {
	t := history.OK
	if !consumed {
		t = history.Fail
	}
	return history.Op{
		Process: process, Type: t, F: history.FAck, Time: now.UnixNano(), Group: group, Topic: m.Topic,
		Key: firstKey(m.GetKeys()), MsgID: m.MsgId, Reconsume: int(m.ReconsumeTimes),
	}
}

// Decision is the point event for a local transaction's outcome; ok is
// false for UNKNOW, which is no decision and is not recorded.
func Decision(process, txnID string, state primitive.LocalTransactionState, now time.Time) (history.Op, bool) {
	op := history.Op{Process: process, Type: history.OK, Time: now.UnixNano(), TxnID: txnID}
	switch state {
	case primitive.CommitMessageState:
		op.F = history.FCommit
	case primitive.RollbackMessageState:
		op.F = history.FRollback
	default:
		return history.Op{}, false
	}
	return op, true
}

// Check is the point event for the producer's answer to a check-back.
func Check(process, txnID string, answer primitive.LocalTransactionState, now time.Time) history.Op {
	state := history.TxnUnknown
	switch answer {
	case primitive.CommitMessageState:
		state = history.TxnCommit
	case primitive.RollbackMessageState:
		state = history.TxnRollback
	}
	return history.Op{Process: process, Type: history.OK, F: history.FCheck, Time: now.UnixNano(), TxnID: txnID, TxnState: state}
}

func firstKey(keys string) string {
	k, _, _ := strings.Cut(keys, primitive.PropertyKeySeparator)
	return k
}

func delayLevel(m *primitive.Message) int {
	var n int
	for _, c := range m.GetProperty(primitive.PropertyDelayTimeLevel) {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func sendStatus(s primitive.SendStatus) string {
	switch s {
	case primitive.SendOK:
		return "SEND_OK"
	case primitive.SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case primitive.SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case primitive.SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return "UNKNOWN_ERROR"
}
