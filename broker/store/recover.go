package store

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"rocketsim/runtime"

	"rocketsim/broker/store/consumequeue"
	"rocketsim/broker/store/message"
)

// recover brings the commit log, consume queues and index into agreement.
//
//  1. The commit log is scanned for its valid end, validating magic code,
//     size and CRC of each record. After a clean shutdown only the last few
//     segments are checked; after a crash the scan starts at the segment
//     holding the oldest checkpointed offset (or at the very start without
//     a checkpoint). Whatever follows the last valid record is cut off.
//  2. Each consume queue keeps the leading units that point below
//     min(checkpointed dispatch offset, end of commit log); the rest is cut.
//  3. The index drops files the checkpoint does not vouch for.
//  4. Records from the oldest point any of them needs are dispatched again;
//     units and index entries already present are skipped.
//  5. Everything is synced and a checkpoint written, so what recovery made
//     visible is durable before anyone reads it.
//
// Offsets, not Java's timestamps, choose the starting points: a wall clock
// that jumped would otherwise move them.
func (s *Store) recover(abnormal bool) error {
	cp := s.cpState
	segs := s.cl.Segments().Segments()
	from := s.cl.MinOffset()
	if len(segs) > 0 {
		if abnormal {
			safe := min(cp.PhysicOffset, cp.LogicsOffset)
			if s.ix != nil {
				safe = min(safe, cp.IndexOffset)
			}
			if seg := s.cl.Segments().Find(safe); seg != nil {
				from = seg.Base
			} else if safe >= s.cl.MaxOffset() {
				from = segs[len(segs)-1].Base
			}
		} else {
			from = segs[max(len(segs)-recoverCleanSegments, 0)].Base
		}
	}
	// What follows the checkpointed sync point may be only in the page
	// cache (a process crash keeps unsynced writes): count it as unsynced,
	// to be rewritten and synced before it is served.
	if abnormal {
		s.cl.Segments().MarkUnsynced(cp.PhysicOffset)
	}
	oldEnd := s.cl.MaxOffset()
	end, err := s.cl.Recover(from, s.cfg.CheckCRCOnRecover, nil)
	if err != nil {
		return fmt.Errorf("store: recover commit log: %w", err)
	}
	if end < oldEnd {
		s.Stats.RecoveryTruncatedBytes = oldEnd - end
	}
	s.log.Info("commit log recovered", slog.Bool("abnormal", abnormal),
		slog.Int64("scanFrom", from), slog.Int64("end", end), slog.Int64("cutBytes", oldEnd-end))

	// After a clean shutdown the checkpoint equals the end unless a
	// dispatch was still failing at Close; either way it is the bound.
	bound := min(cp.LogicsOffset, end)
	for _, q := range s.sortedQueues() {
		if err := q.Recover(bound); err != nil {
			return fmt.Errorf("store: recover consume queue: %w", err)
		}
	}
	replayFrom := bound
	if s.ix != nil {
		ixFrom, err := s.ix.Recover(abnormal, cp.IndexOffset, end)
		if err != nil {
			return fmt.Errorf("store: recover index: %w", err)
		}
		replayFrom = min(replayFrom, ixFrom)
	}
	replayFrom = max(replayFrom, s.cl.MinOffset())
	if err := s.replay(replayFrom, end); err != nil {
		if !errors.Is(err, consumequeue.ErrGap) {
			return fmt.Errorf("store: replay commit log: %w", err)
		}
		// A consume queue lost units below its checkpoint (a failed
		// fsync that Linux reported only once). Rebuild them all.
		s.log.Error("consume queue disagrees with the commit log; rebuilding all consume queues", slog.Any("err", err))
		if err := s.rebuildQueues(end); err != nil {
			return err
		}
	}
	s.dispatched = end
	s.flush.synced = 0
	// Sync everything recovery may have read from the page cache only (a
	// process crash keeps unsynced writes): it is about to be served.
	if err := s.flushAll(); err != nil {
		if !errors.Is(err, runtime.ErrNoSpace) || s.flush.synced < end {
			return fmt.Errorf("store: sync after recovery: %w", err)
		}
		// The commit log is synced; only derived data (consume queue
		// units, index) could not be written on a full disk. Serve it
		// from memory and refuse writes until space returns; the
		// checkpoint stays behind, so a crash meanwhile replays again.
		s.log.Error("disk full after recovery; refusing writes", slog.Any("err", err))
		s.diskFull = true
		s.after(timerDispatch, dispatchRetryDelayMillis*time.Millisecond, s.recheck)
	}
	// Units whose records retention removed are not served (Java
	// correctMinOffset): each queue's first offset follows the log's.
	s.cleanLogics()
	for _, q := range s.sortedQueues() {
		if q.MaxOffset() > 0 {
			*s.queueOffset(qkey{q.Topic, q.QueueID}) = q.MaxOffset()
		}
	}
	s.checkDisk()
	return nil
}

// replay dispatches the records in [from, to) again.
func (s *Store) replay(from, to int64) error {
	return s.cl.Iterate(from, to, func(rec *message.Record, off int64, size int) error {
		s.Stats.RecoveredRecords++
		if rec.StoreTimestamp > s.lastStoreTimestamp {
			s.lastStoreTimestamp = rec.StoreTimestamp
		}
		return s.dispatch(rec, off, size)
	})
}

// rebuildQueues drops every consume queue and rebuilds them from the
// whole commit log.
func (s *Store) rebuildQueues(end int64) error {
	for _, q := range s.sortedQueues() {
		if err := q.Destroy(); err != nil {
			return fmt.Errorf("store: rebuild: %w", err)
		}
		s.dropQueue(qkey{q.Topic, q.QueueID})
	}
	s.dispatched = s.cl.MinOffset()
	if err := s.replay(s.cl.MinOffset(), end); err != nil {
		return fmt.Errorf("store: rebuild consume queues: %w", err)
	}
	return nil
}
