package store

import (
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"time"
)

// usage is the used share of the volume holding the store.
func (s *Store) usage() (float64, error) {
	u, err := s.fs.Usage(s.cfg.StorePathRootDir)
	if err != nil {
		return 0, fmt.Errorf("store: disk usage: %w", err)
	}
	if u.Total == 0 {
		return 1, nil
	}
	return float64(u.Total-u.Free) / float64(u.Total), nil
}

// checkDisk sets or clears the disk-full state from the volume's usage
// (Java CleanCommitLogService.isSpaceFull) and reports whether retention
// should delete files now, and whether regardless of their age.
func (s *Store) checkDisk() (spaceToDelete, forcibly bool) {
	ratio, err := s.usage()
	if err != nil {
		s.log.Error("cannot read disk usage", slog.Any("err", err))
		return false, false
	}
	s.lastUsage = ratio
	if ratio > s.opt.DiskSpaceWarningLevelRatio {
		if !s.diskFull {
			s.log.Error("disk usage over the warning level; refusing writes",
				slog.Float64("ratio", ratio), slog.Float64("warning", s.opt.DiskSpaceWarningLevelRatio))
		}
		s.diskFull = true
		s.after(timerDispatch, dispatchRetryDelayMillis*time.Millisecond, s.recheck)
	} else if s.diskFull {
		s.diskFull, s.diskFullCause = false, nil
		s.log.Info("disk usage back under the warning level", slog.Float64("ratio", ratio))
	}
	maxRatio := float64(min(max(s.cfg.DiskMaxUsedSpaceRatio, 10), 95)) / 100
	forcibly = ratio > s.opt.DiskSpaceCleanForciblyRatio
	return ratio > maxRatio || forcibly, forcibly
}

// onCleanTick is retention (Java CleanCommitLogService and
// CleanConsumeQueueService): at the deleteWhen hours, or when the disk is
// fuller than diskMaxUsedSpaceRatio, delete commit log files older than
// fileReservedTime; past the forced-clean ratio delete the oldest ones
// whatever their age. Consume queue and index files whose records are gone
// follow.
func (s *Store) onCleanTick() {
	if s.closed {
		return
	}
	s.Clean(false)
	s.after(timerClean, s.cfg.CleanResourceInterval, s.onCleanTick)
}

// Clean runs one retention pass now; manual forces the time condition
// (Java's executeDeleteFilesManually). It returns how many commit log files
// it deleted.
func (s *Store) Clean(manual bool) int {
	spaceToDelete, forcibly := s.checkDisk()
	if !manual && !spaceToDelete && !s.isTimeToDelete() {
		return 0
	}
	atOnce := forcibly && s.cfg.CleanFileForciblyEnable
	n, err := s.deleteExpired(time.Duration(s.cfg.FileReservedTime)*time.Hour, atOnce)
	if err != nil {
		s.log.Error("commit log retention", slog.Any("err", err))
	}
	if n > 0 {
		s.log.Info("deleted expired commit log files", slog.Int("files", n), slog.Bool("forcibly", atOnce))
		s.cleanLogics()
		s.checkDisk()
	}
	return n
}

// isTimeToDelete: the wall clock's hour is one of deleteWhen ("04;16").
func (s *Store) isTimeToDelete() bool {
	hour := s.clock.Now().Hour()
	for w := range strings.SplitSeq(s.cfg.DeleteWhen, ";") {
		if h, err := strconv.Atoi(strings.TrimSpace(w)); err == nil && h == hour {
			return true
		}
	}
	return false
}

// deleteExpired removes old commit log segments, never the newest one.
// A segment's age is taken from the store time of the first record after
// it (when it stopped being written), since the runtime's disk has no
// modification times and the wall clock may have jumped since.
func (s *Store) deleteExpired(reserved time.Duration, atOnce bool) (int, error) {
	segs := s.cl.Segments()
	now := s.clock.Now().UnixMilli()
	n := 0
	for n < cleanFilesPerRound && len(segs.Segments()) > 1 {
		all := segs.Segments()
		if all[0].Base >= s.dispatched {
			break // never delete what is not dispatched yet
		}
		next := all[1]
		expired := atOnce
		if !expired {
			rec, err := s.cl.FirstRecordAt(next.Base)
			expired = err == nil && now-rec.StoreTimestamp >= reserved.Milliseconds()
		}
		if !expired {
			break
		}
		if err := segs.RemoveFirst(); err != nil {
			return n, err
		}
		n++
		s.Stats.DeletedCommitLogFiles++
	}
	return n, nil
}

// cleanLogics removes consume queue and index files that point only below
// the commit log's new minimum.
func (s *Store) cleanLogics() {
	minPhy := s.cl.MinOffset()
	for _, q := range s.sortedQueues() {
		if _, err := q.DropBefore(minPhy); err != nil {
			s.log.Error("consume queue retention", slog.String("queue", q.Topic), slog.Any("err", err))
		}
	}
	if s.ix != nil {
		if _, err := s.ix.DropBefore(minPhy); err != nil {
			s.log.Error("index retention", slog.Any("err", err))
		}
	}
}
