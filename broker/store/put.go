package store

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/commitlog"
	"rocketsim/broker/store/consumequeue"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

// Message is what the broker hands to Put (Java MessageExtBrokerInner):
// everything of a stored record that the sender decides.
type Message struct {
	Topic                     string
	QueueID                   int32
	Flag                      int32
	Body                      []byte
	Properties                string // NAME\x01VALUE\x02..., as sent
	SysFlag                   int32
	BornTimestamp             int64
	BornHost                  message.Addr
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
}

// Put appends m to the commit log and answers through done, on the loop:
// under ASYNC_FLUSH (or when the message says WAIT=false) once the record
// is written to the OS (the commit log collects the records of one loop
// turn into one write), and under SYNC_FLUSH once an fsync covers it; after
// syncFlushTimeout without that, FLUSH_DISK_TIMEOUT. A refused put is
// answered before Put returns.
func (s *Store) Put(m *Message, done func(PutResult)) {
	res, wait := s.put(m)
	if res.Status != PutOK {
		done(res)
		return
	}
	_, mono := s.putClock()
	s.flush.wait(waiter{end: res.PhysicalOffset + int64(res.WroteBytes), sync: wait,
		deadline: mono + s.cfg.SyncFlushTimeout, res: res, done: done})
}

func (s *Store) put(m *Message) (PutResult, bool) {
	fail := func(st PutStatus, err error) (PutResult, bool) {
		return PutResult{Status: st, Err: err, Topic: m.Topic, QueueID: m.QueueID}, false
	}
	if s.closed {
		return fail(ServiceNotAvailable, ErrClosed)
	}
	if err := s.writable(); err != nil {
		return fail(ServiceNotAvailable, err)
	}
	if s.flush.pending() >= syncWaitersMax {
		return fail(OSPageCacheBusy, fmt.Errorf("%d puts already wait for their write or fsync", s.flush.pending()))
	}
	nowMs, _ := s.putClock()
	rec := message.Record{
		QueueID: m.QueueID, Flag: m.Flag, SysFlag: m.SysFlag,
		BornTimestamp: m.BornTimestamp, BornHost: m.BornHost,
		StoreTimestamp: nowMs, StoreHost: s.opt.StoreHost,
		ReconsumeTimes: m.ReconsumeTimes, PreparedTransactionOffset: m.PreparedTransactionOffset,
		Body: m.Body, Topic: m.Topic, Properties: m.Properties,
	}
	if len(rec.StoreHost.IP) == 16 {
		rec.SysFlag |= message.FlagStoreHostV6
	}
	switch len(rec.BornHost.IP) {
	case 0:
		// Internal puts (schedule, retry paths) may have no born host.
		rec.BornHost = message.AddrV4(0, 0, 0, 0, 0)
	case 16:
		rec.SysFlag |= message.FlagBornHostV6
	}
	s.rewriteDelay(&rec)
	rec.Properties = message.WithoutCRC(rec.Properties)
	tran := message.TransactionType(rec.SysFlag)
	var next *int64
	if tran == message.FlagTransactionNot || tran == message.FlagTransCommit {
		next = s.queueOffset(qkey{rec.Topic, rec.QueueID})
		rec.QueueOffset = *next
	} // prepared and rollback records get queue offset 0 and no unit
	var err error
	s.encBuf, err = message.AppendSealable(s.encBuf[:0], &rec)
	switch {
	case errors.Is(err, message.ErrPropertiesTooLong):
		return fail(PropertiesSizeExceeded, err)
	case err != nil:
		return fail(MessageIllegal, err)
	case len(s.encBuf) > s.cfg.MaxMessageSize:
		return fail(MessageIllegal, fmt.Errorf("message of %d bytes (body %d) exceeds maxMessageSize %d",
			len(s.encBuf), len(m.Body), s.cfg.MaxMessageSize))
	case !s.cl.Fits(len(s.encBuf)):
		return fail(MessageIllegal, fmt.Errorf("message of %d bytes cannot fit a commit log segment of %d",
			len(s.encBuf), s.cl.SegmentSize()))
	}
	off, err := s.cl.Append(s.encBuf)
	if err != nil {
		if errors.Is(err, runtime.ErrNoSpace) {
			s.markDiskFull(err)
			return fail(ServiceNotAvailable, fmt.Errorf("%w: %w", ErrNotWritable, err))
		}
		if errors.Is(err, commitlog.ErrCreateSegment) {
			return fail(CreateMappedFileFailed, err)
		}
		return fail(UnknownError, err)
	}
	rec.PhysicalOffset = off
	size := len(s.encBuf)
	if next != nil {
		*next = rec.QueueOffset + 1
	}
	s.lastStoreTimestamp = rec.StoreTimestamp
	s.Stats.Puts++
	s.Stats.PutBytes += int64(size)
	// Consumers see the record once it reached the OS (or, under
	// serveOnlyFlushed, the disk): dispatchReady runs after writes and
	// fsyncs. Keep it in memory for that, within a bound; beyond the bound
	// it is read back from the log.
	if s.pending.len() < dispatchPendingMax {
		s.pending.push(pendingRecord{rec: rec, off: off, size: size})
	}
	res := PutResult{Status: PutOK, MsgID: message.ID(s.opt.StoreHost, off), PhysicalOffset: off,
		QueueOffset: rec.QueueOffset, WroteBytes: int32(size), StoreTimestamp: rec.StoreTimestamp,
		Topic: rec.Topic, QueueID: rec.QueueID}
	if s.cfg.FlushDiskType != config.SyncFlush {
		return res, false
	}
	if v, ok := message.Property(m.Properties, message.PropertyWaitStoreOK); ok && v == "false" {
		s.flush.kick() // Java wakes the group commit service anyway
		return res, false
	}
	return res, true
}

// rewriteDelay moves a delayed message into SCHEDULE_TOPIC_XXXX, queue
// level-1, keeping where it was going in REAL_TOPIC and REAL_QID, as
// RocketMQ 4.x's CommitLog.putMessage does; the schedule service moves it
// back when its time comes.
func (s *Store) rewriteDelay(rec *message.Record) {
	tran := message.TransactionType(rec.SysFlag)
	if tran != message.FlagTransactionNot && tran != message.FlagTransCommit {
		return
	}
	if rec.Topic == ScheduleTopic {
		return // already rewritten by the caller
	}
	v, ok := message.Property(rec.Properties, message.PropertyDelayLevel)
	if !ok {
		return
	}
	level, err := strconv.Atoi(v)
	if err != nil || level <= 0 {
		return
	}
	if n := len(s.cfg.MessageDelayLevel); level > n {
		level = n
	}
	if level <= 0 {
		return
	}
	props := message.ParseProperties(rec.Properties)
	props[message.PropertyRealTopic] = rec.Topic
	props[message.PropertyRealQueueID] = strconv.Itoa(int(rec.QueueID))
	props[message.PropertyDelayLevel] = strconv.Itoa(level)
	rec.Properties = message.FormatProperties(props)
	rec.Topic = ScheduleTopic
	rec.QueueID = int32(level - 1)
}

// tagsCode is the consume queue's tag field: Java's hash of TAGS, or for a
// delayed message the time it is due (the schedule service scans by it).
func (s *Store) tagsCode(rec *message.Record) int64 {
	if rec.Topic == ScheduleTopic {
		if v, ok := message.Property(rec.Properties, message.PropertyDelayLevel); ok {
			if level, err := strconv.Atoi(v); err == nil {
				if d, ok := s.cfg.MessageDelayLevel.Level(level); ok {
					return rec.StoreTimestamp + d.Milliseconds()
				}
			}
		}
		return rec.StoreTimestamp + 1000
	}
	tags, _ := message.Property(rec.Properties, message.PropertyTags)
	return message.TagsCode(tags)
}

// dispatch writes a record's consume queue unit and index entries (Java's
// CommitLogDispatcher chain), and moves s.dispatched past it.
func (s *Store) dispatch(rec *message.Record, off int64, size int) error {
	tran := message.TransactionType(rec.SysFlag)
	if tran == message.FlagTransactionNot || tran == message.FlagTransCommit {
		q, err := s.queue(rec.Topic, rec.QueueID, true)
		if err != nil {
			return err
		}
		u := consumequeue.Unit{Offset: off, Size: int32(size), TagsCode: s.tagsCode(rec)}
		if err := q.Put(rec.QueueOffset, u); err != nil {
			return err
		}
		if s.opt.MessageArriving != nil && !s.recovering {
			s.opt.MessageArriving(Arrival{Topic: rec.Topic, QueueID: rec.QueueID, QueueOffset: rec.QueueOffset,
				TagsCode: u.TagsCode, StoreTimestamp: rec.StoreTimestamp, Properties: rec.Properties})
		}
	}
	if s.ix != nil && tran != message.FlagTransRollback {
		var keys []string
		if v, ok := message.Property(rec.Properties, message.PropertyUniqKey); ok {
			keys = append(keys, v)
		}
		if v, ok := message.Property(rec.Properties, message.PropertyKeys); ok {
			keys = append(keys, strings.Fields(v)...)
		}
		if len(keys) > 0 {
			if err := s.ix.Put(rec.Topic, keys, off, rec.StoreTimestamp); err != nil {
				return err
			}
		}
	}
	s.dispatched = off + int64(size)
	s.dispatchedTimestamp = rec.StoreTimestamp
	return nil
}

// dispatchFailed stops serving writes until the backlog is dispatched:
// the record is in the commit log, but consumers cannot see it yet.
func (s *Store) dispatchFailed(err error) {
	s.dispatchStuck = err
	if errors.Is(err, runtime.ErrNoSpace) {
		s.diskFull = true
	}
	s.log.Error("dispatch to consume queue or index failed; refusing writes and retrying", "err", err)
	s.after(timerDispatch, dispatchRetryDelayMillis*time.Millisecond, s.recheck)
}

// writable says why writes are refused, or nil.
func (s *Store) writable() error {
	if s.diskFull {
		err := fmt.Errorf("%w: disk usage %.1f%%, writes resume below diskSpaceWarningLevelRatio %.0f%%",
			ErrNotWritable, s.lastUsage*100, s.opt.DiskSpaceWarningLevelRatio*100)
		if s.diskFullCause != nil {
			err = fmt.Errorf("%w: %w", err, s.diskFullCause)
		}
		return err
	}
	if s.dispatchStuck != nil {
		return fmt.Errorf("%w: writing consume queue or index failed: %w", ErrNotWritable, s.dispatchStuck)
	}
	return nil
}

// Writable reports whether puts are accepted now, and if not, why.
func (s *Store) Writable() error { return s.writable() }

func (s *Store) markDiskFull(err error) {
	if !s.diskFull {
		s.log.Error("disk full; refusing writes until space returns", "err", err)
	}
	s.diskFull = true
	s.diskFullCause = err
	s.after(timerDispatch, dispatchRetryDelayMillis*time.Millisecond, s.recheck)
}

// recheck runs while writes are refused: it re-reads the disk usage and
// replays a dispatch backlog, so writes resume by themselves once space
// returns.
func (s *Store) recheck() {
	if s.closed {
		return
	}
	s.checkDisk()
	if s.dispatchStuck != nil {
		s.dispatchStuck = nil
		s.dispatchReady()
		if s.dispatchStuck == nil {
			s.log.Info("dispatch backlog written")
		}
	}
	s.flushWrites()
	if s.diskFull || s.dispatchStuck != nil {
		s.after(timerDispatch, dispatchRetryDelayMillis*time.Millisecond, s.recheck)
	} else {
		s.log.Info("accepting writes again")
	}
}

// dispatchLimit is the commit log offset consumers may be served up to:
// everything written, or under serveOnlyFlushed what an fsync covers.
func (s *Store) dispatchLimit() int64 {
	if s.cfg.ServeOnlyFlushed {
		return min(s.flush.synced, s.cl.MaxOffset())
	}
	return s.cl.MaxOffset()
}

// dispatchReady dispatches every record below dispatchLimit not yet
// dispatched: from memory when put kept it, else read back from the log
// (pending overflowed, a failed dispatch is being retried).
func (s *Store) dispatchReady() {
	if s.closed || s.recovering || s.dispatchStuck != nil {
		return
	}
	limit := s.dispatchLimit()
	for s.dispatched < limit {
		p := s.pending.dropBefore(s.dispatched)
		if p != nil && p.off == s.dispatched {
			if p.off+int64(p.size) > limit {
				return
			}
			r := *p
			s.pending.pop()
			if err := s.dispatch(&r.rec, r.off, r.size); err != nil {
				s.dispatchFailed(err)
				return
			}
			continue
		}
		to := limit
		if p != nil {
			to = min(to, p.off)
		}
		err := s.cl.Iterate(s.dispatched, to, func(rec *message.Record, off int64, size int) error {
			return s.dispatch(rec, off, size)
		})
		if err != nil {
			s.dispatchFailed(err)
			return
		}
		// What Iterate passed over without a record is a segment's blank.
		s.dispatched = max(s.dispatched, to)
	}
}
