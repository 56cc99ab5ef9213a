package mq

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/bugs"
	brokerserver "rocketsim/broker/server"
	"rocketsim/client"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// The features workload exercises what Spec's workload does not: delayed
// messages, transactions that commit or roll back, and messages the
// listener always fails, so that the delay, transactions and retry checkers
// have something to judge. One broker, the project's producer and push
// consumer cores, no faults.

// Bounds and shape of the features workload.
const (
	featTopic    = "FeatTopic"
	featGroup    = "feat-group"
	featProducer = "feat-producer-group"
	// featSends is how many messages the producer sends, one per
	// featInterval, cycling through the kinds below.
	featSends    = 24
	featInterval = 100 * time.Millisecond
	// featDelayLevel is level 2 of the default table: 5 s.
	featDelayLevel = 2
	// featMaxReconsume keeps a failing message's retries short: attempts
	// at 0, +10 s and +30 s (delay levels 3 and 4), then the DLQ.
	featMaxReconsume = 2
	// featRun is the whole run: sends, delays, every retry, with margin.
	featRun = 90 * time.Second
	// featFailTag marks the messages the listener always fails.
	featFailTag = "Fail"
)

// featKind is what message n of the producer is: 0 delayed, 1 committed
// transaction, 2 rolled-back transaction, 3 always failing, 4 plain.
func featKind(n int) int { return n % 5 }

// featProducerNode sends the features workload through the producer core
// and records it.
type featProducerNode struct {
	rt   runtime.Runtime
	p    *producer.Producer
	h    *recorder
	n    int
	tick runtime.Timer
	// decided is each transaction's local outcome, by key, which the
	// check-back answers too.
	decided map[string]producer.TransactionState
}

// featListener runs the local transactions: commit or roll back as the
// message's kind says, recorded as the producer's decision.
type featListener struct{ fp **featProducerNode }

func (l featListener) Execute(msg *client.Message, _ *producer.SendResult, done func(producer.TransactionState)) {
	fp := *l.fp
	key := msg.Property("KEYS")
	st := fp.decided[key]
	f := history.FCommit
	if st == producer.TransactionRollback {
		f = history.FRollback
	}
	fp.h.point(history.Op{Process: fp.rt.Name() + "/txn", Type: history.OK, F: f, Time: fp.rt.Now().UnixNano(),
		Topic: featTopic, Key: key, TxnID: key})
	done(st)
}

func (l featListener) Check(msg *client.MessageExt, done func(producer.TransactionState)) {
	fp := *l.fp
	key := msg.Property("KEYS")
	st := fp.decided[key]
	state := history.TxnCommit
	if st == producer.TransactionRollback {
		state = history.TxnRollback
	}
	fp.h.point(history.Op{Process: fp.rt.Name() + "/check", Type: history.OK, F: history.FCheck, Time: fp.rt.Now().UnixNano(),
		Topic: featTopic, Key: key, TxnID: key, TxnState: state})
	done(st)
}

func newFeatProducer(nsAddr, host string, h *recorder) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		fp := &featProducerNode{rt: rt, h: h, decided: map[string]producer.TransactionState{}}
		p, err := producer.New(rt, producer.Options{Group: featProducer, NameServers: []string{nsAddr}, ClientIP: host,
			SendTimeout: 3 * time.Second, Transactions: featListener{fp: &fp}})
		if err != nil {
			return nil, fmt.Errorf("features producer: %w", err)
		}
		fp.p = p
		p.Start()
		fp.tick = rt.AfterFunc(featInterval, fp.onTick)
		return fp, nil
	}
}

func (fp *featProducerNode) Stop() {
	fp.tick.Stop()
	fp.p.Shutdown()
}

func (fp *featProducerNode) onTick() {
	if fp.n >= featSends {
		return
	}
	fp.tick = fp.rt.AfterFunc(featInterval, fp.onTick)
	n := fp.n
	fp.n++
	key := fmt.Sprintf("feat-%d", n)
	body := []byte(key)
	msg := client.NewMessage(featTopic, body).WithKeys(key)
	op := history.Op{F: history.FSend, Time: fp.rt.Now().UnixNano(), Topic: featTopic, Key: key, BodyDigest: history.Digest(body)}
	switch featKind(n) {
	case 0:
		msg.WithDelayLevel(featDelayLevel)
		op.DelayLevel = featDelayLevel
	case 1, 2:
		op.TxnID = key
		fp.decided[key] = producer.TransactionCommit
		if featKind(n) == 2 {
			fp.decided[key] = producer.TransactionRollback
		}
	case 3:
		msg.WithTag(featFailTag)
		op.Tags = featFailTag
	}
	p := fp.h.invoke(fp.rt.Name(), op)
	complete := func(r *producer.SendResult, err error) {
		now := fp.rt.Now()
		if err != nil || r.Status != producer.SendOK {
			fp.h.complete(p, history.Info, now, nil)
			return
		}
		fp.h.complete(p, history.OK, now, func(o *history.Op) {
			o.Queue = &history.Queue{Broker: r.Queue.BrokerName, ID: r.Queue.QueueID}
			o.Offset = history.Int64(r.QueueOffset)
		})
	}
	if op.TxnID != "" {
		fp.p.SendInTransaction(msg, func(r *producer.TransactionResult, err error) {
			if r == nil {
				complete(nil, err)
				return
			}
			complete(&r.SendResult, err)
		})
		return
	}
	fp.p.Send(msg, complete)
}

// featConsumerNode is the group's one push consumer: it records every
// delivery and fails the messages tagged featFailTag, every time.
type featConsumerNode struct{ c *consumer.Consumer }

func newFeatConsumer(nsAddr, host string, h *recorder) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		c, err := consumer.New(rt, consumer.Options{Group: featGroup, NameServers: []string{nsAddr}, ClientIP: host,
			Model: consumer.Clustering, ConsumeFrom: consumer.ConsumeFromFirstOffset, ConsumeBatchMax: 1,
			MaxReconsumeTimes: featMaxReconsume, RebalanceInterval: coreRebalanceInterval, HeartbeatInterval: coreHeartbeatInterval})
		if err != nil {
			return nil, fmt.Errorf("features consumer: %w", err)
		}
		err = c.Subscribe(featTopic, "*", func(msgs []*client.MessageExt, done func(consumer.Result)) {
			verdict := consumer.Success
			for _, m := range msgs {
				key := m.Property("KEYS")
				h.point(history.Op{Process: rt.Name(), Type: history.OK, F: history.FReceive, Time: rt.Now().UnixNano(),
					Group: featGroup, Topic: featTopic, Queue: &history.Queue{Broker: m.BrokerName, ID: m.QueueID},
					Offset: history.Int64(m.QueueOffset), Key: key, BodyDigest: history.Digest(m.Body), Tags: m.Tag(),
					Reconsume: int(m.ReconsumeTimes)})
				ack := history.OK
				if m.Tag() == featFailTag {
					ack, verdict = history.Fail, consumer.RetryLater
				}
				h.point(history.Op{Process: rt.Name(), Type: ack, F: history.FAck, Time: rt.Now().UnixNano(),
					Group: featGroup, Topic: featTopic, Key: key, Reconsume: int(m.ReconsumeTimes)})
			}
			done(verdict)
		})
		if err != nil {
			return nil, fmt.Errorf("features consumer: subscribe: %w", err)
		}
		if err := c.Start(); err != nil {
			return nil, fmt.Errorf("features consumer: start: %w", err)
		}
		return &featConsumerNode{c: c}, nil
	}
}

func (fc *featConsumerNode) Stop() { fc.c.Shutdown(nil) }

// featConfig is how the features history is judged.
func featConfig() check.Config {
	return check.Config{
		Delivery: check.DeliveryOptions{Groups: []string{featGroup}},
		// The broker times a retry's delay from its store timestamp, in
		// milliseconds as RocketMQ's is: truncated, it can fall up to 1 ms
		// before the failed attempt, so the retry may come that much early
		// by the clients' nanosecond clocks.
		Retry: check.RetryOptions{MaxReconsumeTimes: featMaxReconsume, ClockError: time.Millisecond},
		Txn:   check.TxnOptions{Groups: []string{featGroup}},
	}
}

// runFeatures runs the features workload from seed against one broker with
// sw, and judges it.
func runFeatures(t *testing.T, seed uint64, sw bugs.Switches) (check.Report, []history.Op) {
	t.Helper()
	nsAddr := fmt.Sprintf("%s:%d", namesrvHost(), NamesrvPort)
	spec := DefaultSpec()
	spec.Queues = 2
	cfg, err := spec.BrokerConfig(0, brokerHost(0), nsAddr)
	require.NoError(t, err)
	w := simrt.New(seed, simrt.Options{})
	h := newRecorder(w.Now)
	nscfg := nsserver.DefaultConfig()
	nscfg.BindAddress, nscfg.ListenPort = namesrvHost(), NamesrvPort
	nodes := []*simrt.Node{
		w.AddNode(NamesrvName, simrt.NodeConfig{Host: namesrvHost()}, nsserver.New(nscfg)),
		w.AddNode(BrokerName(0), simrt.NodeConfig{Host: brokerHost(0)}, brokerserver.NewWithBugs(*cfg, sw)),
		w.AddNode("feat-consumer", simrt.NodeConfig{Host: consumerHost(0)}, newFeatConsumer(nsAddr, consumerHost(0), h)),
		w.AddNode("feat-producer", simrt.NodeConfig{Host: producerHost(0)}, newFeatProducer(nsAddr, producerHost(0), h)),
	}
	for _, n := range nodes {
		n.Start()
		require.NoError(t, n.Err(), n.Name())
	}
	w.RunFor(featRun)
	for _, n := range nodes[2:] {
		n.Stop()
	}
	w.RunFor(time.Second)
	ops := h.rec.Ops()
	rep := check.Run(ops, featConfig())
	t.Logf("%+v:\n%s", sw, rep.Summary())
	return rep, ops
}

// featSeeds are the seeds every features test runs (a run takes ~20 ms).
var featSeeds = []uint64{1, 2, 3, 4, 5}

func TestFeaturesHealthyBrokerPasses(t *testing.T) {
	for _, seed := range featSeeds {
		rep, ops := runFeatures(t, seed, bugs.Switches{})
		require.Equal(t, check.Pass, rep.Verdict, "seed %d: %s", seed, rep.Explain(10))
		// The workload did exercise every feature.
		var delayed, committed, rolledBack, failedAcks int
		for _, op := range ops {
			switch {
			case op.F == history.FSend && op.Type == history.OK && op.DelayLevel > 0:
				delayed++
			case op.F == history.FCommit:
				committed++
			case op.F == history.FRollback:
				rolledBack++
			case op.F == history.FAck && op.Type == history.Fail:
				failedAcks++
			}
		}
		of := func(kind int) int {
			c := 0
			for n := range featSends {
				if featKind(n) == kind {
					c++
				}
			}
			return c
		}
		require.Equal(t, of(0), delayed)
		require.Equal(t, of(1), committed)
		require.Equal(t, of(2), rolledBack)
		require.Equal(t, of(3)*(1+featMaxReconsume), failedAcks, "every failing message gets 1+maxReconsumeTimes attempts")
	}
}

// requireFeatureBug runs the features workload with sw over featSeeds and
// asserts each run fails on exactly the checkers named, with count of the
// anomaly kind in the first of them.
func requireFeatureBug(t *testing.T, sw bugs.Switches, kind string, count int64, failed ...string) {
	t.Helper()
	for _, seed := range featSeeds {
		rep, _ := runFeatures(t, seed, sw)
		require.ElementsMatch(t, failed, rep.Failed, "seed %d: %s", seed, rep.Explain(10))
		require.Equal(t, count, checker(t, rep, failed[0]).Counts[kind], "seed %d", seed)
	}
}

// TestBugDeliverDelayEarly: a delayed message stored without its delay is
// delivered at once; the delay checker counts it early.
func TestBugDeliverDelayEarly(t *testing.T) {
	requireFeatureBug(t, bugs.Switches{DeliverDelayEarly: true}, "early_delivery", 1, "delay")
}

// TestBugDeliverRolledBack: a rollback turned into a commit is a rolled-back
// message delivered (transactions), which the delivery checker did not
// expect either.
func TestBugDeliverRolledBack(t *testing.T) {
	requireFeatureBug(t, bugs.Switches{DeliverRolledBack: true}, "rolled_back_delivered", 1, "transactions", "delivery")
}

// TestBugSkipRetry: a failed message sent to the DLQ with retries left is
// never retried; the retry checker reports the retry lost.
func TestBugSkipRetry(t *testing.T) {
	requireFeatureBug(t, bugs.Switches{SkipRetry: true, Limit: 2}, "retry_lost", 2, "retry")
}
