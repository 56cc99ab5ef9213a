package topic

import (
	"errors"
	"fmt"
	"log/slog"

	"rocketsim/broker/config"
	"rocketsim/broker/table"
	"rocketsim/runtime"
)

// Clock is what the table needs of time: the node's wall clock, for
// DataVersion timestamps.
type Clock = table.Clock

// DataVersion stamps the table for the name server (see table.DataVersion).
type DataVersion = table.DataVersion

// wrapperField is the entry map's name in topics.json and in the
// TopicConfigSerializeWrapper body of a broker registration.
const wrapperField = "topicConfigTable"

// Options is what the table needs of the broker configuration.
type Options struct {
	// Path is topics.json.
	Path                  string
	ClusterName           string
	BrokerName            string
	DefaultTopicQueueNums int
	AutoCreateTopicEnable bool
	ClusterTopicEnable    bool
	BrokerTopicEnable     bool
	TraceTopicEnable      bool
	TraceTopicName        string
}

// OptionsFrom takes the table's options from the broker configuration.
func OptionsFrom(c *config.Config) Options {
	return Options{
		Path:                  c.TopicsPath(),
		ClusterName:           c.BrokerClusterName,
		BrokerName:            c.BrokerName,
		DefaultTopicQueueNums: c.DefaultTopicQueueNums,
		AutoCreateTopicEnable: c.AutoCreateTopicEnable,
		ClusterTopicEnable:    c.ClusterTopicEnable,
		BrokerTopicEnable:     c.BrokerTopicEnable,
		TraceTopicEnable:      c.TraceTopicEnable,
		TraceTopicName:        c.MsgTraceTopicName,
	}
}

// Errors of auto-creation; the send path answers TOPIC_NOT_EXIST with them.
var (
	ErrNoDefaultTopic     = errors.New("default topic does not exist")
	ErrNotInherited       = errors.New("default topic has no inherit permission")
	ErrAutoCreateDisabled = errors.New("autoCreateTopicEnable is false")
)

// Table is the broker's topic table. It lives on the broker's event loop:
// no locks, no goroutines. Every change bumps the DataVersion and is written
// to topics.json before the method returns; a write that fails leaves the
// change in memory (as RocketMQ does) and returns the error, so the caller
// can answer the client and log, and the next successful write persists it.
type Table struct {
	opts   Options
	log    *slog.Logger
	topics *table.Persisted[Config]
	system map[string]bool
}

// Open builds the table: the system topics, then whatever topics.json (or
// its .bak) holds, which wins, as RocketMQ loads the file over the built-in
// entries. A missing file is a first start; a corrupt one is an error.
func Open(fs runtime.FS, clock Clock, opts Options, log *slog.Logger) (*Table, error) {
	if opts.ClusterName == "" || opts.BrokerName == "" || opts.Path == "" {
		return nil, fmt.Errorf("topic table: cluster name, broker name and path are required")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t := &Table{opts: opts, log: log, system: map[string]bool{}}
	spec := table.Spec[Config]{Path: opts.Path, Field: wrapperField, What: "topic table",
		Name: func(c *Config) *string { return &c.TopicName }}
	topics, err := table.Open(fs, clock, spec, t.systemTopics(), log)
	if err != nil {
		return nil, err
	}
	t.topics = topics
	return t, nil
}

// systemTopics returns the topics every broker has, marking them system
// topics.
func (t *Table) systemTopics() []Config {
	var out []Config
	add := func(c Config) {
		out = append(out, c)
		t.system[c.TopicName] = true
	}
	one := func(name string) Config {
		c := NewConfig(name)
		c.ReadQueueNums, c.WriteQueueNums = 1, 1
		return c
	}
	add(one(SelfTestTopic))
	if t.opts.AutoCreateTopicEnable {
		c := NewConfig(AutoCreateTopicKey)
		c.ReadQueueNums, c.WriteQueueNums = t.opts.DefaultTopicQueueNums, t.opts.DefaultTopicQueueNums
		c.Perm = PermInherit | PermReadWrite
		add(c)
	}
	bench := NewConfig(BenchmarkTopic)
	bench.ReadQueueNums, bench.WriteQueueNums = BenchmarkQueueNums, BenchmarkQueueNums
	add(bench)
	cluster := NewConfig(t.opts.ClusterName)
	cluster.Perm = PermInherit
	if t.opts.ClusterTopicEnable {
		cluster.Perm |= PermReadWrite
	}
	add(cluster)
	broker := one(t.opts.BrokerName)
	broker.Perm = PermInherit
	if t.opts.BrokerTopicEnable {
		broker.Perm |= PermReadWrite
	}
	add(broker)
	add(one(OffsetMovedEventTopic))
	sched := NewConfig(ScheduleTopic)
	sched.ReadQueueNums, sched.WriteQueueNums = ScheduleTopicQueueNums, ScheduleTopicQueueNums
	add(sched)
	if t.opts.TraceTopicEnable {
		add(one(t.opts.TraceTopicName))
	}
	add(one(ReplyTopic(t.opts.ClusterName)))
	// RocketMQ creates the transaction topics on first use; creating them
	// now costs nothing and makes them visible to admin tools from the start.
	add(one(TransHalfTopic))
	add(one(TransOpHalfTopic))
	return out
}

// Encode returns the table as topics.json holds it, which is also the
// TopicConfigSerializeWrapper a broker registers with. Keys are sorted, so
// the same table always encodes to the same bytes.
func (t *Table) Encode() ([]byte, error) { return t.topics.Encode() }

// EncodeCompact is Encode without indentation: the body of
// GET_ALL_TOPIC_CONFIG and of a registration.
func (t *Table) EncodeCompact() ([]byte, error) { return t.topics.EncodeCompact() }

// Snapshot returns the version and a copy of every topic's configuration,
// what a broker registers with the name servers.
func (t *Table) Snapshot() (DataVersion, map[string]Config) {
	return t.topics.Version(), t.topics.Snapshot()
}

// Get returns the topic's configuration.
func (t *Table) Get(name string) (Config, bool) { return t.topics.Get(name) }

// Len is the number of topics.
func (t *Table) Len() int { return t.topics.Len() }

// Names returns every topic name, sorted.
func (t *Table) Names() []string { return t.topics.Names() }

// Configs returns every topic's configuration, sorted by name.
func (t *Table) Configs() []Config {
	out := make([]Config, 0, t.topics.Len())
	for _, n := range t.Names() {
		c, _ := t.topics.Get(n)
		out = append(out, c)
	}
	return out
}

// Version is the table's current DataVersion.
func (t *Table) Version() DataVersion { return t.topics.Version() }

// IsSystem reports whether name is a system topic: one of RocketMQ's
// reserved names, this broker's cluster, broker and reply topics, or a name
// with the rmq_sys_ prefix.
func (t *Table) IsSystem(name string) bool {
	return t.system[name] || fixedSystemTopics[name] ||
		len(name) >= len(SystemTopicPrefix) && name[:len(SystemTopicPrefix)] == SystemTopicPrefix
}

// Update creates or replaces a topic (the admin's UPDATE_AND_CREATE_TOPIC).
// As in RocketMQ, a topic named after the cluster is refused.
func (t *Table) Update(c Config) error {
	if err := c.Validate(); err != nil {
		return err
	}
	if c.TopicName == t.opts.ClusterName {
		return fmt.Errorf("%w: %s is the cluster name", ErrReserved, c.TopicName)
	}
	old, existed := t.topics.Get(c.TopicName)
	t.topics.Put(c)
	t.log.Info("topic updated", slog.String("topic", c.TopicName), slog.Bool("existed", existed),
		slog.Any("old", old), slog.Any("new", c))
	return t.topics.Changed()
}

// Delete removes a topic; it reports whether it existed.
func (t *Table) Delete(name string) (bool, error) {
	if !t.topics.Remove(name) {
		return false, nil
	}
	t.log.Info("topic deleted", slog.String("topic", name))
	return true, t.topics.Changed()
}

// CreateInSend returns the topic a send names, creating it from
// defaultTopic if it does not exist (createTopicInSendMessageMethod): the
// new topic takes min(clientQueueNums, default's write queues) queues and the
// default's permission without the inherit bit. created tells the caller to
// register with the name servers at once. When the topic cannot be created
// the error is ErrNoDefaultTopic, ErrAutoCreateDisabled, ErrNotInherited or
// ErrBadName.
func (t *Table) CreateInSend(name, defaultTopic string, clientQueueNums, sysFlag int) (c Config, created bool, err error) {
	if c, ok := t.topics.Get(name); ok {
		return c, false, nil
	}
	if err := ValidateName(name); err != nil {
		return Config{}, false, err
	}
	def, ok := t.topics.Get(defaultTopic)
	switch {
	case !ok:
		return Config{}, false, fmt.Errorf("create topic %s: %w: %s", name, ErrNoDefaultTopic, defaultTopic)
	case defaultTopic == AutoCreateTopicKey && !t.opts.AutoCreateTopicEnable:
		return Config{}, false, fmt.Errorf("create topic %s: %w", name, ErrAutoCreateDisabled)
	case !Inherited(def.Perm):
		return Config{}, false, fmt.Errorf("create topic %s: %w: %s has perm %s", name, ErrNotInherited, defaultTopic, PermString(def.Perm))
	}
	n := max(min(clientQueueNums, def.WriteQueueNums), 0)
	c = Config{
		TopicName:       name,
		ReadQueueNums:   n,
		WriteQueueNums:  n,
		Perm:            def.Perm &^ PermInherit,
		TopicSysFlag:    sysFlag,
		TopicFilterType: def.TopicFilterType,
	}
	if c.TopicFilterType == "" {
		c.TopicFilterType = SingleTag
	}
	t.topics.Put(c)
	t.log.Info("topic auto-created", slog.String("topic", name), slog.String("from", defaultTopic), slog.Int("queues", n))
	return c, true, t.topics.Changed()
}

// CreateInSendBack returns a retry or dead-letter topic, creating it with
// the given shape if missing (createTopicInSendMessageBackMethod).
func (t *Table) CreateInSendBack(name string, queueNums, perm, sysFlag int) (c Config, created bool, err error) {
	if c, ok := t.topics.Get(name); ok {
		return c, false, nil
	}
	c = NewConfig(name)
	c.ReadQueueNums, c.WriteQueueNums, c.Perm, c.TopicSysFlag = queueNums, queueNums, perm, sysFlag
	if err := c.Validate(); err != nil {
		return Config{}, false, err
	}
	t.topics.Put(c)
	t.log.Info("topic created", slog.String("topic", name), slog.Int("queues", queueNums))
	return c, true, t.topics.Changed()
}

// UpdateOrderTopics sets the order flag on exactly the given topics (the
// name server's ORDER_TOPIC_CONFIG table); it reports whether anything
// changed.
func (t *Table) UpdateOrderTopics(order []string) (bool, error) {
	want := make(map[string]bool, len(order))
	for _, n := range order {
		want[n] = true
	}
	changed := false
	for _, n := range t.Names() {
		c, _ := t.topics.Get(n)
		if c.Order != want[n] {
			c.Order = want[n]
			t.topics.Put(c)
			changed = true
		}
	}
	if !changed {
		return false, nil
	}
	return true, t.topics.Changed()
}

// Persist writes topics.json now.
func (t *Table) Persist() error { return t.topics.Persist() }
