package store

import (
	"log/slog"

	"rocketsim/broker/config"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

// Config is MessageStoreConfig: RocketMQ's key names and defaults, shared
// with the broker's configuration loader.
type Config = config.Store

// DefaultConfig is RocketMQ 4.x's store configuration.
func DefaultConfig() Config { return config.Defaults().Store }

// Options are what the store needs beyond its configuration.
type Options struct {
	FS    runtime.FS
	Clock runtime.Clock
	Log   *slog.Logger
	// Post, if set, is the runtime's Post (runtime.Runtime.Post): the
	// store then hands a loop turn's records to the OS right after the
	// events already queued, instead of through a zero-delay timer. In the
	// real runtime a timer costs an OS timer and a goroutine per turn,
	// during which the loop sits idle; that was the largest single cost of
	// an ASYNC_FLUSH put. Nil keeps the timer (same order of events).
	Post func(fn func())
	// StoreHost is the broker's address as written into every record and
	// message id (brokerIP1:listenPort).
	StoreHost message.Addr

	// Buggify, if set, is runtime.Buggify for the store's runtime: the
	// store asks it where it may take a rare but legal path.
	Buggify func(site string) bool

	// MessageArriving, if set, is called on the loop after each new
	// message's consume queue unit is written (Java's
	// MessageArrivingListener): the broker wakes long-polling pulls with
	// it. It is not called for records replayed by recovery.
	MessageArriving func(a Arrival)

	// DiskSpaceWarningLevelRatio: above this share of the volume used,
	// writes are refused (Java system property
	// rocketmq.broker.diskSpaceWarningLevelRatio, default 0.90).
	DiskSpaceWarningLevelRatio float64
	// DiskSpaceCleanForciblyRatio: above this share, expired or not, the
	// oldest files are removed (rocketmq.broker.diskSpaceCleanForciblyRatio,
	// default 0.85).
	DiskSpaceCleanForciblyRatio float64

	// WriteBehindChunk and WriteBehindFlights override the commit log's
	// write-behind bounds (commitlog.WriteBehindChunk, WriteBehindFlights)
	// when positive: tests shrink them so that small workloads put writes
	// in flight.
	WriteBehindChunk   int
	WriteBehindFlights int

	// WarmAhead overrides how far past the end of the commit log its file
	// is zero-filled ahead of the records when positive (tests); 0 keeps
	// warmMapedFileEnable's choice (commitlog.WarmAhead or none).
	WarmAhead int64
}

// Java's system-property defaults.
const (
	DiskSpaceWarningLevelRatioDefault  = 0.90
	DiskSpaceCleanForciblyRatioDefault = 0.85
)

// ScheduleTopic holds delayed messages until their time (Java
// TopicValidator.RMQ_SYS_SCHEDULE_TOPIC).
const ScheduleTopic = "SCHEDULE_TOPIC_XXXX"

// Bounds of the store's own loops and queues.
const (
	// syncWaitersMax bounds SYNC_FLUSH puts waiting for an fsync; beyond
	// it puts are refused with OS_PAGECACHE_BUSY rather than queued
	// without limit (each holds a callback and, upstream, a request).
	syncWaitersMax = 1 << 16
	// fsyncRetryDelay paces retries after a failed fsync.
	fsyncRetryDelayMillis = 10
	// dispatchRetryDelayMillis paces retries of a failed consume queue or
	// index write (disk full), and the disk check while refusing writes.
	dispatchRetryDelayMillis = 1000
	// pageSize is the OS page RocketMQ counts flushLeastPages in.
	pageSize = 4096
	// cleanFilesPerRound bounds how many commit log files one retention
	// pass deletes (Java deleteFileBatchMax... deletes up to 10).
	cleanFilesPerRound = 10
	// recoverCleanSegments is how many trailing commit log segments a
	// recovery after a clean shutdown checks (Java: the last 3).
	recoverCleanSegments = 3
	// queryMaxNum bounds a query-by-key answer whatever the caller asks
	// (Java maxMsgsNumBatch).
	queryMaxNum = 64
)

// Arrival describes a message that just became readable in a queue.
type Arrival struct {
	Topic          string
	QueueID        int32
	QueueOffset    int64
	TagsCode       int64
	StoreTimestamp int64
	Properties     string
}
