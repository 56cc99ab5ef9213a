// Package producer is RocketMQ's producer as an event-driven core: it sends
// messages (async, oneway, batch) to the brokers a topic's route names,
// retrying on another broker after a failure, avoiding slow brokers, and
// compressing large bodies. It runs on a runtime.Runtime's loop and never
// blocks; client/blocking turns it into a synchronous API.
package producer

import (
	"fmt"
	"time"
)

// Defaults, as rocketmq-client-go and the Java DefaultMQProducer have them.
const (
	// SendTimeoutDefault is sendMsgTimeout: the whole send, retries
	// included, must finish within it.
	SendTimeoutDefault = 3 * time.Second
	// RetryTimesDefault is retryTimesWhenSendFailed: attempts after the
	// first, each on another broker when there is one.
	RetryTimesDefault = 2
	// CompressOverDefault is compressMsgBodyOverHowmuch: bodies of at least
	// this many bytes are sent zlib-compressed.
	CompressOverDefault = 4 << 10
	// CompressLevelDefault is the zlib level the Go client uses.
	CompressLevelDefault = 5
	// MessageSizeMaxDefault is maxMessageSize (4 MiB): bigger bodies are
	// refused before sending.
	MessageSizeMaxDefault = 4 << 20
	// HeartbeatIntervalDefault is heartbeatBrokerInterval.
	HeartbeatIntervalDefault = 30 * time.Second
	// BatchCountMax bounds the messages of one batch; the broker's frame
	// bound (and MessageSizeMaxDefault on the whole body) also applies.
	BatchCountMax = 1024
)

// Options configure a Producer. Zero values take the defaults.
type Options struct {
	Group       string
	NameServers []string
	// ClientIP, PID and InstanceName make the clientID and the message ids;
	// see client.NewIdentity.
	ClientIP     string
	PID          int
	InstanceName string

	SendTimeout time.Duration
	// RetryTimes is retryTimesWhenSendFailed; 0 means RetryTimesDefault,
	// negative means no retry.
	RetryTimes int
	// RetryAnotherBrokerWhenNotStoreOK retries when the broker stored the
	// message but answered FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT or
	// SLAVE_NOT_AVAILABLE (the retry may duplicate the message).
	RetryAnotherBrokerWhenNotStoreOK bool
	// LatencyFaultEnable turns on Java's MQFaultStrategy: a broker that
	// answered slowly or failed is avoided for a while.
	LatencyFaultEnable bool
	CompressOver       int
	CompressLevel      int
	MessageSizeMax     int
	HeartbeatInterval  time.Duration
	// Selector picks the queue of Send; nil means round robin over the
	// route's queues, skipping the broker that just failed.
	Selector Selector
	// Transactions, when set, runs local transactions for
	// SendInTransaction and answers the brokers' check-backs.
	Transactions TransactionListener
}

func (o *Options) fill() error {
	if o.Group == "" {
		return fmt.Errorf("producer: group is required")
	}
	if len(o.NameServers) == 0 {
		return fmt.Errorf("producer %s: no name server address", o.Group)
	}
	if o.SendTimeout <= 0 {
		o.SendTimeout = SendTimeoutDefault
	}
	if o.RetryTimes == 0 {
		o.RetryTimes = RetryTimesDefault
	} else if o.RetryTimes < 0 {
		o.RetryTimes = 0
	}
	if o.CompressOver <= 0 {
		o.CompressOver = CompressOverDefault
	}
	if o.CompressLevel == 0 {
		o.CompressLevel = CompressLevelDefault
	}
	if o.MessageSizeMax <= 0 {
		o.MessageSizeMax = MessageSizeMaxDefault
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = HeartbeatIntervalDefault
	}
	return nil
}
