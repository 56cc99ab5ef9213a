package transaction

import (
	"strconv"
	"strings"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// System topics and names RocketMQ 4.x uses for transactions
// (TopicValidator, TransactionalMessageUtil, MixAll).
const (
	// HalfTopic holds half (prepared) messages, queue 0, until they are
	// committed or rolled back. Consumers never subscribe to it.
	HalfTopic = "RMQ_SYS_TRANS_HALF_TOPIC"
	// OpTopic records resolved half messages: one op message per commit or
	// rollback, body = the half message's queue offset, tag "d".
	OpTopic = "RMQ_SYS_TRANS_OP_HALF_TOPIC"
	// CheckMaxTimeTopic receives half messages discarded after
	// transactionCheckMax checks.
	CheckMaxTimeTopic = "TRANS_CHECK_MAX_TIME_TOPIC"
	// SysGroup is the consumer group whose offsets record how far the
	// check service has passed the half and op queues.
	SysGroup = "CID_RMQ_SYS_TRANS"
	// RemoveTag tags op messages.
	RemoveTag = "d"
)

// Message properties of transactions (Java MessageConst).
const (
	PropertyProducerGroup = "PGROUP"
	PropertyCheckTimes    = "TRANSACTION_CHECK_TIMES"
	PropertyCheckImmunity = "CHECK_IMMUNITY_TIME_IN_SECONDS"
	// PropertyOpKey, on an op message, names the transaction it resolves
	// (the half message's UNIQ_KEY). RocketMQ's op messages carry only the
	// half's queue offset; the key lets every copy of a half message that
	// check-back re-put be recognised as resolved too.
	PropertyOpKey = "TRAN_OP_KEY"
)

// Transaction states in END_TRANSACTION's commitOrRollback (sysFlag values).
const (
	StateUnknown  = message.FlagTransactionNot
	StateCommit   = message.FlagTransCommit
	StateRollback = message.FlagTransRollback
)

// IsHalf reports whether a send is a half message: the producer sets
// TRAN_MSG=true (and the prepared bit of sysFlag, which Java ignores here).
func IsHalf(properties string) bool {
	v, ok := message.Property(properties, message.PropertyTranPrepared)
	return ok && strings.EqualFold(v, "true")
}

// PrepareHalf rewrites a message the producer sent with TRAN_MSG=true into
// the half message the broker stores (Java parseHalfMessageInner): its
// destination goes into REAL_TOPIC and REAL_QID, it moves to HalfTopic
// queue 0, and its sysFlag's transaction type is reset so the store gives
// it a consume queue entry the check service can walk.
//
// A DELAY property is dropped: the Java producer clears it on transactional
// sends, and a half message that kept it would be parked in
// SCHEDULE_TOPIC_XXXX by the store, losing its real destination.
func PrepareHalf(m *store.Message) {
	props := message.ParseProperties(m.Properties)
	props[message.PropertyRealTopic] = m.Topic
	props[message.PropertyRealQueueID] = strconv.Itoa(int(m.QueueID))
	delete(props, message.PropertyDelayLevel)
	m.Properties = message.FormatProperties(props)
	m.SysFlag &^= message.FlagTransMask
	m.Topic = HalfTopic
	m.QueueID = 0
}
