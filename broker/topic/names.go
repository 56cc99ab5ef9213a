package topic

import (
	"errors"
	"fmt"
)

// System topics, RocketMQ's TopicValidator and MixAll names.
const (
	// AutoCreateTopicKey is the template topic new topics are created from
	// when autoCreateTopicEnable is on; clients name it as the default
	// topic of a send.
	AutoCreateTopicKey = "TBW102"
	// ScheduleTopic holds delayed messages, one queue per delay level.
	ScheduleTopic  = "SCHEDULE_TOPIC_XXXX"
	BenchmarkTopic = "BenchmarkTest"
	// TransHalfTopic holds prepared transactional messages; TransOpHalfTopic
	// records their commit or rollback.
	TransHalfTopic         = "RMQ_SYS_TRANS_HALF_TOPIC"
	TransOpHalfTopic       = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	TransCheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC"
	TraceTopic             = "RMQ_SYS_TRACE_TOPIC"
	SelfTestTopic          = "SELF_TEST_TOPIC"
	OffsetMovedEventTopic  = "OFFSET_MOVED_EVENT"
	// SystemTopicPrefix marks further system topics.
	SystemTopicPrefix = "rmq_sys_"
	// ReplyTopicSuffix names the request-reply topic "<cluster>_REPLY_TOPIC".
	ReplyTopicSuffix = "REPLY_TOPIC"
	// RetryGroupTopicPrefix + group is a consumer group's retry topic;
	// DLQGroupTopicPrefix + group its dead-letter topic.
	RetryGroupTopicPrefix = "%RETRY%"
	DLQGroupTopicPrefix   = "%DLQ%"
)

// Queue counts RocketMQ gives its system topics.
const (
	// ScheduleTopicQueueNums is one queue per default delay level.
	ScheduleTopicQueueNums = 18
	BenchmarkQueueNums     = 1024
	// DefaultQueueNums is a TopicConfig's queue count when none is given.
	DefaultQueueNums = 16
	// MaxQueueNums bounds a topic's read and write queue counts: each queue
	// is a consume-queue directory and a slot in every rebalance.
	MaxQueueNums = 1024
	// MaxNameLength is TopicValidator's bound on a topic name.
	MaxNameLength = 127
)

// RetryTopic is the retry topic of a consumer group.
func RetryTopic(group string) string { return RetryGroupTopicPrefix + group }

// DLQTopic is the dead-letter topic of a consumer group.
func DLQTopic(group string) string { return DLQGroupTopicPrefix + group }

// IsRetryTopic reports whether topic is some group's retry topic.
func IsRetryTopic(topic string) bool {
	return len(topic) > len(RetryGroupTopicPrefix) && topic[:len(RetryGroupTopicPrefix)] == RetryGroupTopicPrefix
}

// IsDLQTopic reports whether topic is some group's dead-letter topic.
func IsDLQTopic(topic string) bool {
	return len(topic) > len(DLQGroupTopicPrefix) && topic[:len(DLQGroupTopicPrefix)] == DLQGroupTopicPrefix
}

// ReplyTopic is the request-reply topic of a cluster.
func ReplyTopic(cluster string) string { return cluster + "_" + ReplyTopicSuffix }

// notAllowedSend are topics only the broker itself writes
// (TopicValidator's NOT_ALLOWED_SEND_TOPIC_SET, 4.9.8).
var notAllowedSend = map[string]bool{
	ScheduleTopic: true, TransHalfTopic: true, TransOpHalfTopic: true, TransCheckMaxTimeTopic: true,
	SelfTestTopic: true, OffsetMovedEventTopic: true,
}

// IsNotAllowedSend reports whether clients may not send to topic.
func IsNotAllowedSend(topic string) bool { return notAllowedSend[topic] }

// fixedSystemTopics are system topics by name; a Table adds the cluster,
// broker and reply topics of its broker.
var fixedSystemTopics = map[string]bool{
	AutoCreateTopicKey: true, ScheduleTopic: true, BenchmarkTopic: true, TransHalfTopic: true,
	TransOpHalfTopic: true, TransCheckMaxTimeTopic: true, TraceTopic: true, SelfTestTopic: true,
	OffsetMovedEventTopic: true,
}

// Errors for topic names RocketMQ refuses.
var (
	ErrBadName = errors.New("invalid topic name")
	// ErrNotAllowedSend: a system topic only the broker writes; sends to
	// it are refused.
	ErrNotAllowedSend = errors.New("sending to this topic is not allowed")
	// ErrReserved: the admin may not create a topic named after the cluster.
	ErrReserved = errors.New("topic name is reserved")
)

// ValidateSendTopic is the send path's check (msgCheck): a valid name that
// is not a topic only the broker writes. (Clients refuse TBW102 themselves;
// the broker does not.)
func ValidateSendTopic(name string) error {
	if err := ValidateName(name); err != nil {
		return err
	}
	if IsNotAllowedSend(name) {
		return fmt.Errorf("%w: %s is written by the broker only", ErrNotAllowedSend, name)
	}
	return nil
}

// ValidateName applies TopicValidator's rules: not empty, at most 127
// characters, only letters, digits, '%', '|', '-' and '_'.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrBadName)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: %q is %d characters long, at most %d allowed", ErrBadName, name, len(name), MaxNameLength)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '%' || c == '|' || c == '-' || c == '_') {
			return fmt.Errorf("%w: %q contains %q; allowed are letters, digits, %%, |, - and _", ErrBadName, name, c)
		}
	}
	return nil
}
