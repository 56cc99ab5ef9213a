package producer

import (
	"fmt"

	"rocketsim/client"
	"rocketsim/remoting"
)

// SendStatus is how the broker stored a message.
type SendStatus int

const (
	SendOK SendStatus = iota
	SendFlushDiskTimeout
	SendFlushSlaveTimeout
	SendSlaveNotAvailable
)

func (s SendStatus) String() string {
	switch s {
	case SendOK:
		return "SEND_OK"
	case SendFlushDiskTimeout:
		return "FLUSH_DISK_TIMEOUT"
	case SendFlushSlaveTimeout:
		return "FLUSH_SLAVE_TIMEOUT"
	case SendSlaveNotAvailable:
		return "SLAVE_NOT_AVAILABLE"
	}
	return fmt.Sprintf("SendStatus(%d)", int(s))
}

// SendResult is the broker's answer to a send.
type SendResult struct {
	Status SendStatus
	// MsgID is the client-generated UNIQ_KEY (comma-joined for a batch).
	MsgID string
	// OffsetMsgID is the broker's id: store host and commit log offset
	// (comma-joined for a batch).
	OffsetMsgID   string
	Queue         client.Queue
	QueueOffset   int64
	TransactionID string
	RegionID      string
	TraceOn       bool
}

func (r *SendResult) String() string {
	return fmt.Sprintf("%s msgId=%s offsetMsgId=%s %s offset=%d", r.Status, r.MsgID, r.OffsetMsgID, r.Queue, r.QueueOffset)
}

// BrokerError is a send refused by the broker with a response code.
type BrokerError struct {
	Code   int16
	Remark string
	Broker string
}

func (e *BrokerError) Error() string {
	return fmt.Sprintf("broker %s: %s (%d): %s", e.Broker, remoting.ResponseName(e.Code), e.Code, e.Remark)
}

// retriable reports whether Java's producer tries again (on another broker)
// after this code.
func (e *BrokerError) retriable() bool {
	switch e.Code {
	case remoting.RespTopicNotExist, remoting.RespServiceNotAvailable, remoting.RespSystemError,
		remoting.RespNoPermission, remoting.RespNoBuyerId, remoting.RespNotInCurrentUnit:
		return true
	}
	return false
}

// statusOf maps a send response code to a status; ok is false for codes that
// mean the message was not stored.
func statusOf(code int16) (SendStatus, bool) {
	switch code {
	case remoting.RespSuccess:
		return SendOK, true
	case remoting.RespFlushDiskTimeout:
		return SendFlushDiskTimeout, true
	case remoting.RespFlushSlaveTimeout:
		return SendFlushSlaveTimeout, true
	case remoting.RespSlaveNotAvailable:
		return SendSlaveNotAvailable, true
	}
	return 0, false
}
