// Package synth generates histories from a model broker: a small, correct
// RocketMQ (normal, delayed, transactional and orderly messages; retries and
// dead letters; consumer groups) whose every step is drawn from a seed, with
// switches that break it in one way each (drop an acknowledged message, swap
// two offsets, deliver a delayed message early, deliver a rolled-back one,
// skip a retry, ...).
//
// It exists to show that each checker catches the bug it is for without a
// real broker (the same faults as test-only switches in the broker prove the
// same against the real thing), to exercise report tooling, and to measure
// the checkers. The model is deterministic: the same Options give the same
// history.
package synth

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

// Options shape the workload. Every "Every" field n > 0 applies a behaviour
// to every n-th message; 0 turns it off.
type Options struct {
	Seed      uint64
	Messages  int // messages sent
	Queues    int // queues of topic T on broker "b"
	Producers int // producer slots, each sending one message at a time

	DelayEvery    int // delayed messages (levels 1..3)
	TxnEvery      int // transactional messages
	OrderlyEvery  int // messages carrying a sharding key (consumed orderly by group O)
	FailSendEvery int // sends that fail (nothing stored)
	TimeoutEvery  int // sends that time out (stored or not, at random)
	RetryEvery    int // messages group G fails once, then consumes
	DeadEvery     int // messages group G fails every time (dead-lettered)

	Faults Faults
}

// Faults each break the model broker in one way.
type Faults struct {
	DropAcked         bool // an acknowledged message is never delivered
	LoseTail          bool // the last acknowledged message of a queue vanishes (power loss without fsync)
	SwapOffsets       bool // two messages are read back at each other's offsets
	EarlyDelay        bool // a delayed message is delivered at once
	DeliverRolledBack bool // a rolled-back half message is delivered
	SkipRetry         bool // a failed message is never retried
	EarlyRetry        bool // a retry comes before its delay
	Reorder           bool // a consumer sees two offsets of a queue swapped
	Duplicate         bool // a message is delivered twice
	ConsumedAndDLQ    bool // a consumed message is also dead-lettered
	OrderlyGap        bool // the orderly group skips a message of a key
}

// Default is a workload with every message kind and behaviour.
func Default(seed uint64) Options {
	return Options{
		Seed: seed, Messages: 300, Queues: 4, Producers: 4,
		DelayEvery: 7, TxnEvery: 5, OrderlyEvery: 3, FailSendEvery: 23, TimeoutEvery: 19,
		RetryEvery: 11, DeadEvery: 29,
	}
}

// The model's constants. Delays are short so histories stay small.
var (
	delayLevels = []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}
	retryDelays = []time.Duration{time.Second, 2 * time.Second}
)

const (
	maxReconsume = 2
	checkAfter   = 3 * time.Second // first transaction check-back after the half message
	checkWithin  = 5 * time.Second
	maxChecks    = 2
	epoch        = int64(1_700_000_000) * int64(time.Second)
	ms           = int64(time.Millisecond)
	topic        = "T"
	groupG       = "G" // concurrent listener, with failures
	groupO       = "O" // orderly listener
)

// CheckConfig is the checker configuration that matches the model.
func (o Options) CheckConfig() check.Config {
	var orderly []string
	if o.OrderlyEvery > 0 {
		orderly = []string{groupO}
	}
	return check.Config{
		Settle:   10 * time.Second,
		Expect:   check.Expectations{OrderlyGroups: orderly},
		Delivery: check.DeliveryOptions{DelayLevels: delayLevels},
		Retry:    check.RetryOptions{MaxReconsumeTimes: maxReconsume, RetryDelays: retryDelays, RequireDLQ: true},
		Delay:    check.DelayOptions{Levels: delayLevels},
		Txn:      check.TxnOptions{CheckWithin: checkWithin, MaxChecks: maxChecks},
	}
}

type msg struct {
	n                    int
	key, shard           string
	slot, queue, level   int
	txn                  bool
	invoke, store, ack   int64
	outcome              history.Type
	stored               bool
	visible              int64 // when consumers may see it; 0: never
	offset               int64
	decision             string
	failAlways, failOnce bool
}

type gen struct {
	o   Options
	rng *rand.Rand
	ops []history.Op
	seq []int64 // tiebreak: generation order
}

func (g *gen) emit(op history.Op) {
	g.ops = append(g.ops, op)
	g.seq = append(g.seq, int64(len(g.seq)))
}

// every reports whether message n gets the behaviour applied every k-th.
func every(k, n int) bool { return k > 0 && n%k == k-1 }

// Generate produces the model broker's history.
func Generate(o Options) []history.Op {
	if o.Queues <= 0 || o.Producers <= 0 || o.Messages <= 0 {
		panic(fmt.Sprintf("synth: bad options %+v", o))
	}
	g := &gen{o: o, rng: rand.New(rand.NewPCG(o.Seed, 0x5eed))}
	msgs := g.produce()
	queues := g.assignOffsets(msgs)
	g.consume(queues)
	return g.finish()
}

func (g *gen) produce() []*msg {
	o := g.o
	var msgs []*msg
	next := make([]int64, o.Producers)
	for s := range next {
		next[s] = epoch + int64(s)*ms/3
	}
	schedOff := map[int]int64{}
	var halfOff int64
	for n := 0; n < o.Messages; n++ {
		m := &msg{n: n, key: fmt.Sprintf("m%04d", n), slot: n % o.Producers, queue: n % o.Queues}
		if every(o.OrderlyEvery, n) {
			// Keys belong to one producer slot, so one key's sends are
			// sequential and its send order is its store order.
			m.shard = fmt.Sprintf("key-%d-%d", m.slot, (n/o.Producers)%3)
			h := fnv.New32a()
			h.Write([]byte(m.shard))
			m.queue = int(h.Sum32() % uint32(o.Queues))
		}
		switch {
		case every(o.TxnEvery, n) && m.shard == "":
			m.txn = true
		case every(o.DelayEvery, n) && m.shard == "":
			m.level = 1 + n%len(delayLevels)
		}
		lat := (1 + g.rng.Int64N(4)) * ms
		m.invoke = next[m.slot]
		m.store = m.invoke + lat/2
		m.ack = m.invoke + lat
		next[m.slot] = m.ack + ms/10 + g.rng.Int64N(3*ms)
		m.outcome, m.stored = history.OK, true
		if !m.txn && m.level == 0 && m.shard == "" {
			switch {
			case every(o.FailSendEvery, n):
				m.outcome, m.stored = history.Fail, false
			case every(o.TimeoutEvery, n):
				m.outcome, m.stored = history.Info, g.rng.IntN(2) == 0
			}
		}
		m.failOnce = every(o.RetryEvery, n)
		m.failAlways = every(o.DeadEvery, n)
		if m.stored {
			m.visible = m.store
		}
		if m.level > 0 {
			m.visible = m.store + int64(delayLevels[m.level-1])
		}
		inv := history.Op{Process: fmt.Sprintf("p%d", m.slot), Type: history.Invoke, F: history.FSend, Time: m.invoke, SimTime: m.invoke - epoch,
			Topic: topic, Queue: &history.Queue{Broker: "b", ID: m.queue}, Key: m.key, BodyDigest: history.Digest([]byte(m.key)),
			DelayLevel: m.level, ShardingKey: m.shard}
		if m.txn {
			inv.TxnID = "tx-" + m.key
		}
		g.emit(inv)
		done := inv
		done.Type, done.Time, done.SimTime = m.outcome, m.ack, m.ack-epoch
		switch {
		case m.outcome == history.Fail:
			done.Error = "SERVICE_NOT_AVAILABLE"
		case m.outcome == history.Info:
			done.Error = "timeout"
		case m.level > 0:
			done.Topic, done.Queue = "SCHEDULE_TOPIC_XXXX", &history.Queue{Broker: "b", ID: m.level - 1}
			done.Offset = history.Int64(schedOff[m.level])
			schedOff[m.level]++
		case m.txn:
			done.Topic, done.Queue = "RMQ_SYS_TRANS_HALF_TOPIC", &history.Queue{Broker: "b", ID: 0}
			done.Offset = history.Int64(halfOff)
			halfOff++
		}
		g.emit(done)
		if m.txn {
			g.decide(m)
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// decide plays the producer's local transaction and the broker's check-back.
func (g *gen) decide(m *msg) {
	p := fmt.Sprintf("p%d", m.slot)
	txn := "tx-" + m.key
	point := func(f, state string, at int64) {
		g.emit(history.Op{Process: p, Type: history.OK, F: f, Time: at, SimTime: at - epoch, TxnID: txn, TxnState: state, Key: m.key})
	}
	m.visible = 0
	switch r := g.rng.IntN(10); {
	case r < 6:
		m.decision = history.TxnCommit
		point(history.FCommit, "", m.ack+ms)
		m.visible = m.ack + ms + ms/2
	case r < 8:
		m.decision = history.TxnRollback
		point(history.FRollback, "", m.ack+ms)
		if g.o.Faults.DeliverRolledBack {
			g.o.Faults.DeliverRolledBack = false
			m.visible = m.ack + 2*ms
		}
	default:
		// The local transaction is unknown: the broker checks back.
		at := m.store + int64(checkAfter)
		switch r := g.rng.IntN(3); r {
		case 0:
			m.decision = history.TxnCommit
			point(history.FCheck, history.TxnCommit, at)
			m.visible = at + ms
		case 1:
			m.decision = history.TxnRollback
			point(history.FCheck, history.TxnRollback, at)
		default:
			for i := 0; i < maxChecks; i++ {
				point(history.FCheck, history.TxnUnknown, at+int64(i)*int64(checkAfter))
			}
		}
	}
}

// assignOffsets orders each queue by visibility: the broker appends a
// message to the consume queue when consumers may first see it.
func (g *gen) assignOffsets(msgs []*msg) [][]*msg {
	f := &g.o.Faults
	if f.EarlyDelay {
		for _, m := range msgs {
			if m.level > 0 {
				m.visible = m.store + ms
				break
			}
		}
	}
	queues := make([][]*msg, g.o.Queues)
	for _, m := range msgs {
		if m.visible != 0 {
			queues[m.queue] = append(queues[m.queue], m)
		}
	}
	for _, q := range queues {
		sort.SliceStable(q, func(i, j int) bool { return q[i].visible < q[j].visible })
		for i, m := range q {
			m.offset = int64(i)
		}
	}
	// Acks of plain sends name their real offset.
	for i := range g.ops {
		op := &g.ops[i]
		if op.F == history.FSend && op.Type == history.OK && op.DelayLevel == 0 && op.TxnID == "" {
			m := msgs[keyIndex(op.Key)]
			op.Offset = history.Int64(m.offset)
		}
	}
	return queues
}

func keyIndex(key string) int {
	var n int
	fmt.Sscanf(key, "m%d", &n)
	return n
}

func (g *gen) consume(queues [][]*msg) {
	o, f := g.o, &g.o.Faults
	groups := []string{groupG}
	if o.OrderlyEvery > 0 {
		groups = append(groups, groupO)
	}
	// Pick the victims of the one-shot faults.
	var drop, tail *msg
	if len(queues[0]) > 2 {
		for _, m := range queues[0][:len(queues[0])-1] {
			if f.DropAcked && drop == nil && m.outcome == history.OK && m.level == 0 && !m.txn && m.shard == "" {
				drop = m
			}
		}
		for i := len(queues[0]) - 1; i >= 0 && f.LoseTail && tail == nil; i-- {
			if m := queues[0][i]; m.outcome == history.OK && m.level == 0 && !m.txn {
				tail = m
				queues[0] = queues[0][:i] // nothing after it was stored either
			}
		}
	}
	var orderlyGapDone, oneShotDone bool
	retryOff := map[string]int64{}
	var retryFaultDone, earlyRetryDone, consumedDLQDone bool
	end := int64(0)
	for _, grp := range groups {
		for q, list := range queues {
			proc := fmt.Sprintf("c-%s-%d", grp, q)
			prev := int64(0)
			type delivery struct {
				m  *msg
				at int64
				as *msg // the message read back (SwapOffsets)
			}
			var ds []delivery
			for _, m := range list {
				if m == drop {
					continue
				}
				if grp == groupO && f.OrderlyGap && !orderlyGapDone && m.shard != "" && m.n > 3*o.Messages/4 {
					orderlyGapDone = true
					continue
				}
				at := max(m.visible+ms+g.rng.Int64N(2*ms), prev+ms/5)
				prev = at
				ds = append(ds, delivery{m: m, at: at, as: m})
			}
			// The one-shot faults hit plain messages only, so that each
			// breaks one rule (a delayed message moved earlier would also
			// be early).
			plain := func(m *msg) bool {
				return m.level == 0 && !m.txn && m.shard == "" && !m.failOnce && !m.failAlways && m.outcome == history.OK
			}
			for i := 0; grp == groupG && !oneShotDone && i+2 < len(ds); i++ {
				if !plain(ds[i].m) || !plain(ds[i+1].m) || !plain(ds[i+2].m) {
					continue
				}
				if f.SwapOffsets {
					ds[i].as, ds[i+1].as = ds[i+1].m, ds[i].m
				}
				if f.Reorder {
					// i+1 is delivered just after i+2, both after they were
					// stored: a pure reordering, not a read before a write.
					ds[i+1].at = ds[i+2].at + ms/10
				}
				if f.Duplicate {
					ds = append(ds, delivery{m: ds[i].m, as: ds[i].m, at: ds[len(ds)-1].at + ms})
				}
				oneShotDone = true
				break
			}
			for _, d := range ds {
				m := d.as
				recv := history.Op{Process: proc, Type: history.OK, F: history.FReceive, Time: d.at, SimTime: d.at - epoch, Group: grp,
					Topic: topic, Queue: &history.Queue{Broker: "b", ID: q}, Offset: history.Int64(d.m.offset),
					Key: m.key, BodyDigest: history.Digest([]byte(m.key)), DelayLevel: m.level, ShardingKey: m.shard}
				if m.txn {
					recv.TxnID = "tx-" + m.key
				}
				g.emit(recv)
				end = max(end, d.at)
				ack := recv
				ack.F, ack.Time, ack.SimTime, ack.Queue, ack.Offset = history.FAck, d.at+ms/10, d.at+ms/10-epoch, nil, nil
				fails := grp == groupG && (m.failAlways || m.failOnce)
				if !fails {
					g.emit(ack)
					if grp == groupG && f.ConsumedAndDLQ && !consumedDLQDone {
						consumedDLQDone = true
						g.dlq(m, ack.Time+int64(time.Second))
					}
					continue
				}
				// The retry path: attempts 1..maxReconsume from %RETRY%G.
				last := ack
				for k := 1; ; k++ {
					last.Type = history.Fail
					g.emit(last)
					if k > maxReconsume || (m.failOnce && !m.failAlways && k > 1) {
						break
					}
					if m.failOnce && !m.failAlways && f.SkipRetry && !retryFaultDone {
						retryFaultDone = true
						break
					}
					wait := int64(retryDelays[min(k, len(retryDelays))-1]) + ms + g.rng.Int64N(5*ms)
					if m.failOnce && !m.failAlways && f.EarlyRetry && !earlyRetryDone {
						earlyRetryDone = true
						wait = ms
					}
					at := last.Time + wait
					r := recv
					r.Process, r.Time, r.SimTime, r.Reconsume = "c-G-retry", at, at-epoch, k
					r.Queue, r.Offset = &history.Queue{Broker: "b", ID: 0}, history.Int64(retryOff[grp])
					retryOff[grp]++
					g.emit(r)
					end = max(end, at)
					last = r
					last.F, last.Time, last.SimTime, last.Queue, last.Offset = history.FAck, at+ms/10, at+ms/10-epoch, nil, nil
					if m.failOnce && !m.failAlways {
						last.Type = history.OK
						g.emit(last)
						break
					}
				}
				if m.failAlways {
					g.dlq(m, last.Time+int64(time.Second))
				}
			}
		}
	}
	// Every consumer finally polls past its queue's end: nothing there. With
	// LoseTail the lost message's offset is polled and found empty.
	for _, grp := range groups {
		for q, list := range queues {
			off := int64(len(list))
			if tail != nil && q == 0 {
				off = tail.offset
			}
			at := end + int64(time.Second)
			proc := fmt.Sprintf("c-%s-%d", grp, q)
			pull := history.Op{Process: proc, Type: history.Invoke, F: history.FPull, Time: at, SimTime: at - epoch, Group: grp,
				Topic: topic, Queue: &history.Queue{Broker: "b", ID: q}, Offset: history.Int64(off)}
			g.emit(pull)
			pull.Type, pull.Time, pull.SimTime, pull.Status = history.OK, at+ms, at+ms-epoch, history.PullNoNewMsg
			g.emit(pull)
		}
	}
	// Idle time after the last event, so the settle window covers nothing
	// real: a history that stops mid-flight would excuse real loss.
	at := end + 30*int64(time.Second)
	g.emit(history.Op{Process: "observer", Type: history.OK, F: "stop", Time: at, SimTime: at - epoch})
}

func (g *gen) dlq(m *msg, at int64) {
	g.emit(history.Op{Process: "dlq-reader", Type: history.OK, F: history.FDLQ, Time: at, SimTime: at - epoch,
		Topic: "%DLQ%" + groupG, Group: groupG, Key: m.key, BodyDigest: history.Digest([]byte(m.key))})
}

// finish orders events by time (generation order breaks ties, so an invoke
// always precedes its completion) and numbers them.
func (g *gen) finish() []history.Op {
	idx := make([]int, len(g.ops))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool {
		oa, ob := &g.ops[idx[a]], &g.ops[idx[b]]
		if oa.Time != ob.Time {
			return oa.Time < ob.Time
		}
		return g.seq[idx[a]] < g.seq[idx[b]]
	})
	out := make([]history.Op, len(idx))
	for i, j := range idx {
		out[i] = g.ops[j]
		out[i].Index = int64(i)
	}
	return out
}
