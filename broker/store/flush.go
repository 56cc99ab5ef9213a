package store

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/fifo"
	"rocketsim/broker/store/segment"
	"rocketsim/runtime"
)

// waiter is a SYNC_FLUSH put waiting for an fsync that covers it.
type waiter struct {
	end int64 // commit log offset after the record
	// sync: answer once an fsync covers end (SYNC_FLUSH); otherwise once
	// the record is written to the OS (ASYNC_FLUSH, WAIT=false).
	sync     bool
	deadline time.Duration
	res      PutResult
	done     func(PutResult)
}

// flusher syncs the commit log. Under SYNC_FLUSH it is group commit: one
// fsync at a time covers every record appended before it started, and the
// puts that arrive meanwhile wait for the next one. Under ASYNC_FLUSH a
// timer starts the same fsync when enough pages are dirty.
type flusher struct {
	s *Store
	// synced is the commit log offset a finished fsync covers; written
	// the offset below which records left the write buffer.
	synced   int64
	written  int64
	waiters  fifo.Queue[waiter]
	inFlight bool
	// again: records were appended during the fsync in flight.
	again        bool
	timeout      runtime.Timer
	retry        runtime.Timer
	lastThorough time.Duration
	indexBroken  bool

	// Group commit linger (SYNC_FLUSH). An fsync answers its puts all at
	// once; their writers put again a moment later, by when the next
	// fsync has already started with only the puts that came during the
	// last one. The writers then split into two groups that take turns,
	// each fsync covering half of them. So after a round that answered
	// at least groupCommitLingerMinPuts puts (and at least half as many
	// as are already waiting), the next fsync waits until
	// as many puts are pending as that round had (answered + still
	// pending), or for linger at most, whichever comes first: a database's
	// commit_delay, bounded by the fsync it saves.
	expect      int           // pending puts the next fsync waits for; 0: none
	lingerUntil time.Duration // monotonic deadline: the last fsync's end + linger
	linger      runtime.Timer // pending while it waits
	startedAt   time.Duration // monotonic time the fsync in flight started
	answered    int64         // sync puts answered, ever

	// writeFn is s.flushWrites, made once: a method value allocates.
	writeFn func()
}

// groupCommitLingerMax bounds the linger; it is also never more than half
// of the last fsync's duration, so a writer that does not come back costs
// at most a third of a round. The linger is counted from the end of the
// last fsync: a put after a quiet spell does not wait at all.
const groupCommitLingerMax = 2 * time.Millisecond

// groupCommitLingerMinPuts: rounds that answered fewer puts do not linger
// (one or two writers gain nothing from waiting).
const groupCommitLingerMinPuts = 4

// asyncFlushEagerBytes: under ASYNC_FLUSH, once this much of the commit
// log is dirty the next fsync starts as soon as the previous one ends,
// not at the next flushIntervalCommitLog tick. Under a heavy write load
// the disk then writes in parallel with the loop instead of facing a
// backlog of a whole interval (hundreds of MB) at each tick and at
// shutdown, and a power loss takes less. Ours: Java waits for the tick.
// Light loads (every simulated workload) never reach it and keep Java's
// timing.
const asyncFlushEagerBytes = 8 << 20

// flushEagerly starts an ASYNC_FLUSH fsync when asyncFlushEagerBytes are
// dirty and none is running.
func (f *flusher) flushEagerly() {
	s := f.s
	if s.cfg.FlushDiskType != config.AsyncFlush || f.inFlight || f.retry != nil || s.closed {
		return
	}
	dirty := s.cl.Segments().DirtyBytes()
	// Buggify: an fsync as soon as anything is dirty, as a broker with
	// flushCommitLogLeastPages=0 and a short interval would: more durable,
	// and fsyncs now overlap puts, crashes and power losses everywhere.
	if dirty >= asyncFlushEagerBytes || dirty > 0 && s.buggify("store/flush-early") {
		f.kick()
	}
}

func (f *flusher) pending() int { return f.waiters.Len() }

// wait queues a put until its record is written (and, for a sync
// waiter, synced). Answers keep put order.
func (f *flusher) wait(w waiter) {
	f.waiters.Push(w)
	if f.timeout == nil {
		f.armTimeout()
	}
	if w.sync {
		f.kick()
	}
	// Under SYNC_FLUSH too: a put that arrives while an fsync is in flight
	// reaches the page cache (and its consumers) without waiting for the
	// next fsync to start, as Java's mapped writes do.
	f.s.scheduleWrite()
}

// kick starts an fsync, or asks for another after the one in flight.
func (f *flusher) kick() {
	if f.inFlight {
		f.again = true
		return
	}
	if f.retry != nil {
		return // a failed fsync is being retried shortly
	}
	// Buggify: no linger, as group commit before it (two groups of
	// writers taking turns): legal, only slower.
	if f.expect > 0 && f.pending() < f.expect && !f.s.buggify("store/no-linger") {
		if left := f.lingerUntil - f.s.clock.Monotonic(); left > 0 {
			f.again = true
			if f.linger == nil {
				f.linger = f.s.clock.AfterFunc(left, f.lingerDone)
			}
			return
		}
	}
	f.stopLinger()
	f.start()
}

// lingerDone starts the fsync the linger held back, with the puts that
// came.
func (f *flusher) lingerDone() {
	f.linger = nil
	f.expect = 0
	if f.s.closed || f.inFlight || f.retry != nil {
		return
	}
	if f.again || f.pending() > 0 {
		f.start()
	}
}

func (f *flusher) stopLinger() {
	f.expect = 0
	if f.linger != nil {
		f.linger.Stop()
		f.linger = nil
	}
}

func (f *flusher) start() {
	s := f.s
	segs := s.cl.Segments().DirtySegments()
	target, ts := s.cl.MaxOffset(), s.lastStoreTimestamp
	if len(segs) == 0 {
		f.flushedTo(target, ts)
		return
	}
	f.inFlight, f.again = true, false
	f.startedAt = s.clock.Monotonic()
	left := len(segs)
	var firstErr error
	for _, seg := range segs {
		seg.SyncAsync(func(err error) {
			left--
			if err != nil && firstErr == nil {
				firstErr = err
			}
			if left == 0 {
				f.finished(segs, target, ts, firstErr)
			}
		})
	}
}

func (f *flusher) finished(segs []*segment.Segment, target, ts int64, err error) {
	s := f.s
	f.inFlight = false
	if s.closed {
		return
	}
	s.Stats.Fsyncs++
	if err != nil {
		s.Stats.FsyncErrors++
		s.log.Error("commit log fsync failed; rewriting the unsynced range and retrying", slog.Any("err", err))
		if errors.Is(err, runtime.ErrNoSpace) {
			// The write buffer could not reach the file: refuse new
			// puts until space returns.
			s.markDiskFull(err)
		}
		for _, seg := range segs {
			if rwErr := seg.Rewrite(); rwErr != nil {
				s.log.Error("commit log rewrite after failed fsync", slog.Any("err", rwErr))
			}
		}
		f.retry = s.clock.AfterFunc(fsyncRetryDelayMillis*time.Millisecond, func() {
			f.retry = nil
			// Without waiters the periodic flush will come back to it.
			if f.again || f.pending() > 0 {
				f.start()
			}
		})
		return
	}
	took := s.clock.Monotonic() - f.startedAt
	before := f.answered
	f.flushedTo(target, ts)
	// Linger only when the writers expected back are at least half of
	// those already waiting: the linger (at most half an fsync) must buy
	// at least that much more per fsync.
	if n := int(f.answered - before); n >= groupCommitLingerMinPuts && 2*n >= f.pending() && !f.inFlight {
		f.expect = n + f.pending()
		f.lingerUntil = s.clock.Monotonic() + min(groupCommitLingerMax, took/2)
	}
	// kick, not start: what flushedTo answered and dispatched may have
	// put again and started the next fsync already.
	if f.again || (f.pending() > 0 && f.waiters.Front().end > f.synced) {
		f.kick()
	}
	f.flushEagerly()
}

func (f *flusher) flushedTo(off, ts int64) {
	if ts > f.s.flushedStoreTimestamp {
		f.s.flushedStoreTimestamp = ts
	}
	f.advance(off)
}

// advance records that the commit log is durable below off and answers
// the puts it covers.
func (f *flusher) advance(off int64) {
	if off > f.synced {
		f.synced = off
	}
	f.answer()
}

// answer completes waiters from the head while they are covered.
func (f *flusher) answer() {
	f.written = max(f.written, f.s.cl.WrittenOffset(), f.synced)
	f.s.dispatchReady()
	for f.pending() > 0 {
		h := f.waiters.Front()
		if h.end > f.synced && (h.sync || h.end > f.written) {
			break
		}
		w := f.pop()
		if w.sync {
			f.answered++
		}
		w.done(w.res)
	}
}

func (f *flusher) pop() waiter { return f.waiters.Pop() }

func (f *flusher) armTimeout() {
	if f.pending() == 0 {
		f.timeout = nil
		return
	}
	d := f.waiters.Front().deadline - f.s.clock.Monotonic()
	f.timeout = f.s.clock.AfterFunc(d, f.expire)
}

// expire answers FLUSH_DISK_TIMEOUT to puts whose fsync took longer than
// syncFlushTimeout. Their records stay in the log and may survive.
func (f *flusher) expire() {
	now := f.s.clock.Monotonic()
	for f.pending() > 0 && f.waiters.Front().deadline <= now {
		w := f.pop()
		w.res.Status = FlushDiskTimeout
		w.res.Err = fmt.Errorf("flush disk timeout: no fsync covered offset %d within syncFlushTimeout %v", w.end, f.s.cfg.SyncFlushTimeout)
		f.s.Stats.FlushTimeouts++
		w.done(w.res)
	}
	f.armTimeout()
}

// failAll answers every waiting put (shutdown).
func (f *flusher) failAll(st PutStatus, err error) {
	for f.pending() > 0 {
		w := f.pop()
		w.res.Status, w.res.Err = st, err
		w.done(w.res)
	}
	if f.timeout != nil {
		f.timeout.Stop()
		f.timeout = nil
	}
	if f.retry != nil {
		f.retry.Stop()
		f.retry = nil
	}
	f.stopLinger()
}

// onFlushTick is the ASYNC_FLUSH flusher: sync when flushCommitLogLeastPages
// pages are dirty, or everything every flushCommitLogThoroughInterval.
func (s *Store) onFlushTick() {
	if s.closed {
		return
	}
	now := s.clock.Monotonic()
	dirty := s.cl.Segments().DirtyBytes()
	least := int64(s.cfg.FlushCommitLogLeastPages) * pageSize
	if dirty > 0 && (dirty >= least || now-s.flush.lastThorough >= s.cfg.FlushCommitLogThoroughInterval) {
		s.flush.lastThorough = now
		s.flush.kick()
	}
	s.after(timerFlush, s.cfg.FlushIntervalCommitLog, s.onFlushTick)
}

// onLogicsTick syncs consume queues and index and writes the checkpoint
// (Java FlushConsumeQueueService).
func (s *Store) onLogicsTick() {
	if s.closed {
		return
	}
	if err := s.flushLogics(); err != nil {
		s.log.Error("consume queue flush failed; checkpoint not advanced", slog.Any("err", err))
	}
	s.after(timerLogics, s.cfg.FlushIntervalConsumeQueue, s.onLogicsTick)
}

func (s *Store) startTimers() {
	if s.cfg.FlushDiskType == config.AsyncFlush {
		s.after(timerFlush, s.cfg.FlushIntervalCommitLog, s.onFlushTick)
	}
	s.after(timerLogics, s.cfg.FlushIntervalConsumeQueue, s.onLogicsTick)
	s.after(timerClean, s.cfg.CleanResourceInterval, s.onCleanTick)
}

// scheduleWrite asks for the write buffer to be handed to the OS one loop
// turn from now, so the puts of one turn share a write: after the events
// already queued (Options.Post), or else on a zero-delay timer.
func (s *Store) scheduleWrite() {
	if s.writeScheduled {
		return
	}
	s.writeScheduled = true
	if s.flush.writeFn == nil {
		s.flush.writeFn = s.flushWrites
	}
	if s.opt.Post != nil {
		s.opt.Post(s.flush.writeFn)
		return
	}
	s.after(timerWrite, 0, s.flush.writeFn)
}

// flushWrites writes the commit log's buffer and answers the puts that
// waited for it. A failure keeps the records buffered and unanswered:
// a full disk refuses new puts until the recheck finds space and retries.
func (s *Store) flushWrites() {
	s.writeScheduled = false
	s.turnClock.valid = false // the turn is over (turnClock)
	if s.closed {
		return
	}
	if err := s.cl.CoalesceWrites(); err != nil {
		s.writeFailed(err)
	}
	s.flush.answer()
	s.flush.flushEagerly()
}

// commitLogWritten runs when a commit log write (write-behind) completes:
// its records reached the OS, so the puts waiting for that are answered and
// the records dispatched.
func (s *Store) commitLogWritten(err error) {
	if s.closed {
		return
	}
	if err != nil {
		s.writeFailed(err)
	} else if s.cl.Buffered() {
		// Records held while this write was out (CoalesceWrites): out
		// with the puts its answers bring, one loop turn from now.
		s.scheduleWrite()
	}
	s.flush.answer()
	s.flush.flushEagerly()
}

// writeFailed handles a commit log write that did not reach the OS: the
// records stay in memory, unanswered. A full disk refuses new puts until
// the recheck finds space and writes them; any other error is retried
// shortly.
func (s *Store) writeFailed(err error) {
	if errors.Is(err, runtime.ErrNoSpace) {
		s.markDiskFull(err)
		return
	}
	s.log.Error("commit log write failed; retrying", slog.Any("err", err))
	if !s.writeScheduled {
		s.writeScheduled = true
		s.after(timerWrite, fsyncRetryDelayMillis*time.Millisecond, s.flushWrites)
	}
}
