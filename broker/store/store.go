package store

import (
	"errors"
	"fmt"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"time"

	"rocketsim/broker/store/checkpoint"
	"rocketsim/broker/store/commitlog"
	"rocketsim/broker/store/consumequeue"
	"rocketsim/broker/store/index"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

// ErrClosed: the store was shut down.
var ErrClosed = errors.New("message store is shut down")

// ErrNotWritable: writes are refused (disk full or over the warning level,
// or a consume queue or index write failed and is being retried).
var ErrNotWritable = errors.New("service not available now, maybe disk full")

// qkey names a consume queue.
type qkey struct {
	topic string
	queue int32
}

func (k qkey) String() string { return k.topic + "-" + strconv.Itoa(int(k.queue)) }

// Store is the message store. Call its methods only on the node's loop.
type Store struct {
	cfg   Config
	opt   Options
	fs    runtime.FS
	clock runtime.Clock
	log   *slog.Logger

	cl     *commitlog.Log
	queues map[qkey]*consumequeue.Queue
	// lastQueue is the queue found last (dispatch of a run of records to
	// one queue looks it up once); dropQueue forgets it.
	lastQueue *consumequeue.Queue
	// queueOffsets is the next queue offset per topic-queue (Java
	// topicQueueTable), assigned at append time; a pointer, so a put
	// hashes its key once.
	queueOffsets map[qkey]*int64
	ix           *index.Index
	cp           *checkpoint.File
	cpState      checkpoint.Checkpoint

	// dispatched is the commit log offset up to which records have their
	// consume queue units and index entries written. It trails the end of
	// the log only while a failed dispatch (disk full) is being retried.
	dispatched int64
	// lastStoreTimestamp is the store time of the newest appended record;
	// flushedStoreTimestamp of the newest synced one (checkpoint).
	lastStoreTimestamp    int64
	dispatchedTimestamp   int64
	flushedStoreTimestamp int64

	flush flusher

	// Refusal state: why writes are refused now, if they are.
	diskFull      bool  // usage above the warning level, or ENOSPC seen
	diskFullCause error // the ENOSPC that set diskFull, if one did
	dispatchStuck error // a consume queue/index write failed
	fsyncBroken   bool  // an fsync failed: acknowledged data would be at risk
	lastUsage     float64

	timers  [timerSlots]runtime.Timer
	encBuf  []byte
	closed  bool
	abortAt string
	// pending are the records put but not yet dispatched, in log order.
	pending pendingRecords
	// writeScheduled: the write timer will flush the commit log buffer.
	writeScheduled bool
	turnClock      turnClock
	// recovering: records are being replayed, not newly put.
	recovering bool

	// stats for tests and reports
	Stats Stats
}

// Stats counts what the store did.
type Stats struct {
	Puts, PutBytes, Fsyncs, FsyncErrors, FlushTimeouts int64
	RecoveredRecords                                   int64
	RecoveryTruncatedBytes                             int64
	DeletedCommitLogFiles                              int64
}

// Open opens (or creates) the store and recovers it. After a clean
// shutdown recovery is fast; after a crash or power loss the commit log is
// scanned from the checkpoint and the consume queues and index are
// rebuilt past it.
func Open(cfg Config, opt Options) (*Store, error) {
	if opt.FS == nil || opt.Clock == nil {
		panic("store: Open needs an FS and a Clock")
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	if opt.DiskSpaceWarningLevelRatio == 0 {
		opt.DiskSpaceWarningLevelRatio = DiskSpaceWarningLevelRatioDefault
	}
	if opt.DiskSpaceCleanForciblyRatio == 0 {
		opt.DiskSpaceCleanForciblyRatio = DiskSpaceCleanForciblyRatioDefault
	}
	if len(opt.StoreHost.IP) == 0 {
		opt.StoreHost = message.AddrV4(127, 0, 0, 1, 10911)
	}
	if cfg.MaxMessageSize <= 0 || cfg.MappedFileSizeCommitLog <= int64(cfg.MaxMessageSize) {
		return nil, fmt.Errorf("store: maxMessageSize %d must be positive and below mappedFileSizeCommitLog %d",
			cfg.MaxMessageSize, cfg.MappedFileSizeCommitLog)
	}
	s := &Store{cfg: cfg, opt: opt, fs: opt.FS, clock: opt.Clock, log: opt.Log,
		queues: map[qkey]*consumequeue.Queue{}, queueOffsets: map[qkey]*int64{}}
	s.flush.s = s
	if err := s.fs.MkdirAll(cfg.StorePathRootDir); err != nil {
		return nil, fmt.Errorf("store: mkdir %s: %w", cfg.StorePathRootDir, err)
	}
	if err := s.load(); err != nil {
		s.closeFiles()
		return nil, err
	}
	s.startTimers()
	return s, nil
}

func (s *Store) load() error {
	var err error
	if s.cl, err = commitlog.Open(s.fs, s.cfg.CommitLogDir(), s.cfg.MappedFileSizeCommitLog); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	chunk, flights := commitlog.WriteBehindChunk, commitlog.WriteBehindFlights
	if s.opt.WriteBehindChunk > 0 {
		chunk = s.opt.WriteBehindChunk
	}
	if s.opt.WriteBehindFlights > 0 {
		flights = s.opt.WriteBehindFlights
	}
	s.cl.SetWriteBehind(chunk, flights, s.commitLogWritten)
	switch {
	case s.opt.WarmAhead > 0:
		s.cl.SetWarmAhead(s.opt.WarmAhead)
	case s.cfg.WarmMapedFileEnable:
		s.cl.SetWarmAhead(commitlog.WarmAhead)
	}
	if err := s.loadQueues(); err != nil {
		return err
	}
	if s.cfg.MessageIndexEnable {
		if s.ix, err = index.Open(s.fs, s.cfg.IndexDir(), int32(s.cfg.MaxHashSlotNum), int32(s.cfg.MaxIndexNum)); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	cp, state, cpOK, err := checkpoint.Open(s.fs, s.cfg.CheckpointPath())
	if err != nil {
		return fmt.Errorf("store: %w", err)
	}
	s.cp, s.cpState = cp, state
	s.abortAt = s.cfg.AbortPath()
	_, statErr := s.fs.Stat(s.abortAt)
	abnormal := statErr == nil
	if !cpOK && len(s.cl.Segments().Segments()) > 0 {
		// Files but no readable checkpoint: trust nothing.
		abnormal = true
		s.cpState = checkpoint.Checkpoint{}
	}
	s.recovering = true
	err = s.recover(abnormal)
	s.recovering = false
	if err != nil {
		return err
	}
	// The abort marker says "running": a start that finds it knows the
	// last run did not end with Close.
	f, err := s.fs.Open(s.abortAt, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return fmt.Errorf("store: create abort file: %w", err)
	}
	f.Close()
	if err := s.fs.SyncDir(path.Dir(s.abortAt)); err != nil {
		return fmt.Errorf("store: sync abort file dir: %w", err)
	}
	return nil
}

// loadQueues opens every consumequeue/<topic>/<queueId> directory.
func (s *Store) loadQueues() error {
	root := s.cfg.ConsumeQueueDir()
	if err := s.fs.MkdirAll(root); err != nil {
		return fmt.Errorf("store: mkdir %s: %w", root, err)
	}
	topics, err := s.fs.List(root)
	if err != nil {
		return fmt.Errorf("store: list %s: %w", root, err)
	}
	for _, topic := range topics {
		ids, err := s.fs.List(path.Join(root, topic))
		if err != nil {
			continue // a file where a topic directory should be: not ours
		}
		for _, id := range ids {
			qid, err := strconv.ParseInt(id, 10, 32)
			if err != nil {
				continue
			}
			q, err := consumequeue.Open(s.fs, root, topic, int32(qid), s.cfg.ConsumeQueueFileSize())
			if err != nil {
				return fmt.Errorf("store: %w", err)
			}
			s.queues[qkey{topic, int32(qid)}] = q
		}
	}
	return nil
}

// sortedQueues lists the queues in a fixed order: the map's order must not
// decide what happens on disk.
func (s *Store) sortedQueues() []*consumequeue.Queue {
	keys := make([]qkey, 0, len(s.queues))
	for k := range s.queues {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].topic != keys[j].topic {
			return keys[i].topic < keys[j].topic
		}
		return keys[i].queue < keys[j].queue
	})
	out := make([]*consumequeue.Queue, len(keys))
	for i, k := range keys {
		out[i] = s.queues[k]
	}
	return out
}

func (s *Store) queue(topic string, qid int32, create bool) (*consumequeue.Queue, error) {
	if q := s.lastQueue; q != nil && q.QueueID == qid && q.Topic == topic {
		return q, nil
	}
	k := qkey{topic, qid}
	if q, ok := s.queues[k]; ok || !create {
		if ok {
			s.lastQueue = q
		}
		return q, nil
	}
	q, err := consumequeue.Open(s.fs, s.cfg.ConsumeQueueDir(), topic, qid, s.cfg.ConsumeQueueFileSize())
	if err != nil {
		return nil, err
	}
	s.queues[k] = q
	s.lastQueue = q
	return q, nil
}

// dropQueue forgets a consume queue (destroyed by the caller).
func (s *Store) dropQueue(k qkey) {
	delete(s.queues, k)
	s.lastQueue = nil
}

// queueOffset is the next queue offset of a topic-queue, to read and
// advance in place.
func (s *Store) queueOffset(k qkey) *int64 {
	p := s.queueOffsets[k]
	if p == nil {
		p = new(int64)
		s.queueOffsets[k] = p
	}
	return p
}

// Periodic jobs, each with its own timer slot.
const (
	timerFlush = iota
	timerLogics
	timerClean
	timerDispatch
	timerWrite
	timerSlots
)

func (s *Store) after(slot int, d time.Duration, fn func()) {
	if t := s.timers[slot]; t != nil {
		t.Stop()
	}
	s.timers[slot] = s.clock.AfterFunc(d, fn)
}

// Close flushes everything, writes the checkpoint and removes the abort
// marker: the next Open recovers fast. Pending SYNC_FLUSH puts are answered
// first.
func (s *Store) Close() error {
	if s.closed {
		return nil
	}
	for i, t := range s.timers {
		if t != nil {
			t.Stop()
			s.timers[i] = nil
		}
	}
	err := s.flushAll()
	s.flush.failAll(ServiceNotAvailable, ErrClosed)
	s.closed = true
	if err == nil {
		if rmErr := s.fs.Remove(s.abortAt); rmErr != nil && !errors.Is(rmErr, runtime.ErrNotExist) {
			err = fmt.Errorf("store: remove abort file: %w", rmErr)
		} else if syncErr := s.fs.SyncDir(path.Dir(s.abortAt)); syncErr != nil {
			err = fmt.Errorf("store: sync abort dir: %w", syncErr)
		}
	} else {
		s.log.Error("store closed without a clean checkpoint; next start recovers from the commit log", slog.Any("err", err))
	}
	s.closeFiles()
	return err
}

func (s *Store) closeFiles() {
	if s.cl != nil {
		s.cl.Close()
	}
	for _, q := range s.sortedQueues() {
		q.Close()
	}
	if s.ix != nil {
		s.ix.Close()
	}
	if s.cp != nil {
		s.cp.Close()
	}
}

// flushAll syncs the commit log, consume queues and index, blocking, and
// writes a checkpoint covering them.
func (s *Store) flushAll() error {
	for _, seg := range s.cl.Segments().DirtySegments() {
		if err := seg.SyncRetry(); err != nil {
			return fmt.Errorf("store: %w", err)
		}
	}
	s.flushedStoreTimestamp = s.lastStoreTimestamp
	s.flush.advance(s.cl.MaxOffset())
	return s.flushLogics()
}

// flushLogics syncs consume queues and index and advances the checkpoint.
func (s *Store) flushLogics() (err error) {
	dispatched, dispatchedTs := s.dispatched, s.dispatchedTimestamp
	for _, q := range s.sortedQueues() {
		for _, seg := range q.Segments().DirtySegments() {
			if err := seg.SyncRetry(); err != nil {
				return fmt.Errorf("store: %w", err)
			}
		}
	}
	cp := s.cpState
	if s.ix != nil && !s.flush.indexBroken {
		covered, err := s.ix.Flush()
		if err != nil {
			// A failed index sync may have dropped pages (Linux): never
			// advance the index checkpoint again in this life, so the
			// next recovery rebuilds what came after.
			s.flush.indexBroken = true
			s.log.Error("index sync failed; index checkpoint frozen", slog.Any("err", err))
		} else {
			cp.IndexOffset, cp.IndexMsgTimestamp = covered, dispatchedTs
		}
	}
	if s.flush.indexBroken {
		// The index stopped syncing after a failed fsync: the next
		// start must not trust it, so no clean shutdown is claimed.
		defer func() {
			if err == nil {
				err = fmt.Errorf("store: index sync failed earlier in this run; the next start rebuilds it: %w", runtime.ErrIO)
			}
		}()
	}
	cp.PhysicOffset = s.flush.synced
	cp.PhysicMsgTimestamp = s.flushedStoreTimestamp
	cp.LogicsOffset, cp.LogicsMsgTimestamp = dispatched, dispatchedTs
	if cp == s.cpState {
		return nil // nothing moved: spare the fsync
	}
	if werr := s.cp.Write(cp); werr != nil {
		return fmt.Errorf("store: %w", werr)
	}
	s.cpState = cp
	return nil
}

// buggify is Options.Buggify, false without it.
func (s *Store) buggify(site string) bool { return s.opt.Buggify != nil && s.opt.Buggify(site) }
