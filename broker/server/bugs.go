package server

import (
	"encoding/binary"
	"log/slog"
	"strconv"
	"strings"

	"rocketsim/broker/bugs"
	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/broker/topic"
	"rocketsim/broker/transaction"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// This file holds the broker's side of the test-only fault switches
// (package broker/bugs): each hook is one call placed where the healthy
// broker keeps a guarantee, and does nothing unless its switch is on. They
// exist so that tests can show every checker catching the broker that breaks
// its guarantee; nothing but NewWithBugs turns them on.

// NewWithBugs is New with fault switches: the broker commits the defects sw
// selects. For tests only; no configuration key reaches it. Each
// incarnation (every restart) gets its own strike counts, drawn from its
// runtime's stream.
func NewWithBugs(cfg config.Config, sw bugs.Switches) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		b, err := Start(rt, cfg)
		if err != nil {
			return nil, err
		}
		b.bugs = bugs.New(sw, rt.Rand())
		return b, nil
	}
}

// Bugs is the broker's fault switches (nil for a healthy broker), for tests
// on the node's loop.
func (b *Broker) Bugs() *bugs.Set { return b.bugs }

// userTopic reports whether name is a topic the switches may break: not a
// system, retry or dead-letter topic.
func userTopic(name string) bool {
	return !topic.IsRetryTopic(name) && !topic.IsDLQTopic(name) && !topic.IsNotAllowedSend(name) &&
		!strings.HasPrefix(strings.ToLower(name), topic.SystemTopicPrefix)
}

// bugDropAcked (DropAckedMessage) answers the send of m SEND_OK with the
// offset it would have taken, without storing it, and reports true when it
// did.
func (b *Broker) bugDropAcked(req *remoting.Request, m *store.Message, respQueue int32) bool {
	// A healthy broker (no switch on) has no Set: answer before scanning
	// the properties twice, which cost 2% of the broker's CPU per send.
	if b.bugs == nil || !userTopic(m.Topic) || transaction.IsHalf(m.Properties) {
		return false
	}
	if _, delayed := message.Property(m.Properties, message.PropertyDelayLevel); delayed {
		return false
	}
	if !b.bugs.Fire(bugs.DropAcked) {
		return false
	}
	phy := b.store.MaxPhyOffset()
	res := store.PutResult{Status: store.PutOK, MsgID: message.ID(b.storeHost, phy), PhysicalOffset: phy,
		QueueOffset: b.store.MaxOffsetInQueue(m.Topic, m.QueueID), Topic: m.Topic, QueueID: m.QueueID}
	b.log.Warn("bug switch: acknowledging a send without storing it", slog.String("bug", bugs.DropAcked.String()),
		slog.String("topic", m.Topic), slog.Int("queue", int(m.QueueID)), slog.Int64("queueOffset", res.QueueOffset))
	resp := b.sendResponse(req, res)
	resp.SetExt("msgId", res.MsgID)
	resp.SetExt("queueId", strconv.Itoa(int(respQueue)))
	resp.SetExt("queueOffset", strconv.FormatInt(res.QueueOffset, 10))
	b.reply(req, resp)
	return true
}

// bugDelayEarly (DeliverDelayEarly) removes a user message's delay level,
// so it is stored in its topic at once.
func (b *Broker) bugDelayEarly(topicName string, props map[string]string) {
	if _, delayed := props[message.PropertyDelayLevel]; !delayed || !userTopic(topicName) {
		return
	}
	if b.bugs.Fire(bugs.DelayEarly) {
		b.log.Warn("bug switch: storing a delayed message without its delay", slog.String("bug", bugs.DelayEarly.String()),
			slog.String("topic", topicName), slog.String("level", props[message.PropertyDelayLevel]))
		delete(props, message.PropertyDelayLevel)
	}
}

// bugPullRecords (SwapOffsets, DuplicateDelivery) breaks a pull response's
// records. The records may alias the store's buffers: they are copied
// before anything is changed.
func (b *Broker) bugPullRecords(topicName string, recs [][]byte) [][]byte {
	if b.bugs == nil || !userTopic(topicName) || len(recs) == 0 {
		return recs
	}
	at := message.OffsetQueueOffset
	if len(recs) >= 2 && len(recs[0]) >= at+8 && len(recs[1]) >= at+8 && b.bugs.Fire(bugs.SwapOffsets) {
		a, c := append([]byte(nil), recs[0]...), append([]byte(nil), recs[1]...)
		oa, oc := binary.BigEndian.Uint64(a[at:]), binary.BigEndian.Uint64(c[at:])
		binary.BigEndian.PutUint64(a[at:], oc)
		binary.BigEndian.PutUint64(c[at:], oa)
		// Re-sealed: a broker that mixes up offsets writes them consistently,
		// so only the checkers, not the record CRC, can tell.
		message.SealCRC(a)
		message.SealCRC(c)
		recs = append([][]byte{a, c}, recs[2:]...)
		b.log.Warn("bug switch: swapped the offsets of two pulled messages", slog.String("bug", bugs.SwapOffsets.String()),
			slog.String("topic", topicName), slog.Uint64("a", oa), slog.Uint64("b", oc))
	}
	if b.bugs.Fire(bugs.Duplicate) {
		recs = append(append([][]byte(nil), recs...), append([]byte(nil), recs[0]...))
		b.log.Warn("bug switch: delivering a pulled message twice", slog.String("bug", bugs.Duplicate.String()),
			slog.String("topic", topicName))
	}
	return recs
}

// bugSkipRetry (SkipRetry) turns a send-back that still has retries left
// into one bound for the dead-letter queue (delay level -1).
func (b *Broker) bugSkipRetry(reconsumeTimes, maxTimes int32, delayLevel int) int {
	if reconsumeTimes >= maxTimes || delayLevel < 0 || !b.bugs.Fire(bugs.SkipRetry) {
		return delayLevel
	}
	b.log.Warn("bug switch: sending a message to the DLQ with retries left", slog.String("bug", bugs.SkipRetry.String()),
		slog.Int("reconsumeTimes", int(reconsumeTimes)), slog.Int("max", int(maxTimes)))
	return -1
}

// bugRolledBack (DeliverRolledBack) turns a rollback into a commit.
func (b *Broker) bugRolledBack(end *transaction.EndRequest) {
	if end.CommitOrRollback == transaction.StateRollback && b.bugs.Fire(bugs.RolledBackDelivered) {
		b.log.Warn("bug switch: committing a rolled-back transaction", slog.String("bug", bugs.RolledBackDelivered.String()),
			slog.Int64("commitLogOffset", end.CommitLogOffset))
		end.CommitOrRollback = transaction.StateCommit
	}
}
