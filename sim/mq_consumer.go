package main

import (
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"rocketsim/broker/store/message"
	"rocketsim/jepsen/history"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/scenario"
)

// Pull flags (Java PullSysFlag).
const (
	pullFlagSuspend      = 1 << 1
	pullFlagSubscription = 1 << 2
)

// Bounds of the consumer.
const (
	// mqPullBatch is maxMsgNums of one pull.
	mqPullBatch = 32
	// mqPullBackoff is the wait before retrying a pull that failed.
	mqPullBackoff = 200 * time.Millisecond
)

// mqConsumer pulls every readable queue of the topic's route (from the
// name server), one long-poll pull per queue at a time, from offset 0, keeping its offsets in memory (a
// restarted consumer starts over, so it redelivers: at-least-once). Each
// message it gets is a receive event of its group in the history.
type mqConsumer struct {
	rt    runtime.Runtime
	p     scenario.MQParams
	group string
	ep    *remoting.Endpoint
	route *mqRouter
	h     *mqHistory
	// pulling are the queues with a pull loop running.
	pulling map[mqQueue]bool
	// expect are brokers the route must name before done can hold: the
	// verifier must not finish on a route that a restarted broker has not
	// yet re-joined.
	expect []string
	// next is the next offset to pull, by broker and queue.
	next map[mqQueue]int64
	// caughtUp records the queues whose last pull found nothing new: the
	// verifier is done when every queue is caught up.
	caughtUp map[mqQueue]bool
	stopped  bool
}

type mqQueue struct {
	broker string
	id     int
}

func newMQConsumer(p scenario.MQParams, group, namesrv string, h *mqHistory, keep func(*mqConsumer)) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		c := &mqConsumer{rt: rt, p: p, group: group, h: h, next: map[mqQueue]int64{}, caughtUp: map[mqQueue]bool{}, pulling: map[mqQueue]bool{}}
		c.ep = remoting.NewEndpoint(rt, remoting.Options{})
		c.route = newMQRouter(rt, c.ep, namesrv, p.Topic, p.Queues, false, p.Timeout, c.startPulls)
		if keep != nil {
			keep(c)
		}
		return c, nil
	}
}

// Stop closes the endpoint; pulls in flight are abandoned.
func (c *mqConsumer) Stop() {
	c.stopped = true
	c.route.stop()
	c.ep.Close()
}

// startPulls starts a pull loop on every readable queue of the route that
// has none. Loops of queues that left the route keep running: a broker
// that comes back is pulled again without waiting for the route.
func (c *mqConsumer) startPulls() {
	for _, ref := range c.route.read {
		key := mqQueue{ref.broker.name, ref.id}
		if !c.pulling[key] {
			c.pulling[key] = true
			c.pull(ref.broker, ref.id)
		}
	}
}

// done reports whether the route is known and every queue in it had a last
// pull that found nothing new.
func (c *mqConsumer) done() bool {
	if len(c.route.read) == 0 {
		return false
	}
	for _, b := range c.expect {
		if !slices.ContainsFunc(c.route.read, func(r mqQueueRef) bool { return r.broker.name == b }) {
			return false
		}
	}
	for _, ref := range c.route.read {
		if !c.caughtUp[mqQueue{ref.broker.name, ref.id}] {
			return false
		}
	}
	return true
}

func (c *mqConsumer) pull(b mqTarget, q int) {
	if c.stopped {
		return
	}
	key := mqQueue{b.name, q}
	req := remoting.NewRequest(remoting.ReqPullMessage, map[string]string{
		"consumerGroup": c.group, "topic": c.p.Topic, "queueId": strconv.Itoa(q),
		"queueOffset": strconv.FormatInt(c.next[key], 10), "maxMsgNums": strconv.Itoa(mqPullBatch),
		"sysFlag": strconv.Itoa(pullFlagSuspend | pullFlagSubscription), "commitOffset": "0",
		"suspendTimeoutMillis": strconv.FormatInt(c.p.Hold.Milliseconds(), 10),
		"subscription":         "*", "subVersion": "0", "expressionType": "TAG",
	})
	conn := c.ep.ConnTo(b.addr)
	retry := func() {
		c.rt.AfterFunc(mqPullBackoff, func() { c.pull(b, q) })
	}
	err := c.ep.Invoke(conn, req, c.p.Hold+c.p.Timeout, func(resp *remoting.Command, err error) {
		if c.stopped {
			return
		}
		if err != nil {
			if errors.Is(err, remoting.ErrTimeout) {
				conn.Close() // stalled: dial afresh
			}
			retry()
			return
		}
		c.onPull(b, q, resp)
	})
	if err != nil {
		retry()
	}
}

func (c *mqConsumer) onPull(b mqTarget, q int, resp *remoting.Command) {
	key := mqQueue{b.name, q}
	next, perr := strconv.ParseInt(resp.Ext("nextBeginOffset"), 10, 64)
	switch resp.Code {
	case remoting.RespSuccess:
		body := resp.Body
		for len(body) > 0 {
			r, err := message.Decode(body, true)
			if err != nil {
				// A broker that sends a damaged record is a finding for
				// the checkers, not a reason to stop: record nothing and
				// move on past what the broker says it sent.
				c.rt.Log().Error("mq consumer: undecodable record in a pull", slog.Any("err", err))
				break
			}
			props := message.ParseProperties(r.Properties)
			c.h.add(history.Op{
				Process: c.rt.Name(), Type: history.OK, F: history.FReceive, Time: c.rt.Now().UnixNano(),
				Group: c.group, Topic: c.p.Topic, Queue: &history.Queue{Broker: b.name, ID: q},
				Offset: history.Int64(r.QueueOffset), Key: props[message.PropertyKeys],
				BodyDigest: digest(r.Body), Reconsume: int(r.ReconsumeTimes),
			})
			c.next[key] = r.QueueOffset + 1
			body = body[r.StoreSize:]
		}
		if perr == nil {
			c.next[key] = next
		}
		delete(c.caughtUp, key)
		c.pull(b, q)
	case remoting.RespPullNotFound, remoting.RespPullRetryImmediately:
		c.caughtUp[key] = true
		c.pull(b, q)
	case remoting.RespPullOffsetMoved:
		if perr == nil {
			c.next[key] = next
		}
		c.pull(b, q)
	default:
		// The topic does not exist yet, the broker is starting: try later.
		c.rt.AfterFunc(mqPullBackoff, func() { c.pull(b, q) })
	}
}
