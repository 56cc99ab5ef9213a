package mq

import (
	"errors"
	"log/slog"
	"strconv"
	"time"

	"rocketsim/broker/store/message"
	"rocketsim/broker/topic"
	"rocketsim/jepsen/history"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Pull flags (Java's PullSysFlag).
const (
	pullFlagCommitOffset = 1 << 0
	pullFlagSuspend      = 1 << 1
	pullFlagSubscription = 1 << 2
)

// Bounds of a consumer.
const (
	// pullBatch is maxMsgNums of one pull.
	pullBatch = 32
	// pullBackoff is the wait before retrying a pull or an offset query
	// that failed, so a dead broker is not hammered.
	pullBackoff = 200 * time.Millisecond
)

// rawConsumer is one instance of a clustering group. The group's queues are
// split statically: instance i of m owns the queues whose index in the
// sorted target list is i modulo m, so no rebalancing is needed and a downed
// instance's queues wait for it. An instance starts each queue at the
// group's committed offset (QUERY_CONSUMER_OFFSET), or at fromStart's 0,
// pulls with long polling one request per queue, commits its progress on
// each pull (the commit-offset flag, as Java's pull does) and records every
// message it is handed as a receive event of its group. A restarted
// instance resumes from the last commit, so it may deliver again: RocketMQ
// promises at least once.
type rawConsumer struct {
	rt        runtime.Runtime
	spec      Spec
	group     string
	fromStart bool
	owned     []target
	// expr is the subscription expression sent with each pull, tags the
	// set it selects (nil: every message).
	expr string
	tags map[string]bool
	h    *recorder
	ep   *remoting.Endpoint
	// next is the next offset to pull, by owned queue index; -1 until the
	// start offset is known.
	next []int64
	// caughtUp marks the queues whose last pull found nothing new.
	caughtUp []bool
	stopped  bool
}

func newConsumer(spec Spec, group string, expr string, fromStart bool, owned []target, h *recorder, keep func(*rawConsumer)) runtime.NewNode {
	if expr == "" {
		expr = "*"
	}
	return func(rt runtime.Runtime) (runtime.Node, error) {
		c := &rawConsumer{
			rt: rt, spec: spec, group: group, fromStart: fromStart, owned: owned, h: h,
			expr: expr, tags: subscribedTags(expr),
			next: make([]int64, len(owned)), caughtUp: make([]bool, len(owned)),
		}
		c.ep = remoting.NewEndpoint(rt, remoting.Options{})
		if keep != nil {
			keep(c)
		}
		for i := range owned {
			if fromStart {
				c.pull(i)
			} else {
				c.next[i] = -1
				c.queryOffset(i)
			}
		}
		return c, nil
	}
}

// Stop closes the endpoint; pulls in flight are abandoned.
func (c *rawConsumer) Stop() {
	c.stopped = true
	c.ep.Close()
}

// caughtUpAll reports whether every owned queue's last pull found nothing
// new.
func (c *rawConsumer) caughtUpAll() bool {
	for _, ok := range c.caughtUp {
		if !ok {
			return false
		}
	}
	return true
}

func (c *rawConsumer) later(fn func()) {
	c.rt.AfterFunc(pullBackoff, func() {
		if !c.stopped {
			fn()
		}
	})
}

// queryOffset asks the broker for the group's committed offset of queue i.
func (c *rawConsumer) queryOffset(i int) {
	t := c.owned[i]
	req := remoting.NewRequest(remoting.ReqQueryConsumerOffset, map[string]string{
		"consumerGroup": c.group, "topic": c.topicOf(t), "queueId": strconv.Itoa(t.queue),
	})
	err := c.ep.Invoke(c.ep.ConnTo(t.addr), req, c.spec.Timeout, func(resp *remoting.Command, err error) {
		if c.stopped {
			return
		}
		switch {
		case err != nil:
			c.later(func() { c.queryOffset(i) })
		case resp.Code == remoting.RespSuccess:
			off, perr := strconv.ParseInt(resp.Ext("offset"), 10, 64)
			if perr != nil {
				c.later(func() { c.queryOffset(i) })
				return
			}
			c.next[i] = off
			c.pull(i)
		case resp.Code == remoting.RespQueryNotFound:
			// No commit and the queue no longer starts at 0: a new group
			// consuming from the first offset starts at 0 and is moved.
			c.next[i] = 0
			c.pull(i)
		default:
			// The topic does not exist yet, or the broker is starting.
			c.later(func() { c.queryOffset(i) })
		}
	})
	if err != nil {
		c.later(func() { c.queryOffset(i) })
	}
}

func (c *rawConsumer) pull(i int) {
	if c.stopped {
		return
	}
	t := c.owned[i]
	flags := pullFlagSuspend | pullFlagSubscription
	if !c.fromStart {
		flags |= pullFlagCommitOffset
	}
	req := remoting.NewRequest(remoting.ReqPullMessage, map[string]string{
		"consumerGroup": c.group, "topic": c.topicOf(t), "queueId": strconv.Itoa(t.queue),
		"queueOffset": strconv.FormatInt(c.next[i], 10), "maxMsgNums": strconv.Itoa(pullBatch),
		"sysFlag": strconv.Itoa(flags), "commitOffset": strconv.FormatInt(c.next[i], 10),
		"suspendTimeoutMillis": strconv.FormatInt(c.spec.Hold.Milliseconds(), 10),
		"subscription":         c.expr, "subVersion": "0", "expressionType": "TAG",
	})
	conn := c.ep.ConnTo(t.addr)
	err := c.ep.Invoke(conn, req, c.spec.Hold+c.spec.Timeout, func(resp *remoting.Command, err error) {
		if c.stopped {
			return
		}
		if err != nil {
			if errors.Is(err, remoting.ErrTimeout) {
				conn.Close() // stalled: dial afresh
			}
			c.later(func() { c.pull(i) })
			return
		}
		c.onPull(i, resp)
	})
	if err != nil {
		c.later(func() { c.pull(i) })
	}
}

func (c *rawConsumer) onPull(i int, resp *remoting.Command) {
	t := c.owned[i]
	next, nextErr := strconv.ParseInt(resp.Ext("nextBeginOffset"), 10, 64)
	switch resp.Code {
	case remoting.RespSuccess:
		c.receive(i, resp.Body)
		if nextErr == nil {
			c.next[i] = next
		}
		c.caughtUp[i] = false
		c.pull(i)
	case remoting.RespPullNotFound, remoting.RespPullRetryImmediately:
		if nextErr == nil {
			c.next[i] = next
		}
		// Nothing handed over is the queue's end only when the next
		// offset reaches its max: the broker also answers
		// PULL_RETRY_IMMEDIATELY in the middle of a queue (a scan of
		// messages no subscribed tag matched, records being removed),
		// and PULL_NOT_FOUND for a record it could not read. Taken for
		// the end, such an answer stops a drain or the verification
		// early and what follows counts as lost. A broker that sends no
		// maxOffset is taken at its word.
		maxOff, maxErr := strconv.ParseInt(resp.Ext("maxOffset"), 10, 64)
		c.caughtUp[i] = maxErr != nil || c.next[i] >= maxOff
		c.pull(i)
	case remoting.RespPullOffsetMoved:
		// The offset is outside the queue (a power loss cut its tail, or
		// retention removed its head): go where the broker says.
		if nextErr == nil {
			c.rt.Log().Info("mq consumer: offset moved", slog.String("broker", t.broker),
				slog.Int("queue", t.queue), slog.Int64("from", c.next[i]), slog.Int64("to", next))
			c.next[i] = next
		}
		c.pull(i)
	case remoting.RespTopicNotExist:
		// The topic does not exist on this broker: a dead-letter topic is
		// created by the first message that exhausts its retries, and an
		// auto-created topic only on the brokers that took a send before
		// the producers had its route (one broker refusing the first sends,
		// busy or down, leaves it on the others for good). Either way no
		// acknowledged message is here; should the broker have lost one,
		// the delivery checker reports it missing.
		c.caughtUp[i] = true
		c.later(func() { c.pull(i) })
	default:
		// The broker is starting.
		c.later(func() { c.pull(i) })
	}
}

// receive records each message of a pull's body, in the order the body
// holds them.
func (c *rawConsumer) receive(i int, body []byte) {
	t := c.owned[i]
	for len(body) > 0 {
		r, err := message.Decode(body, true)
		if err != nil {
			// A damaged record is a finding for the checkers (the message
			// will be missing), not a reason to stop consuming.
			c.rt.Log().Error("mq consumer: undecodable record in a pull", slog.Any("err", err))
			return
		}
		props := message.ParseProperties(r.Properties)
		c.next[i] = r.QueueOffset + 1
		body = body[r.StoreSize:]
		if c.tags != nil && !c.tags[props[message.PropertyTags]] {
			// The broker filters on the tag's hash code, which two tags
			// may share; the client checks the tag itself, as Java's
			// PullAPIWrapper does, and skips what it did not subscribe.
			continue
		}
		if t.dlqOf != "" {
			c.h.point(history.Op{
				Process: c.rt.Name(), Type: history.OK, F: history.FDLQ, Time: c.rt.Now().UnixNano(),
				Group: t.dlqOf, Topic: c.topicOf(t), Key: props[message.PropertyKeys],
				BodyDigest: history.Digest(r.Body), Tags: props[message.PropertyTags], Reconsume: int(r.ReconsumeTimes),
			})
			continue
		}
		c.h.point(history.Op{
			Process: c.rt.Name(), Type: history.OK, F: history.FReceive, Time: c.rt.Now().UnixNano(),
			Group: c.group, Topic: c.spec.Topic, Queue: &history.Queue{Broker: t.broker, ID: t.queue},
			Offset: history.Int64(r.QueueOffset), Key: props[message.PropertyKeys],
			BodyDigest: history.Digest(r.Body), Tags: props[message.PropertyTags],
			Reconsume: int(r.ReconsumeTimes),
		})
	}
}

// topicOf is what the consumer pulls from t: the spec's topic, or t's
// group's dead-letter topic.
func (c *rawConsumer) topicOf(t target) string {
	if t.dlqOf != "" {
		return topic.DLQTopic(t.dlqOf)
	}
	return c.spec.Topic
}
