package mq

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// Spec describes one run: the topology, the workload and the fault schedule.
type Spec struct {
	// Brokers is the number of broker nodes (each a master of its own broker
	// name), named broker-0, broker-1, ...
	Brokers int
	// BrokerConf holds broker.conf keys that override the simulator's
	// baseline (BaseBrokerConf) on every broker, e.g. flushDiskType.
	BrokerConf map[string]string
	// Producers and Consumers are the client node counts. The consumers form
	// one clustering group (Group) and split the queues between them.
	Producers, Consumers int
	// Topic is created on first send from TBW102, with Queues queues on
	// each broker.
	Topic  string
	Queues int
	// Group is the consumers' group.
	Group string
	// Interval is the mean gap between two sends of one producer; each gap
	// is drawn uniformly from [Interval/2, 3*Interval/2) of the producer's
	// seeded stream.
	Interval time.Duration
	// Window bounds a producer's sends in flight.
	Window int
	// Body is the body size in bytes.
	Body int
	// Tags are given to messages in turn ("" entries send no tag).
	Tags []string
	// Subscription is the regular group's tag expression ("" or "*": every
	// message; "TagA||TagB": those tags), filtered by the broker on the
	// tag hash and by the consumer on the tag itself, as RocketMQ does.
	// The verification group always reads every message.
	Subscription string
	// Timeout bounds one send, and one pull beyond its long-poll Hold.
	Timeout, Hold time.Duration
	// Duration is the workload phase.
	Duration time.Duration
	// Faults strike during the workload phase.
	Faults []Fault
	// Chaos adds this many faults drawn from the seed (see chaosFaults), so
	// that a sweep over seeds explores fault schedules as well as timings.
	Chaos int
	// Drain bounds the recovery and verification phases each.
	Drain time.Duration
	// Batch, above 1, makes each core producer tick send that many messages
	// as one SEND_BATCH_MESSAGE (core clients only): one history send per
	// message, the i-th at the batch's first offset + i.
	Batch int
	// Clients selects the producer and regular consumer implementation
	// ("" means RawClients). The verification group is always raw.
	Clients ClientKind
	// ClockSkew, when positive, starts every node's wall clock at an offset
	// drawn uniformly from [-ClockSkew, ClockSkew] of the seed; the
	// checkers then allow 2*ClockSkew of disagreement between clients
	// (unless Options.Check sets ClockError).
	ClockSkew time.Duration
	// FsyncMin and FsyncMax bound each broker fsync's latency, drawn
	// uniformly by the broker's disk (both 0: instant). A slow fsync widens
	// the window in which SYNC_FLUSH puts wait for group commit.
	FsyncMin, FsyncMax time.Duration
	// Mix lists the kinds of message each producer sends, in turn (nil:
	// Normal only). Kinds other than Normal need the core clients.
	Mix []MessageKind
	// DelayLevel is the level Delay messages ask for (0: DefaultDelayLevel).
	DelayLevel int
	// MaxReconsumeTimes is the regular group's maxReconsumeTimes (0:
	// RocketMQ's 16). A Failing message is attempted 1 + this many times.
	MaxReconsumeTimes int
	// FailRate is the probability that the regular group's listener fails
	// an attempt at any message (core clients only): it is retried later.
	// The outcome is a function of the message key and attempt, so copies
	// of a message fare alike.
	FailRate float64
	// ConsumeDelay is how long the regular group's listener takes over
	// each batch (core clients only): a slow consumer.
	ConsumeDelay time.Duration
	// Orderly makes the regular group consume orderly (one batch per queue
	// at a time, holding the queue's lock) and the producers send each
	// message with one of ShardingKeys sharding keys (default 8), hashed to
	// a queue, one send at a time: per key, the group must see send order
	// with no gaps (core clients; normal and fail messages only). The
	// topic is auto-created, so with several brokers its queue count
	// changes when a second broker first stores it, and keys move: judge
	// key order with one broker, or with StrictOrder.
	Orderly      bool
	ShardingKeys int
	// StrictOrder puts the topic in the name servers' ORDER_TOPIC_CONFIG
	// (every broker, Queues each) before they start, with
	// orderMessageEnable, as `mqadmin updateOrderConf` does: routes then
	// carry orderTopicConf, producers hash over that fixed queue list
	// whatever brokers are up, and a key whose broker is down fails to
	// send rather than move (RocketMQ's strict ordering).
	StrictOrder bool
	// Broadcast makes the regular group consume in broadcasting mode (core
	// clients): every consumer reads every message, keeps its offsets on
	// its own disk, and a failed message is not retried (RocketMQ drops
	// it).
	Broadcast bool
	// FinalPowerLoss cuts every broker's power after the producers stop
	// and restarts it before the groups drain, so the verification group
	// reads only what reached the media.
	FinalPowerLoss bool
}

// Bounds on a Spec, so a scenario cannot ask for a run that does not fit in
// memory or time.
const (
	BrokersMax   = 8
	ClientsMax   = 32
	QueuesMax    = 64
	WindowMax    = 1024
	BodyMax      = 1 << 20
	DurationMax  = time.Hour
	DrainMax     = 10 * time.Minute
	IntervalMin  = time.Millisecond
	FaultsMax    = 1000
	DefaultDrain = 2 * time.Minute
	FsyncMax     = 10 * time.Second
	BatchMax     = 64
	// DelayLevelMax is the longest default delay table's size.
	DelayLevelMax = 18
	// MaxReconsumeTimesMax bounds retries per message (RocketMQ's default
	// is 16).
	MaxReconsumeTimesMax = 32
	// ShardingKeysMax bounds an orderly run's sharding keys per producer.
	ShardingKeysMax = 1024
	// DefaultShardingKeys is an orderly run's sharding keys per producer.
	DefaultShardingKeys = 8
)

// DefaultSpec is a small cluster: one broker, two producers, two consumers,
// four queues, a minute of sends every 20 ms per producer, no faults.
func DefaultSpec() Spec {
	return Spec{
		Brokers:   1,
		Producers: 2,
		Consumers: 2,
		Topic:     "SimTopic",
		Queues:    4,
		Group:     "sim-group",
		Interval:  20 * time.Millisecond,
		Window:    8,
		Body:      64,
		Tags:      []string{"TagA", "TagB"},
		Timeout:   3 * time.Second,
		Hold:      time.Second,
		Duration:  time.Minute,
		Drain:     DefaultDrain,
	}
}

// Validate reports the first thing wrong with s.
func (s Spec) Validate() error {
	switch {
	case s.Brokers < 1 || s.Brokers > BrokersMax:
		return fmt.Errorf("mq spec: brokers %d outside 1..%d", s.Brokers, BrokersMax)
	case s.Producers < 1 || s.Producers > ClientsMax:
		return fmt.Errorf("mq spec: producers %d outside 1..%d", s.Producers, ClientsMax)
	case s.Consumers < 1 || s.Consumers > ClientsMax:
		return fmt.Errorf("mq spec: consumers %d outside 1..%d", s.Consumers, ClientsMax)
	case s.Topic == "" || s.Group == "":
		return fmt.Errorf("mq spec: topic and group are required")
	case s.Queues < 1 || s.Queues > QueuesMax:
		return fmt.Errorf("mq spec: queues %d outside 1..%d", s.Queues, QueuesMax)
	case s.Interval < IntervalMin:
		return fmt.Errorf("mq spec: interval %v below %v", s.Interval, IntervalMin)
	case s.Window < 1 || s.Window > WindowMax:
		return fmt.Errorf("mq spec: window %d outside 1..%d", s.Window, WindowMax)
	case s.Body < 1 || s.Body > BodyMax:
		return fmt.Errorf("mq spec: body %d outside 1..%d", s.Body, BodyMax)
	case s.Timeout <= 0 || s.Hold <= 0:
		return fmt.Errorf("mq spec: timeout and hold must be positive")
	case s.Duration <= 0 || s.Duration > DurationMax:
		return fmt.Errorf("mq spec: duration %v outside (0, %v]", s.Duration, DurationMax)
	case s.Drain <= 0 || s.Drain > DrainMax:
		return fmt.Errorf("mq spec: drain %v outside (0, %v]", s.Drain, DrainMax)
	case s.FsyncMin < 0 || s.FsyncMax < s.FsyncMin || s.FsyncMax > FsyncMax:
		return fmt.Errorf("mq spec: fsync latency [%v, %v] outside 0 <= min <= max <= %v", s.FsyncMin, s.FsyncMax, FsyncMax)
	case strings.ContainsAny(s.Subscription, " \t\n"):
		return fmt.Errorf("mq spec: subscription %q: tags joined by ||, without spaces", s.Subscription)
	case s.Clients != "" && s.Clients != RawClients && s.Clients != CoreClients:
		return fmt.Errorf("mq spec: clients %q: use %q or %q", s.Clients, RawClients, CoreClients)
	case s.ClockSkew < 0 || s.ClockSkew > time.Hour:
		return fmt.Errorf("mq spec: clock skew %v outside [0, 1h]", s.ClockSkew)
	case s.Batch < 0 || s.Batch > BatchMax:
		return fmt.Errorf("mq spec: batch %d outside 0..%d", s.Batch, BatchMax)
	case s.Batch > 1 && s.Clients != CoreClients:
		return fmt.Errorf("mq spec: batches need the core clients")
	case s.Chaos < 0 || len(s.Faults)+s.Chaos > FaultsMax:
		return fmt.Errorf("mq spec: %d faults and %d chaos faults, at most %d in all", len(s.Faults), s.Chaos, FaultsMax)
	case s.DelayLevel < 0 || s.DelayLevel > DelayLevelMax:
		return fmt.Errorf("mq spec: delay level %d outside 0..%d", s.DelayLevel, DelayLevelMax)
	case s.MaxReconsumeTimes < 0 || s.MaxReconsumeTimes > MaxReconsumeTimesMax:
		return fmt.Errorf("mq spec: max reconsume times %d outside 0..%d", s.MaxReconsumeTimes, MaxReconsumeTimesMax)
	case s.FailRate < 0 || s.FailRate > 1:
		return fmt.Errorf("mq spec: fail rate %v outside [0, 1]", s.FailRate)
	case s.ConsumeDelay < 0 || s.ConsumeDelay > time.Minute:
		return fmt.Errorf("mq spec: consume delay %v outside [0, 1m]", s.ConsumeDelay)
	case (s.FailRate > 0 || s.ConsumeDelay > 0) && s.Clients != CoreClients:
		return fmt.Errorf("mq spec: a failing or slow listener needs the core clients")
	case s.Orderly && s.Clients != CoreClients:
		return fmt.Errorf("mq spec: orderly consumption needs the core clients")
	case s.Broadcast && s.Clients != CoreClients:
		return fmt.Errorf("mq spec: broadcasting needs the core clients")
	case s.StrictOrder && !s.Orderly:
		return fmt.Errorf("mq spec: strict order is for orderly runs")
	case s.Broadcast && s.Orderly:
		return fmt.Errorf("mq spec: broadcasting and orderly consumption do not go together here")
	case s.ShardingKeys < 0 || s.ShardingKeys > ShardingKeysMax:
		return fmt.Errorf("mq spec: sharding keys %d outside 0..%d", s.ShardingKeys, ShardingKeysMax)
	case len(s.Faults) > FaultsMax:
		return fmt.Errorf("mq spec: %d faults, at most %d", len(s.Faults), FaultsMax)
	}
	for _, k := range s.Mix {
		switch {
		case !slices.Contains(MessageKinds, k):
			return fmt.Errorf("mq spec: message kind %q: use one of %v", k, MessageKinds)
		case k != Normal && s.Clients != CoreClients:
			return fmt.Errorf("mq spec: %s messages need the core clients", k)
		case k != Normal && k != Failing && s.Batch > 1:
			return fmt.Errorf("mq spec: %s messages cannot go in batches", k)
		case k != Normal && k != Failing && s.Orderly:
			return fmt.Errorf("mq spec: %s messages break the order of their queue; orderly runs take normal and fail", k)
		}
	}
	for i, f := range s.Faults {
		if err := f.validate(s); err != nil {
			return fmt.Errorf("mq spec: fault %d: %w", i, err)
		}
	}
	return nil
}

// BrokerName is the node name of broker i.
func BrokerName(i int) string { return fmt.Sprintf("broker-%d", i) }

// ProducerName and ConsumerName are the client node names.
func ProducerName(i int) string { return fmt.Sprintf("producer-%d", i) }

// ConsumerName is the node name of consumer i of the regular group.
func ConsumerName(i int) string { return fmt.Sprintf("consumer-%d", i) }

// Node names of the fixed nodes.
const (
	NamesrvName  = "namesrv"
	VerifierName = "verifier"
	// VerifyGroup is the verification phase's consumer group.
	VerifyGroup = "sim-verify"
)

// subscribedTags is the set of tags an expression selects; nil selects
// every message.
func subscribedTags(expr string) map[string]bool {
	if expr == "" || expr == "*" {
		return nil
	}
	set := map[string]bool{}
	for _, t := range strings.Split(expr, "||") {
		if t != "" {
			set[t] = true
		}
	}
	return set
}

// transactional reports whether any message of the mix is transactional.
func (s Spec) transactional() bool {
	for _, k := range s.Mix {
		if k.transactional() {
			return true
		}
	}
	return false
}

// recordsAcks reports whether the regular group's listener ever fails a
// message: then it records each attempt's outcome as an ack, for the retry
// checker, and consumes one message at a time so a failure retries only
// the message that failed.
func (s Spec) recordsAcks() bool { return s.FailRate > 0 || slices.Contains(s.Mix, Failing) }

func (s Spec) consumeBatchMax() int {
	if s.recordsAcks() {
		return 1
	}
	return 0
}

// shardingKey is message n's sharding key in an orderly run ("" otherwise):
// stable across the node's incarnations, so a key's order spans restarts.
func (s Spec) shardingKey(node string, n int) string {
	if !s.Orderly {
		return ""
	}
	keys := s.ShardingKeys
	if keys == 0 {
		keys = DefaultShardingKeys
	}
	return fmt.Sprintf("%s-k%d", node, n%keys)
}

// window is how many sends (batches) a producer keeps in flight: one in an
// orderly run, where a key's send order is the order its sends complete.
func (s Spec) window() int {
	if s.Orderly {
		return 1
	}
	return s.Window
}
