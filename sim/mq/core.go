package mq

import (
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"rocketsim/client"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/jepsen/history"
	"rocketsim/runtime"
)

// ClientKind selects the clients a run uses.
type ClientKind string

const (
	// RawClients speak the remoting protocol by hand: a producer that
	// round-robins SEND_MESSAGE over every broker's queues, consumers that
	// split the queues statically and pull with long polling. They depend
	// on nothing but the wire format, so a run judges the brokers alone.
	RawClients ClientKind = "raw"
	// CoreClients are this project's event-driven producer and push
	// consumer cores (client/producer, client/consumer): routes from the
	// name server, retries on another broker, heartbeats, rebalancing and
	// offsets kept on the brokers. A run then judges clients and servers
	// together.
	CoreClients ClientKind = "core"
)

// Timing of the core clients, shorter than Java's defaults (rebalance 20 s,
// heartbeat 30 s) so that a short run sees recoveries. A restarted broker
// has forgotten its consumers: until their next heartbeat it refuses their
// pulls and their rebalances find no members, so consumption resumes only
// a heartbeat (and a rebalance) after the broker comes back.
const (
	coreRebalanceInterval = 5 * time.Second
	coreHeartbeatInterval = 10 * time.Second
)

// coreQuiet is how long the regular group must have received nothing before
// a core run counts it as drained: a push consumer has no "caught up"
// signal, so quiet across a heartbeat, a rebalance, a pull retry and a long
// poll is the sign.
const coreQuiet = coreHeartbeatInterval + coreRebalanceInterval + 10*time.Second

// coreProducer drives a client/producer core: one Send (or one batch) per
// tick, each message with a unique key, recorded in the history with the
// queue the core chose. Window bounds the sends (batches) in flight.
type coreProducer struct {
	rt       runtime.Runtime
	spec     Spec
	p        *producer.Producer
	h        *recorder
	session  uint64
	n        int
	inflight int
	tick     runtime.Timer
	stopped  bool
}

// newCoreProducer builds a producer node; answerChecks gives it the
// transaction listener, so it answers check-backs for any producer of the
// group (the brokers ask any live one).
func newCoreProducer(spec Spec, answerChecks bool, nameservers []string, host string, h *recorder) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		cp := &coreProducer{rt: rt, spec: spec, h: h, session: rt.Rand().Uint64()}
		opts := producer.Options{
			Group: producerGroup, NameServers: nameservers, ClientIP: host,
			SendTimeout: spec.Timeout, LatencyFaultEnable: true, HeartbeatInterval: coreHeartbeatInterval,
		}
		if answerChecks || spec.transactional() {
			opts.Transactions = txnListener{cp: &cp}
		}
		if spec.Orderly {
			opts.Selector = producer.Hash{}
		}
		p, err := producer.New(rt, opts)
		if err != nil {
			return nil, fmt.Errorf("mq core producer: %w", err)
		}
		cp.p = p
		p.Start()
		cp.tick = rt.AfterFunc(spec.gap(rt), cp.onTick)
		return cp, nil
	}
}

// quiesce stops sending but keeps the core connected, so it still
// answers the brokers' transaction check-backs.
func (cp *coreProducer) quiesce() {
	cp.stopped = true
	cp.tick.Stop()
}

// Stop shuts the core down: sends in flight complete as unknown.
func (cp *coreProducer) Stop() {
	cp.stopped = true
	cp.tick.Stop()
	cp.p.Shutdown()
}

func (cp *coreProducer) onTick() {
	if cp.stopped {
		return
	}
	cp.tick = cp.rt.AfterFunc(cp.spec.gap(cp.rt), cp.onTick)
	if cp.inflight >= cp.spec.window() {
		return
	}
	count := max(cp.spec.Batch, 1)
	msgs := make([]*client.Message, count)
	ops := make([]pending, count)
	var kind MessageKind
	for i := range count {
		n := cp.n
		cp.n++
		kind = cp.spec.kind(n)
		var op history.Op
		msgs[i], op = cp.spec.buildMessage(cp.rt.Name(), cp.session, n, cp.rt.Now().UnixNano())
		ops[i] = cp.h.invoke(cp.rt.Name(), op)
	}
	cp.inflight++
	done := func(r *producer.SendResult, err error) {
		cp.inflight--
		for i, op := range ops {
			cp.done(op, i, r, err)
		}
	}
	switch {
	case count > 1:
		cp.p.SendBatch(msgs, done)
	case kind.transactional():
		cp.p.SendInTransaction(msgs[0], func(r *producer.TransactionResult, err error) {
			if r == nil {
				done(nil, err)
				return
			}
			done(&r.SendResult, err)
		})
	default:
		cp.p.Send(msgs[0], done)
	}
}

// done records a send's outcome. The core retries on another broker, so
// an error can follow an attempt that timed out after the broker stored
// the message: every error is unknown except a message the core refused
// before sending it.
func (cp *coreProducer) done(op pending, i int, r *producer.SendResult, err error) {
	now := cp.rt.Now()
	switch {
	case errors.Is(err, producer.ErrBadMessage):
		cp.h.complete(op, history.Fail, now, func(o *history.Op) { o.Error = err.Error() })
	case err != nil:
		cp.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = err.Error() })
	case r.Status != producer.SendOK:
		cp.h.complete(op, history.Info, now, func(o *history.Op) {
			o.Queue = &history.Queue{Broker: r.Queue.BrokerName, ID: r.Queue.QueueID}
			o.Error = r.Status.String()
		})
	default:
		cp.h.complete(op, history.OK, now, func(o *history.Op) {
			o.Queue = &history.Queue{Broker: r.Queue.BrokerName, ID: r.Queue.QueueID}
			o.Offset = history.Int64(r.QueueOffset + int64(i))
			if ids := strings.Split(r.OffsetMsgID, ","); len(ids) > i {
				o.MsgID = ids[i]
			}
		})
	}
}

// coreConsumer is a member of the regular group built on the push
// consumer core: clustering, from the first offset, every message handed
// to the listener recorded as a receive, and its outcome as an ack. The
// listener fails Failing messages every time and others with probability
// FailRate (both then retried by the broker), and takes ConsumeDelay over
// each batch.
type coreConsumer struct {
	rt      runtime.Runtime
	c       *consumer.Consumer
	stopped bool
}

func newCoreConsumer(spec Spec, nameservers []string, host string, h *recorder) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		model := consumer.Clustering
		if spec.Broadcast {
			model = consumer.Broadcasting
		}
		c, err := consumer.New(rt, consumer.Options{
			Group: spec.Group, NameServers: nameservers, ClientIP: host,
			Model: model, ConsumeFrom: consumer.ConsumeFromFirstOffset,
			RebalanceInterval: coreRebalanceInterval, HeartbeatInterval: coreHeartbeatInterval,
			MaxReconsumeTimes: spec.MaxReconsumeTimes, ConsumeBatchMax: spec.consumeBatchMax(),
			Orderly: spec.Orderly,
			OnSendBack: func(m *client.MessageExt) func(bool) {
				// The retry checker tells a local retry (send-back failed,
				// count raised by the consumer) from a broker retry by it.
				p := h.invoke(rt.Name(), history.Op{F: history.FSendBack, Time: rt.Now().UnixNano(),
					Group: spec.Group, Topic: spec.Topic, Key: m.Property(client.PropertyKeys), Reconsume: int(m.ReconsumeTimes)})
				return func(ok bool) {
					t := history.OK
					if !ok {
						t = history.Fail
					}
					h.complete(p, t, rt.Now(), nil)
				}
			},
		})
		if err != nil {
			return nil, fmt.Errorf("mq core consumer: %w", err)
		}
		cc := &coreConsumer{rt: rt, c: c}
		expr := spec.Subscription
		if expr == "" {
			expr = "*"
		}
		err = c.Subscribe(spec.Topic, expr, func(msgs []*client.MessageExt, done func(consumer.Result)) {
			verdict := consumer.Success
			for _, m := range msgs {
				key := m.Property(client.PropertyKeys)
				h.point(history.Op{
					Process: rt.Name(), Type: history.OK, F: history.FReceive, Time: rt.Now().UnixNano(),
					Group: spec.Group, Topic: spec.Topic, Queue: &history.Queue{Broker: m.BrokerName, ID: m.QueueID},
					Offset: history.Int64(m.QueueOffset), Key: key, MsgID: m.OffsetMsgID,
					BodyDigest: history.Digest(m.Body), Tags: m.Tag(), Reconsume: int(m.ReconsumeTimes),
				})
				if m.Tag() == FailTag || failsAttempt(key, int(m.ReconsumeTimes), spec.FailRate) {
					verdict = consumer.RetryLater
				}
			}
			finish := func() {
				if cc.stopped {
					return
				}
				if spec.recordsAcks() {
					ack := history.OK
					if verdict != consumer.Success {
						ack = history.Fail
					}
					for _, m := range msgs {
						h.point(history.Op{Process: rt.Name(), Type: ack, F: history.FAck, Time: rt.Now().UnixNano(),
							Group: spec.Group, Topic: spec.Topic, Key: m.Property(client.PropertyKeys), Reconsume: int(m.ReconsumeTimes)})
					}
				}
				done(verdict)
			}
			if spec.ConsumeDelay > 0 {
				rt.AfterFunc(spec.ConsumeDelay, finish)
				return
			}
			finish()
		})
		if err != nil {
			return nil, fmt.Errorf("mq core consumer: subscribe: %w", err)
		}
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("mq core consumer: start: %w", err)
		}
		return cc, nil
	}
}

// Stop shuts the consumer down; it commits its offsets if the brokers
// answer in time.
func (cc *coreConsumer) Stop() {
	cc.stopped = true
	cc.c.Shutdown(nil)
}

// failsAttempt decides whether the listener fails attempt reconsume of the
// message with key, with probability rate. The draw is a hash of the two,
// not the node's stream: like an application's deterministic outcome,
// every copy of a message (a retry the broker moved twice after a restart,
// a redelivery after a lost offset commit) fails or succeeds alike at the
// same attempt, so a copy cannot be dead-lettered while another succeeded.
func failsAttempt(key string, reconsume int, rate float64) bool {
	if rate <= 0 {
		return false
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", key, reconsume)
	return float64(h.Sum64()>>11)/(1<<53) < rate
}
