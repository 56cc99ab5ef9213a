package scenario

import (
	"fmt"
	"time"

	"rocketsim/jepsen/check"
	"rocketsim/sim/mq"
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

	// Clients are "raw" (the default: hand-written wire clients, static
	// queue split, judging the brokers alone) or "core" (this project's
	// producer and push consumer: routes, retries, rebalancing, and every
	// message kind and listener behaviour below).
	Clients string `yaml:"clients"`
	// Mix lists the kinds of message each producer sends, in turn:
	// normal, delay, commit, rollback, unknown (the check-back decides),
	// fail (the listener always fails it: retries, then the DLQ). Kinds
	// other than normal need core clients.
	Mix []string `yaml:"mix"`
	// DelayLevel is the level delay messages ask for (default 2).
	DelayLevel int `yaml:"delay-level"`
	// Batch, above 1, sends that many messages per SEND_BATCH_MESSAGE
	// (core clients).
	Batch int `yaml:"batch"`
	// Tags are given to messages in turn; Subscription is the regular
	// group's tag expression ("TagA||TagB"; default every message).
	Tags         []string `yaml:"tags"`
	Subscription string   `yaml:"subscription"`
	// MaxReconsumeTimes is the regular group's maxReconsumeTimes (default
	// RocketMQ's 16).
	MaxReconsumeTimes int `yaml:"max-reconsume-times"`
	// FailRate is the chance the listener fails any one attempt, and
	// ConsumeDelay how long it takes over each batch (core clients).
	FailRate     float64       `yaml:"fail-rate"`
	ConsumeDelay time.Duration `yaml:"consume-delay"`
	// ClockError bounds how far the clients' clocks may disagree, for the
	// checkers that compare two clients' times (delay, retry, ...).
	ClockError time.Duration `yaml:"clock-error"`
	// Orderly makes the regular group consume orderly and the producers
	// send with ShardingKeys sharding keys (default 8) hashed to queues,
	// one send at a time (core clients; mix of normal and fail only).
	Orderly      bool `yaml:"orderly"`
	ShardingKeys int  `yaml:"sharding-keys"`
	// StrictOrder puts the topic in the name server's ORDER_TOPIC_CONFIG
	// on every broker (RocketMQ's strict ordering; orderly runs).
	StrictOrder bool `yaml:"strict-order"`
	// Broadcast makes the regular group consume in broadcasting mode:
	// every consumer receives every message (core clients).
	Broadcast bool `yaml:"broadcast"`
	// TxnCheckWithin bounds the time from an undecided half message to its
	// first check-back (transactions.check-missing, check-late); 0: not
	// judged.
	TxnCheckWithin time.Duration `yaml:"txn-check-within"`
	// Drain bounds the final drain and the verification read each
	// (default 2m).
	Drain time.Duration `yaml:"drain"`
	// FinalPowerLoss cuts every broker's power once the producers stop,
	// so the verification group reads only what reached the media
	// (default true).
	FinalPowerLoss *bool `yaml:"final-power-loss"`
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
	if p.Clients == "" {
		p.Clients = string(mq.RawClients)
	}
	if p.Drain == 0 {
		p.Drain = mq.DefaultDrain
	}
	if p.FinalPowerLoss == nil {
		yes := true
		p.FinalPowerLoss = &yes
	}
	return p
}

// Check is the checkers' configuration these params set; sim/mq adds the
// deployment's own facts (groups, delay table, retry limit).
func (p MQParams) Check() check.Config {
	var c check.Config
	c.ClockError = p.ClockError
	c.Txn.CheckWithin = p.TxnCheckWithin
	return c
}

// Spec is the sim/mq workload these params describe. Node counts and
// faults come from the scenario's topology and schedule, not from here.
func (p MQParams) Spec() mq.Spec {
	s := mq.DefaultSpec()
	s.Topic, s.Queues, s.Group = p.Topic, p.Queues, p.Group
	s.Interval, s.Timeout, s.Hold, s.Window, s.Body = p.Interval, p.Timeout, p.Hold, p.Window, p.Body
	s.Clients = mq.ClientKind(p.Clients)
	s.Mix = nil
	for _, k := range p.Mix {
		s.Mix = append(s.Mix, mq.MessageKind(k))
	}
	s.DelayLevel, s.Batch = p.DelayLevel, p.Batch
	s.Tags, s.Subscription = p.Tags, p.Subscription
	s.MaxReconsumeTimes, s.FailRate, s.ConsumeDelay = p.MaxReconsumeTimes, p.FailRate, p.ConsumeDelay
	s.Orderly, s.ShardingKeys, s.Broadcast = p.Orderly, p.ShardingKeys, p.Broadcast
	s.StrictOrder = p.StrictOrder
	s.Drain = p.Drain
	s.FinalPowerLoss = p.FinalPowerLoss == nil || *p.FinalPowerLoss
	return s
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
	case p.ClockError < 0 || p.ClockError > time.Hour:
		return fmt.Errorf("clock-error %v outside [0, 1h]", p.ClockError)
	case p.TxnCheckWithin < 0 || p.TxnCheckWithin > time.Hour:
		return fmt.Errorf("txn-check-within %v outside [0, 1h]", p.TxnCheckWithin)
	}
	if err := p.Spec().Validate(); err != nil {
		return err
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

// MQClientOptions are an mq producer's or consumer's own options (a
// topology node's "options"), over the workload's params.
type MQClientOptions struct {
	// A producer's gap between sends, sends in flight, body size and mix.
	Interval time.Duration `yaml:"interval"`
	Window   int           `yaml:"window"`
	Body     int           `yaml:"body"`
	Mix      []string      `yaml:"mix"`
	// A consumer's group (default the params' group; each group receives
	// every message), and its listener: failure rate and slowness (core
	// clients).
	Group        string        `yaml:"group"`
	Subscription string        `yaml:"subscription"`
	FailRate     float64       `yaml:"fail-rate"`
	ConsumeDelay time.Duration `yaml:"consume-delay"`
}

// MQClient decodes client node n's options (nil when it has none).
func MQClient(n Node) (*mq.ClientOverrides, error) {
	if n.Options.Kind == 0 {
		return nil, nil
	}
	var o MQClientOptions
	if err := decodeStrict(&n.Options, &o, "node "+n.Name+" options"); err != nil {
		return nil, err
	}
	if o.Group != "" && !nodeNameRE.MatchString(o.Group) {
		return nil, fmt.Errorf("line %d: node %s: group %q: use letters, digits, '-', '_' and '.'", n.Options.Line, n.Name, o.Group)
	}
	c := &mq.ClientOverrides{Interval: o.Interval, Window: o.Window, Body: o.Body, Group: o.Group, Subscription: o.Subscription, FailRate: o.FailRate, ConsumeDelay: o.ConsumeDelay}
	for _, k := range o.Mix {
		c.Mix = append(c.Mix, mq.MessageKind(k))
	}
	return c, nil
}

// validateMQClient checks client node n's options against the params, as
// the deployment will.
func validateMQClient(n Node, p MQParams) error {
	c, err := MQClient(n)
	if err != nil || c == nil {
		return err
	}
	nodes := []mq.NodeSpec{{Name: "ns", Role: mq.RoleNamesrv}, {Name: "b", Role: mq.RoleBroker},
		{Name: "p", Role: mq.RoleProducer}, {Name: "c", Role: mq.RoleConsumer}}
	for i := range nodes {
		if nodes[i].Role == mq.Role(n.Role) {
			nodes[i].Client = c
		}
	}
	return mq.CheckNodes(p.Spec(), nodes)
}
