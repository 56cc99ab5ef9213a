package store

import "fmt"

// PutStatus is the outcome of a put (Java PutMessageStatus).
type PutStatus int

const (
	PutOK PutStatus = iota
	FlushDiskTimeout
	FlushSlaveTimeout
	SlaveNotAvailable
	ServiceNotAvailable
	CreateMappedFileFailed
	MessageIllegal
	PropertiesSizeExceeded
	OSPageCacheBusy
	UnknownError
)

var putStatusNames = [...]string{"PUT_OK", "FLUSH_DISK_TIMEOUT", "FLUSH_SLAVE_TIMEOUT",
	"SLAVE_NOT_AVAILABLE", "SERVICE_NOT_AVAILABLE", "CREATE_MAPPED_FILE_FAILED",
	"MESSAGE_ILLEGAL", "PROPERTIES_SIZE_EXCEEDED", "OS_PAGECACHE_BUSY", "UNKNOWN_ERROR"}

func (s PutStatus) String() string {
	if s < 0 || int(s) >= len(putStatusNames) {
		return fmt.Sprintf("PutStatus(%d)", int(s))
	}
	return putStatusNames[s]
}

// PutResult is what a put reports through its callback.
type PutResult struct {
	Status PutStatus
	// MsgID is the offset message id (store host + commit log offset).
	MsgID          string
	PhysicalOffset int64
	QueueOffset    int64
	WroteBytes     int32
	StoreTimestamp int64
	// Topic and QueueID are where the message went: a delayed message is
	// stored in SCHEDULE_TOPIC_XXXX, not the topic it was sent to.
	Topic   string
	QueueID int32
	// Err says why a put failed, in words fit for a response remark. The
	// record may still be in the commit log after FLUSH_DISK_TIMEOUT.
	Err error
}

// GetStatus is the outcome of a read from a consume queue (Java
// GetMessageStatus).
type GetStatus int

const (
	Found GetStatus = iota
	NoMatchedMessage
	MessageWasRemoving
	OffsetFoundNull
	OffsetOverflowBadly
	OffsetOverflowOne
	OffsetTooSmall
	NoMatchedLogicQueue
	NoMessageInQueue
)

var getStatusNames = [...]string{"FOUND", "NO_MATCHED_MESSAGE", "MESSAGE_WAS_REMOVING",
	"OFFSET_FOUND_NULL", "OFFSET_OVERFLOW_BADLY", "OFFSET_OVERFLOW_ONE", "OFFSET_TOO_SMALL",
	"NO_MATCHED_LOGIC_QUEUE", "NO_MESSAGE_IN_QUEUE"}

func (s GetStatus) String() string {
	if s < 0 || int(s) >= len(getStatusNames) {
		return fmt.Sprintf("GetStatus(%d)", int(s))
	}
	return getStatusNames[s]
}
