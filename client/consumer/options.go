// Package consumer is RocketMQ's push consumer as an event-driven core:
// heartbeats with the group's subscriptions, rebalancing of queues among the
// group's members, a long-polling pull loop per owned queue, offsets kept on
// the brokers (clustering) or on the local disk (broadcasting), concurrent
// and orderly consumption, and retry through the broker's retry topic.
//
// It runs on one runtime.Runtime loop and never blocks: the user's handler
// gets a done callback to call (on the loop) when it finished. client/blocking
// runs handlers on goroutines and posts their results back.
package consumer

import (
	"fmt"
	"time"

	"rocketsim/client"
)

// Model says how a group's members share messages.
type Model int

const (
	// Clustering: each queue is owned by one member; offsets live on the
	// brokers.
	Clustering Model = iota
	// Broadcasting: every member reads every queue; offsets live locally.
	Broadcasting
)

func (m Model) String() string {
	if m == Broadcasting {
		return "BROADCASTING"
	}
	return "CLUSTERING"
}

// ConsumeFrom is where a group with no stored offset starts.
type ConsumeFrom int

const (
	ConsumeFromLastOffset ConsumeFrom = iota
	ConsumeFromFirstOffset
	ConsumeFromTimestamp
)

func (c ConsumeFrom) String() string {
	switch c {
	case ConsumeFromFirstOffset:
		return "CONSUME_FROM_FIRST_OFFSET"
	case ConsumeFromTimestamp:
		return "CONSUME_FROM_TIMESTAMP"
	}
	return "CONSUME_FROM_LAST_OFFSET"
}

// Result is a handler's verdict on a batch.
type Result int

const (
	// Success: the messages are consumed; the offset may move past them.
	Success Result = iota
	// RetryLater: concurrent consumers send the messages back to the
	// broker's retry topic; orderly consumers suspend the queue and retry
	// them locally (SUSPEND_CURRENT_QUEUE_A_MOMENT).
	RetryLater
)

// Handler consumes a batch and calls done exactly once, on the consumer's
// loop, with its verdict. It may call done before returning.
type Handler func(msgs []*client.MessageExt, done func(Result))

// Defaults, as the Java DefaultMQPushConsumer and rocketmq-client-go have
// them.
const (
	PullBatchSizeDefault = 32
	// PullThresholdForQueueDefault: a queue with this many messages cached
	// and not yet consumed is not pulled (flow control).
	PullThresholdForQueueDefault = 1000
	// PullThresholdSizeForQueueDefault is the same bound in body bytes.
	PullThresholdSizeForQueueDefault = 100 << 20
	// ConsumeConcurrentlyMaxSpanDefault: concurrent consumers stop pulling
	// a queue whose cached offsets span more than this.
	ConsumeConcurrentlyMaxSpanDefault = 2000
	// FlowControlDelay is how long a throttled pull waits.
	FlowControlDelay = 50 * time.Millisecond
	// PullErrorDelay is how long a pull waits after an error.
	PullErrorDelay = 3 * time.Second
	// NotLockedDelay is how long an orderly queue not yet locked waits.
	NotLockedDelay = 3 * time.Second
	// SuspendTimeout is how long the broker may hold a pull that found
	// nothing (long polling).
	SuspendTimeout = 20 * time.Second
	// PullTimeout bounds a pull request.
	PullTimeout = 30 * time.Second
	// RequestTimeout bounds the other requests.
	RequestTimeout = 3 * time.Second
	// LockTimeout bounds LOCK_BATCH_MQ.
	LockTimeout = time.Second
	// RebalanceIntervalDefault, PersistIntervalDefault,
	// HeartbeatIntervalDefault and LockIntervalDefault are the periodic
	// tasks' periods.
	RebalanceIntervalDefault = 20 * time.Second
	PersistIntervalDefault   = 5 * time.Second
	HeartbeatIntervalDefault = 30 * time.Second
	LockIntervalDefault      = 20 * time.Second
	// LockMaxLive is how long the client trusts a queue lock it has not
	// renewed (the broker expires it after 60 s).
	LockMaxLive = 30 * time.Second
	// SuspendCurrentQueueTimeDefault is how long an orderly queue pauses
	// after RetryLater.
	SuspendCurrentQueueTimeDefault = time.Second
	// MaxReconsumeTimesDefault: after this many retries a message goes to
	// the dead-letter queue.
	MaxReconsumeTimesDefault = 16
	// SendBackFailedDelay is how long a message whose send-back failed
	// waits before it is consumed again locally.
	SendBackFailedDelay = 5 * time.Second
	// ConsumeBatchMaxDefault is consumeMessageBatchMaxSize.
	ConsumeBatchMaxDefault = 1
	// ConsumeTimestampDefault is how far back CONSUME_FROM_TIMESTAMP starts
	// when no timestamp is given (30 minutes, as Java).
	ConsumeTimestampDefault = 30 * time.Minute
)

// Options configure a Consumer.
type Options struct {
	Group       string
	NameServers []string
	// ClientIP, PID and InstanceName make the clientID; see
	// client.NewIdentity. Clustering consumers get "pid#random" instances
	// so two consumers of one process have different ids.
	ClientIP     string
	PID          int
	InstanceName string

	Model       Model
	ConsumeFrom ConsumeFrom
	// ConsumeTimestamp is where ConsumeFromTimestamp starts (zero: 30
	// minutes before start, by the node's clock).
	ConsumeTimestamp time.Time
	// Orderly consumes each queue one batch at a time, in order, holding
	// the queue's lock on the broker.
	Orderly  bool
	Strategy Strategy

	PullBatchSize              int
	PullThresholdForQueue      int
	PullThresholdSizeForQueue  int
	ConsumeConcurrentlyMaxSpan int
	ConsumeBatchMax            int
	// MaxReconsumeTimes: 0 means MaxReconsumeTimesDefault.
	MaxReconsumeTimes       int
	SuspendCurrentQueueTime time.Duration

	RebalanceInterval time.Duration
	PersistInterval   time.Duration
	HeartbeatInterval time.Duration

	// OffsetDir is where broadcasting consumers keep offsets on the
	// runtime's disk (default "consumer-offsets").
	OffsetDir string

	// OnSendBack, if set, is told when a failed message is returned to the
	// broker (CONSUMER_SEND_MSG_BACK, or the fallback send to the retry
	// topic) and returns what to call with the outcome: a history records
	// it, since a send-back that fails makes the consumer retry the
	// message itself with its reconsume count raised, past
	// maxReconsumeTimes if the broker stays out of reach.
	OnSendBack func(m *client.MessageExt) (outcome func(ok bool))
}

func (o *Options) fill() error {
	if o.Group == "" {
		return fmt.Errorf("consumer: group is required")
	}
	if len(o.NameServers) == 0 {
		return fmt.Errorf("consumer %s: no name server address", o.Group)
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.PullBatchSize, PullBatchSizeDefault)
	def(&o.PullThresholdForQueue, PullThresholdForQueueDefault)
	def(&o.PullThresholdSizeForQueue, PullThresholdSizeForQueueDefault)
	def(&o.ConsumeConcurrentlyMaxSpan, ConsumeConcurrentlyMaxSpanDefault)
	def(&o.ConsumeBatchMax, ConsumeBatchMaxDefault)
	def(&o.MaxReconsumeTimes, MaxReconsumeTimesDefault)
	defD(&o.SuspendCurrentQueueTime, SuspendCurrentQueueTimeDefault)
	defD(&o.RebalanceInterval, RebalanceIntervalDefault)
	defD(&o.PersistInterval, PersistIntervalDefault)
	defD(&o.HeartbeatInterval, HeartbeatIntervalDefault)
	if o.Strategy == nil {
		o.Strategy = AllocateByAveragely
	}
	if o.OffsetDir == "" {
		o.OffsetDir = "consumer-offsets"
	}
	return nil
}
