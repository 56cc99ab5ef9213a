// Package history is the one history format shared by the simulator and the
// multi-process runner: JSON lines, one operation event per line.
//
// An operation is an invoke event followed (later, possibly after events of
// other processes) by one completion of the same process and function: ok
// (it happened), fail (it certainly did not happen) or info (unknown, e.g. a
// timeout). As in Jepsen, a process performs one operation at a time; a
// client with several operations in flight uses one process id per in-flight
// slot ("producer-1/3"). A completion without an outstanding invoke of its
// process and function is a point event: something the client observed at
// one instant, such as a push consumer's delivery ("receive") or a listener's
// verdict ("ack").
//
// # Recording guide
//
// The checkers can only judge what clients record, so record this:
//
//   - Every message carries a unique key (the KEYS property). Checkers follow
//     a message by its key (falling back to msg_id), through retries and the
//     dead-letter queue. Record body_digest with Digest on send and receive,
//     so corruption is a different value.
//   - send: invoke with topic, queue (the MessageQueue the producer chose),
//     key, body_digest, tags, delay_level, txn_id, sharding_key; complete ok
//     with the offset from the SendResult when the status is SEND_OK, info
//     when the message may have been stored (timeout, connection lost,
//     FLUSH_DISK_TIMEOUT, FLUSH_SLAVE_TIMEOUT, SLAVE_NOT_AVAILABLE), fail
//     only when it certainly was not. A batch is one send per message, each
//     on its own process slot, with offset = the batch's first offset + i.
//   - receive: one ok point event per message handed to the listener, with
//     group, the original topic (not %RETRY%), queue and queue offset, key,
//     body_digest, reconsume count (and txn_id/delay_level/sharding_key when
//     the message carries them). Record in the order the client core hands
//     messages over; a broadcasting consumer uses process "instance/..." so
//     the instance is the part before the first "/".
//   - ack: ok point event for CONSUME_SUCCESS, fail for RECONSUME_LATER,
//     with group, key and reconsume.
//   - pull (optional, sharpens linearizability): a read of one queue at one
//     offset; complete it ok with status NO_NEW_MSG when the queue ends
//     there (any other status is ignored by the checkers).
//   - dlq: a reader of %DLQ%group records one ok event per message found,
//     with group and key.
//   - commit / rollback: ok point events when the producer's local
//     transaction decides (txn_id); check: ok point event per check-back the
//     producer answered, txn_state = commit, rollback or unknown.
//   - time is the client's own wall clock in ns; sim_time, when the
//     simulator knows it, is true time for analysis only.
package history

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Type is an event's kind: invoke or one of the three completions.
type Type string

// The event types. They are Jepsen's.
const (
	Invoke Type = "invoke"
	OK     Type = "ok"
	Fail   Type = "fail"
	Info   Type = "info"
)

func (t Type) valid() bool {
	switch t {
	case Invoke, OK, Fail, Info:
		return true
	}
	return false
}

// Functions recorded by clients. The checkers give each one a meaning:
//
//   - send: a producer sends one message. The invoke carries topic, queue,
//     key, msg_id, body_digest, tags, delay_level, txn_id, sharding_key; an ok
//     completion adds the queue offset the broker assigned (for a delayed or
//     transactional half message that offset is in a system topic and is not
//     used). fail means the message was certainly not stored; any status
//     where it may have been stored (timeout, FLUSH_DISK_TIMEOUT,
//     SLAVE_NOT_AVAILABLE) is info.
//   - pull: a read of one queue at one offset. An ok completion with status
//     NO_NEW_MSG means "no message at that offset yet"; messages found are
//     recorded as receive events.
//   - receive: one message handed to the application, with group, topic,
//     queue, offset, msg_id, key, body_digest and reconsume count. Usually a
//     point event.
//   - ack: the listener's verdict on a received message: ok is
//     CONSUME_SUCCESS, fail is RECONSUME_LATER.
//   - send-back: the consumer returned a failed message to the broker.
//   - dlq: a message observed in the group's dead-letter queue.
//   - commit, rollback: the producer's decision on a transaction (txn_id).
//   - check: the broker's check-back reached the producer; txn_state is the
//     producer's answer (commit, rollback, unknown).
//   - commit-offset: a consumer committed its offset for a queue.
const (
	FSend         = "send"
	FPull         = "pull"
	FReceive      = "receive"
	FAck          = "ack"
	FSendBack     = "send-back"
	FDLQ          = "dlq"
	FCommit       = "commit"
	FRollback     = "rollback"
	FCheck        = "check"
	FCommitOffset = "commit-offset"
)

// PullNoNewMsg is the status of a pull that found no message at its offset
// because the queue ends there: the only pull result the linearizability
// checker reads as "nothing at this offset". NO_MATCHED_MSG (filtered out)
// and OFFSET_ILLEGAL prove nothing of the kind.
const PullNoNewMsg = "NO_NEW_MSG"

// Transaction states, as recorded in txn_state.
const (
	TxnCommit   = "commit"
	TxnRollback = "rollback"
	TxnUnknown  = "unknown"
)

// Queue names one message queue: a broker's queue of a topic. The topic is
// the op's own field.
type Queue struct {
	Broker string `json:"broker"`
	ID     int    `json:"id"`
}

func (q Queue) String() string { return fmt.Sprintf("%s/%d", q.Broker, q.ID) }

// Op is one event of a history. Zero-valued optional fields are left out of
// the JSON; Offset is a pointer because offset 0 is a real offset.
type Op struct {
	Index   int64  `json:"index"`
	Process string `json:"process"`
	Type    Type   `json:"type"`
	F       string `json:"f"`
	// Time is the client's local wall clock, ns since the Unix epoch. Clocks of
	// different clients may disagree; checkers that compare them take a
	// configured clock-error bound.
	Time int64 `json:"time"`
	// SimTime is the simulator's true time in ns, for analysis only: a
	// history from real processes has none, so no verdict may depend on it.
	SimTime int64 `json:"sim_time,omitempty"`

	Topic       string `json:"topic,omitempty"`
	Queue       *Queue `json:"queue,omitempty"`
	Offset      *int64 `json:"offset,omitempty"`
	MsgID       string `json:"msg_id,omitempty"`
	Key         string `json:"key,omitempty"`
	BodyDigest  string `json:"body_digest,omitempty"`
	Tags        string `json:"tags,omitempty"`
	DelayLevel  int    `json:"delay_level,omitempty"`
	Reconsume   int    `json:"reconsume,omitempty"`
	TxnID       string `json:"txn_id,omitempty"`
	TxnState    string `json:"txn_state,omitempty"`
	Group       string `json:"group,omitempty"`
	ShardingKey string `json:"sharding_key,omitempty"`
	// Status is the broker's result where it says more than ok/fail/info:
	// a pull's PullStatus (NO_NEW_MSG), a send's SendStatus.
	Status string `json:"status,omitempty"`
	Error  string `json:"error,omitempty"`
}

// clone copies the op without sharing its pointer fields, so a completion
// built from an invoke can change its queue or offset in place.
func (o Op) clone() Op {
	if o.Queue != nil {
		q := *o.Queue
		o.Queue = &q
	}
	if o.Offset != nil {
		o.Offset = Int64(*o.Offset)
	}
	return o
}

// Int64 returns a pointer to v, for Op.Offset.
func Int64(v int64) *int64 { return &v }

// HasOffset reports whether the op carries an offset.
func (o *Op) HasOffset() bool { return o.Offset != nil }

// OffsetValue returns the op's offset, or -1 when it has none.
func (o *Op) OffsetValue() int64 {
	if o.Offset == nil {
		return -1
	}
	return *o.Offset
}

// MessageID is the identity checkers use to follow one message from send to
// delivery: the key when set (workloads give every message a unique key, and
// keys survive retries and dead-lettering), else the msg_id.
func (o *Op) MessageID() string {
	if o.Key != "" {
		return o.Key
	}
	return o.MsgID
}

// QueueKey names the op's queue including its topic ("topic@broker/id"), or
// "" when the op has no queue.
func (o *Op) QueueKey() string {
	if o.Queue == nil {
		return ""
	}
	return o.Topic + "@" + o.Queue.String()
}

// Validate reports the first structural problem of the event.
func (o *Op) Validate() error {
	if !o.Type.valid() {
		return fmt.Errorf("index %d: bad type %q", o.Index, o.Type)
	}
	if o.Process == "" {
		return fmt.Errorf("index %d: empty process", o.Index)
	}
	if o.F == "" {
		return fmt.Errorf("index %d: empty f", o.Index)
	}
	if o.Offset != nil && *o.Offset < 0 {
		return fmt.Errorf("index %d: negative offset %d", o.Index, *o.Offset)
	}
	if o.Reconsume < 0 || o.DelayLevel < 0 {
		return fmt.Errorf("index %d: negative reconsume or delay_level", o.Index)
	}
	return nil
}

// Digest is the body_digest every recorder uses: the first 8 bytes of the
// body's SHA-256, in hex. Checkers compare digests, so all clients must
// compute them alike.
func Digest(body []byte) string {
	sum := sha256.Sum256(body)
	return hex.EncodeToString(sum[:8])
}
