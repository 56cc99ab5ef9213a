package client

import (
	"sort"
	"strconv"
	"strings"
)

// Property names the clients read or write (Java MessageConst).
const (
	PropertyTags              = "TAGS"
	PropertyKeys              = "KEYS"
	PropertyUniqKey           = "UNIQ_KEY"
	PropertyDelayLevel        = "DELAY"
	PropertyRetryTopic        = "RETRY_TOPIC"
	PropertyOriginMessageID   = "ORIGIN_MESSAGE_ID"
	PropertyReconsumeTime     = "RECONSUME_TIME"
	PropertyMaxReconsumeTimes = "MAX_RECONSUME_TIMES"
	PropertyShardingKey       = "SHARDING_KEY"
	PropertyMinOffset         = "MIN_OFFSET"
	PropertyMaxOffset         = "MAX_OFFSET"
	PropertyTransactionPrep   = "TRAN_MSG"
	PropertyProducerGroup     = "PGROUP"
	PropertyWaitStoreMsgOK    = "WAIT"
)

// Well-known topic names and prefixes.
const (
	// DefaultTopic is the template topic a broker auto-creates topics from;
	// producers fall back to its route for topics the name server does not
	// know yet.
	DefaultTopic = "TBW102"
	// DefaultTopicQueueNums caps the queues a producer uses on the
	// DefaultTopic fallback route (Java defaultTopicQueueNums).
	DefaultTopicQueueNums = 4
	RetryGroupTopicPrefix = "%RETRY%"
	DLQGroupTopicPrefix   = "%DLQ%"
)

// RetryTopic is the retry topic of a consumer group.
func RetryTopic(group string) string { return RetryGroupTopicPrefix + group }

// Message is what a producer sends.
type Message struct {
	Topic string
	Body  []byte
	// Flag is the user's int, carried untouched.
	Flag int32
	// Properties are user and system properties; nil is fine.
	Properties map[string]string
}

// NewMessage returns a message for topic with body.
func NewMessage(topic string, body []byte) *Message {
	return &Message{Topic: topic, Body: body}
}

// SetProperty sets one property.
func (m *Message) SetProperty(k, v string) *Message {
	if m.Properties == nil {
		m.Properties = map[string]string{}
	}
	m.Properties[k] = v
	return m
}

// Property returns a property's value, "" when absent.
func (m *Message) Property(k string) string { return m.Properties[k] }

// WithTag sets the message's tag.
func (m *Message) WithTag(tag string) *Message { return m.SetProperty(PropertyTags, tag) }

// Tag is the message's tag.
func (m *Message) Tag() string { return m.Properties[PropertyTags] }

// WithKeys sets the message's keys (space-separated on the wire).
func (m *Message) WithKeys(keys ...string) *Message {
	return m.SetProperty(PropertyKeys, strings.Join(keys, " "))
}

// WithShardingKey sets the key hash-based queue selection uses, so messages
// with the same key land in the same queue in order.
func (m *Message) WithShardingKey(key string) *Message {
	return m.SetProperty(PropertyShardingKey, key)
}

// ShardingKey is the message's sharding key.
func (m *Message) ShardingKey() string { return m.Properties[PropertyShardingKey] }

// WithDelayLevel asks the broker to deliver the message after delay level
// level (1 = 1 s ... 18 = 2 h by default).
func (m *Message) WithDelayLevel(level int) *Message {
	return m.SetProperty(PropertyDelayLevel, strconv.Itoa(level))
}

// UniqKey is the client-generated message id, "" before sending.
func (m *Message) UniqKey() string { return m.Properties[PropertyUniqKey] }

// PropertyKeysSorted returns the property keys sorted (for stable output).
func (m *Message) PropertyKeysSorted() []string {
	keys := make([]string, 0, len(m.Properties))
	for k := range m.Properties {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// MessageExt is a message as a consumer receives it: the stored record
// decoded, with the ids and offsets the broker assigned.
type MessageExt struct {
	Message
	// MsgID is UNIQ_KEY when the producer set one, else OffsetMsgID.
	MsgID string
	// OffsetMsgID encodes the store host and the commit log offset.
	OffsetMsgID     string
	BrokerName      string
	QueueID         int
	QueueOffset     int64
	CommitLogOffset int64
	SysFlag         int32
	ReconsumeTimes  int32
	BornTimestamp   int64 // milliseconds
	StoreTimestamp  int64 // milliseconds
	BornHost        string
	StoreHost       string
}

// Queue returns the queue the message was pulled from.
func (m *MessageExt) Queue() Queue {
	return Queue{Topic: m.Topic, BrokerName: m.BrokerName, QueueID: m.QueueID}
}
