// Package transaction is the broker's side of RocketMQ 4.x transactional
// messages: half messages, END_TRANSACTION (commit or rollback) and the
// check-back service that asks producers about half messages left
// unresolved (TransactionalMessageServiceImpl, EndTransactionProcessor and
// TransactionalMessageCheckService in Java).
//
// A transactional send is stored as a half message in HalfTopic queue 0
// (PrepareHalf). END_TRANSACTION commits it, putting the real message to
// its topic once, or rolls it back, putting nothing visible; either way an
// op message in OpTopic records that the half message is resolved. Every
// transactionCheckInterval the service walks the half messages older than
// transactionTimeOut that no op resolved and asks a producer of their group
// (CHECK_TRANSACTION_STATE) what became of them; each check re-puts the half
// message with TRANSACTION_CHECK_TIMES incremented, and after
// transactionCheckMax checks the message is discarded to CheckMaxTimeTopic.
//
// Exactly-once commit. A commit writes the real message, then the op. The
// op log alone cannot stop a second commit of the same transaction: a crash
// can fall between the two writes, and check-back copies of a half message
// sit at other offsets than the one a late END_TRANSACTION names. So a
// transaction is identified by its half message's UNIQ_KEY, shared by every
// copy, and before putting a commit the service asks (1) the op log, read
// back from OpTopic after a restart, whether the key is resolved, (2) its
// in-flight set whether a commit of the key is being written, and (3) the
// store's index whether the real topic already holds a COMMIT record with
// that UNIQ_KEY, which is the case after a crash between the two writes
// (the store rebuilds its index from the commit log on recovery). Only when
// all three say no is the real message put. The third check needs
// messageIndexEnable (the default); without it, or for a half message
// without UNIQ_KEY, only the op log protects, as in RocketMQ.
//
// Progress. How far the check service has passed the half and op queues is
// stored as consumer offsets of SysGroup, as RocketMQ does, through the
// Progress interface (the broker's offset table, persisted with it). An
// offset is passed only once what it needs is durable: the op that resolved
// it, or the check copy that replaces it (under ASYNC_FLUSH a put is
// answered before its fsync; the progress waits for the fsync, so a power
// loss cannot leave a half message passed but neither resolved nor copied).
//
// The service is a library on the broker's event loop: it uses only the
// runtime's clock and timers and never starts a goroutine.
package transaction

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

// Bounds of the service.
const (
	// checkScanMax bounds the half messages one check round examines, so a
	// large backlog cannot hold the loop (Java bounds a round by 60 s).
	checkScanMax = 2000
	// readBatchMax bounds one read of the half or op queue.
	readBatchMax = 32
	// resolvedKeysMax bounds the remembered resolved transaction keys; the
	// oldest are forgotten first, after which the index check still stops
	// a second commit.
	resolvedKeysMax = 1 << 16
	// checkInflightMax bounds check copies waiting for their put's answer.
	checkInflightMax = 256
	// queryMaxNum bounds the index hits examined for a committed copy.
	queryMaxNum = 32
)

// Defaults for zero options (RocketMQ's BrokerConfig).
const (
	TimeOutDefault       = 6 * time.Second
	CheckIntervalDefault = 60 * time.Second
	CheckMaxDefault      = 15
)

// Errors End reports; callers test with errors.Is.
var (
	// ErrHalfNotFound: no half message at the given commit log offset.
	ErrHalfNotFound = errors.New("find prepared transaction message failed")
	// ErrMismatch: the half message does not match the request (producer
	// group, queue offset or commit log offset).
	ErrMismatch = errors.New("transaction request does not match the half message")
	// ErrStopped: the service was stopped.
	ErrStopped = errors.New("transaction service stopped")
)

// Store is what the service reads: the broker's *store.Store.
type Store interface {
	LookMessageByOffset(phy int64) (message.Record, []byte, error)
	GetMessage(topic string, queueID int32, offset int64, maxMsgNums int, filter store.Filter) store.GetResult
	MinOffsetInQueue(topic string, queueID int32) int64
	MaxOffsetInQueue(topic string, queueID int32) int64
	QueryMessage(topic, key string, maxNum int, begin, end int64) ([][]byte, error)
	// SyncedPhyOffset is how far the commit log is on the media.
	SyncedPhyOffset() int64
}

// Putter stores a message: the broker's put, which also wakes held pulls.
// done runs on the loop, possibly before Putter returns (a refused put).
type Putter func(m *store.Message, done func(store.PutResult))

// Progress keeps the check service's offsets (the broker's consumer offset
// table): Query returns -1 when there is none.
type Progress interface {
	Query(group, topic string, queueID int32) int64
	Commit(group, topic string, queueID int32, offset int64)
}

// CheckRequest is CHECK_TRANSACTION_STATE's header (§8.3).
type CheckRequest struct {
	CommitLogOffset      int64
	TranStateTableOffset int64
	OffsetMsgID          string
	MsgID                string
	TransactionID        string
}

// Checker sends CHECK_TRANSACTION_STATE (39), oneway, to a live producer of
// producerGroup; body is the half message in stored format with its real
// topic and queue. It returns an error when no producer of the group is
// connected: the check is counted anyway, as in RocketMQ.
type Checker func(producerGroup string, req CheckRequest, body []byte) error

// Options configure the service.
type Options struct {
	Clock runtime.Clock
	Log   *slog.Logger
	// StoreHost is written as born host of the op and discard messages.
	StoreHost message.Addr
	// TimeOut is transactionTimeOut: how old a half message must be before
	// it is checked (unless it carries CHECK_IMMUNITY_TIME_IN_SECONDS).
	TimeOut time.Duration
	// CheckInterval is transactionCheckInterval.
	CheckInterval time.Duration
	// CheckMax is transactionCheckMax.
	CheckMax int
	// ProducerOnline, when set, says whether a producer of the group is
	// connected. A half message whose group has none is not checked that
	// round, and the check is not counted: RocketMQ counts it (it re-puts
	// the message before looking for a channel), so producers offline for
	// transactionCheckMax rounds lose their transactions to the discard
	// topic without ever being asked.
	ProducerOnline func(group string) bool
}

// Stats count what the service did.
type Stats struct {
	Commits, Rollbacks  int64 // ends that resolved a half message
	Duplicates          int64 // ends for a transaction already resolved or being resolved
	CommitsFoundInIndex int64 // commits found written by an earlier run (crash between the writes)
	Checks              int64 // CHECK_TRANSACTION_STATE sent (or attempted)
	CheckNoProducer     int64 // checks skipped or failed: no producer of the group connected
	Discarded           int64 // half messages given up after CheckMax checks
	Rounds              int64
}

// Service is the transaction service. Call its methods on the loop only.
type Service struct {
	opt   Options
	st    Store
	put   Putter
	prog  Progress
	check Checker
	log   *slog.Logger

	// halfProgress: every half message below it is passed (resolved,
	// replaced by its check copy, or discarded).
	halfProgress int64
	// passed holds passed half offsets at or above halfProgress, each with
	// the commit log end of the record that justifies passing it (the op,
	// the check copy): the progress moves over it only once the commit log
	// is synced that far, which under ASYNC_FLUSH is later than the put's
	// answer. 0 needs nothing.
	passed map[int64]int64
	// inflight holds half offsets whose check copy or discard is being put.
	inflight map[int64]struct{}

	// opProgress: every op below it resolves a half below halfProgress.
	opProgress int64
	// halfCommitted and opCommitted are the offsets last handed to prog.
	halfCommitted, opCommitted int64
	// opRead is the next op offset to read back.
	opRead int64
	// opHalf maps op offsets at or above opProgress to the half offset they
	// resolve.
	opHalf map[int64]int64

	// resolved remembers resolved transaction keys, oldest first in order,
	// with the commit log end of their op.
	resolved map[string]int64
	order    []string
	// ending holds keys whose commit or rollback is being written.
	ending map[string]struct{}

	timer   runtime.Timer
	stopped bool
	// Stats counts what the service did.
	Stats Stats
}

// Start recovers the service's state from the progress offsets and the op
// log and schedules the first check round.
func Start(st Store, put Putter, prog Progress, check Checker, opt Options) (*Service, error) {
	if opt.TimeOut <= 0 {
		opt.TimeOut = TimeOutDefault
	}
	if opt.CheckInterval <= 0 {
		opt.CheckInterval = CheckIntervalDefault
	}
	if opt.CheckMax <= 0 {
		opt.CheckMax = CheckMaxDefault
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	s := &Service{opt: opt, st: st, put: put, prog: prog, check: check,
		log:    opt.Log.With(slog.String("component", "transaction")),
		passed: map[int64]int64{}, inflight: map[int64]struct{}{}, opHalf: map[int64]int64{},
		resolved: map[string]int64{}, ending: map[string]struct{}{}}
	s.halfProgress = s.startOffset(HalfTopic)
	s.opProgress = s.startOffset(OpTopic)
	s.opRead = s.opProgress
	s.halfCommitted, s.opCommitted = -1, -1 // the first advance records where this run starts
	if err := s.catchUp(); err != nil {
		return nil, fmt.Errorf("transaction: recover op log: %w", err)
	}
	s.arm()
	return s, nil
}

// startOffset is where the service resumes in topic's queue 0: its
// committed progress, kept inside what the store still holds.
func (s *Service) startOffset(topic string) int64 {
	lo, hi := s.st.MinOffsetInQueue(topic, 0), s.st.MaxOffsetInQueue(topic, 0)
	off := s.prog.Query(SysGroup, topic, 0)
	switch {
	case off < 0:
		return lo
	case off < lo:
		s.log.Warn("transaction progress below the queue's first entry", slog.String("topic", topic),
			slog.Int64("offset", off), slog.Int64("min", lo))
		return lo
	case off > hi:
		s.log.Warn("transaction progress past the queue's end", slog.String("topic", topic),
			slog.Int64("offset", off), slog.Int64("max", hi))
		return hi
	}
	return off
}

// Stop ends the check rounds and commits the progress. Ends in flight may
// still complete; they are idempotent on replay.
func (s *Service) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	if s.timer != nil {
		s.timer.Stop()
	}
	s.commitProgress()
}

// Progress returns the half and op offsets the service has passed.
func (s *Service) Progress() (half, op int64) { return s.halfProgress, s.opProgress }

func (s *Service) arm() {
	s.timer = s.opt.Clock.AfterFunc(s.opt.CheckInterval, func() {
		s.timer = nil
		if s.stopped {
			return
		}
		s.CheckNow()
		s.arm()
	})
}

// remember records a resolved transaction key, forgetting the oldest past
// resolvedKeysMax.
func (s *Service) remember(key string, end int64) {
	if key == "" {
		return
	}
	if _, ok := s.resolved[key]; ok {
		return
	}
	s.resolved[key] = end
	s.order = append(s.order, key)
	if len(s.order) > resolvedKeysMax {
		delete(s.resolved, s.order[0])
		s.order = s.order[1:]
	}
}

// keyOf identifies a transaction: its UNIQ_KEY, shared by every check copy
// of its half message, else the half message's own commit log offset.
func keyOf(rec *message.Record) string {
	if v, ok := message.Property(rec.Properties, message.PropertyUniqKey); ok && v != "" {
		return v
	}
	return fmt.Sprintf("@%d", rec.PhysicalOffset)
}

// isResolved says whether an op resolved the transaction key (through
// any copy of its half message).
func (s *Service) isResolved(key string) bool {
	_, ok := s.resolved[key]
	return ok
}
