package scenario

import (
	"fmt"
	"time"
)

// MQParams are the parameters of the "mq" workload: producers sending to
// RocketMQ brokers over the real remoting protocol, consumers pulling with
// long polling, judged by the jepsen checkers.
type MQParams struct {
	// Topic is the topic every producer sends to (created on first send,
	// from TBW102, as autoCreateTopicEnable does).
	Topic string `yaml:"topic"`
	// Queues is the topic's queue count on each broker.
	Queues int `yaml:"queues"`
	// Interval is how often each producer tries to send a message.
	Interval time.Duration `yaml:"interval"`
	// Timeout bounds one send or one pull beyond its long-poll hold.
	Timeout time.Duration `yaml:"timeout"`
	// Window bounds a producer's sends in flight.
	Window int `yaml:"window"`
	// Body is the message body size in bytes.
	Body int `yaml:"body"`
	// Group is the consumers' group.
	Group string `yaml:"group"`
	// Hold is how long a pull that finds nothing waits at the broker.
	Hold time.Duration `yaml:"hold"`
}

// Defaults and bounds of MQParams.
const (
	mqTopicDefault    = "SimTopic"
	mqQueuesDefault   = 4
	mqQueuesMax       = 64
	mqWindowMax       = 1024
	mqBodyMax         = 1 << 20 // below the baseline maxMessageSize
	mqGroupDefault    = "sim-group"
	mqHoldDefault     = time.Second
	mqTimeoutDefault  = 3 * time.Second
	mqIntervalDefault = 20 * time.Millisecond
)

func (p MQParams) withDefaults() MQParams {
	if p.Topic == "" {
		p.Topic = mqTopicDefault
	}
	if p.Queues == 0 {
		p.Queues = mqQueuesDefault
	}
	if p.Interval == 0 {
		p.Interval = mqIntervalDefault
	}
	if p.Timeout == 0 {
		p.Timeout = mqTimeoutDefault
	}
	if p.Window == 0 {
		p.Window = 4
	}
	if p.Body == 0 {
		p.Body = 64
	}
	if p.Group == "" {
		p.Group = mqGroupDefault
	}
	if p.Hold == 0 {
		p.Hold = mqHoldDefault
	}
	return p
}

func (p MQParams) validate() error {
	switch {
	case !nodeNameRE.MatchString(p.Topic):
		return fmt.Errorf("topic %q: use letters, digits, '-', '_' and '.'", p.Topic)
	case p.Queues < 1 || p.Queues > mqQueuesMax:
		return fmt.Errorf("queues %d outside 1..%d", p.Queues, mqQueuesMax)
	case p.Interval <= 0 || p.Timeout <= 0 || p.Hold <= 0:
		return fmt.Errorf("interval, timeout and hold must be positive")
	case p.Window < 1 || p.Window > mqWindowMax:
		return fmt.Errorf("window %d outside 1..%d", p.Window, mqWindowMax)
	case p.Body < 1 || p.Body > mqBodyMax:
		return fmt.Errorf("body %d outside 1..%d", p.Body, mqBodyMax)
	case !nodeNameRE.MatchString(p.Group):
		return fmt.Errorf("group %q: use letters, digits, '-', '_' and '.'", p.Group)
	}
	return nil
}

// MQ deployment constants: where the simulated name server and brokers
// listen.
const (
	MQNamesrvPort = 9876
	MQBrokerPort  = 10911
)

// MQBrokerConf is the broker.conf of a broker node: a simulator baseline
// (its name, address and name server, SYNC_FLUSH, auto-created topics,
// small segments so the simulated disk stays small) under the node's own
// options, which win.
func MQBrokerConf(n Node, host, namesrvAddr string, p MQParams) map[string]string {
	kv := map[string]string{
		"brokerClusterName":          "DefaultCluster",
		"brokerName":                 n.Name,
		"namesrvAddr":                namesrvAddr,
		"brokerIP1":                  host,
		"listenPort":                 fmt.Sprint(MQBrokerPort),
		"storePathRootDir":           "store",
		"flushDiskType":              "SYNC_FLUSH",
		"autoCreateTopicEnable":      "true",
		"defaultTopicQueueNums":      fmt.Sprint(p.Queues),
		"maxMessageSize":             fmt.Sprint(2 << 20),
		"mappedFileSizeCommitLog":    fmt.Sprint(4 << 20),
		"mappedFileSizeConsumeQueue": fmt.Sprint(20 * 6000),
	}
	for k, v := range n.Conf {
		kv[k] = v
	}
	return kv
}
