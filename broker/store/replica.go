package store

import (
	"errors"
	"fmt"

	"rocketsim/broker/config"
	"rocketsim/broker/store/commitlog"
	"rocketsim/broker/store/message"
	"rocketsim/broker/store/segment"
	"rocketsim/runtime"
)

// Replication (RocketMQ's HA): a master streams its commit log bytes to a
// slave, which appends them at the same offsets, so a record's physical
// offset, message id and queue offset are the same on both. The master
// side reads whole records with ReadReplica; the slave side appends with
// Replica.Append, which validates every record before it reaches the log
// and dispatches it to consume queues and index like a put.
//
// Unlike Java, which sends a segment's blank filler as the zeros it is,
// ReadReplica ends a batch with the blank's 8-byte header: our segments
// are not preallocated, so the filler is not on disk, and the slave knows
// from the header that the segment is full.

// ErrReplicaOffset: a replica batch does not start where the slave's log
// ends (the master and the slave disagree; the HA client drops the
// connection and reports its offset again).
var ErrReplicaOffset = errors.New("replica batch does not start at the slave's end")

// ErrReplicaCorrupt: replicated bytes are not a valid record at that place.
var ErrReplicaCorrupt = errors.New("replicated bytes are not a valid record")

// Replica is a slave's appender for one connection to a master: it holds
// the start of a record whose rest has not arrived yet (a Java master cuts
// batches anywhere; ours sends whole records). A new connection starts a
// new Replica, since the master then resends from the slave's
// MaxPhyOffset. The partial record is bounded by maxMessageSize.
type Replica struct {
	s    *Store
	tail []byte
}

// NewReplica starts appending replicated bytes to s at its end.
func (s *Store) NewReplica() *Replica { return &Replica{s: s} }

// ReadReplica returns the commit log bytes from `from` on, for a slave:
// whole records (plus, at the end of a segment, the blank's header), at
// most maxBytes unless the first record alone is bigger (a record is
// never split by us; maxMessageSize bounds it). A batch never crosses a
// segment. from must be a record boundary or a segment start; at the end
// of the log the answer is empty. Bytes still in the write buffer are
// included: the slave acknowledges what it stored, and the master answers
// SYNC_MASTER puts by that. next is where the following batch starts:
// from+len(data), or after a blank the next segment's start.
func (s *Store) ReadReplica(from int64, maxBytes int) (data []byte, next int64, err error) {
	end := s.cl.MaxOffset()
	if from >= end {
		return nil, from, nil
	}
	if from < s.cl.MinOffset() {
		return nil, from, fmt.Errorf("store: replica read at %d: below the log's first offset %d: %w", from, s.cl.MinOffset(), segment.ErrBeyondEnd)
	}
	seg := s.cl.Segments().Find(from)
	if seg == nil {
		return nil, from, fmt.Errorf("store: replica read at %d: no segment: %w", from, segment.ErrBeyondEnd)
	}
	next = -1
	rel := from - seg.Base
	stop := rel // end of what the batch carries, relative to seg
	var head [message.BlankSizeMin]byte
	for stop < seg.Wrote {
		if stop+message.BlankSizeMin > seg.Wrote {
			return nil, from, fmt.Errorf("store: replica read at %d: %d bytes left in segment %d: %w", seg.Base+stop, seg.Wrote-stop, seg.Base, ErrReplicaCorrupt)
		}
		if err := seg.ReadAt(head[:], stop); err != nil {
			return nil, from, fmt.Errorf("store: replica read: %w", err)
		}
		kind, size, err := message.Peek(head[:])
		if err != nil {
			return nil, from, fmt.Errorf("store: replica read at %d: %w", seg.Base+stop, err)
		}
		if kind == message.KindBlank {
			next = seg.Base + stop + int64(size)
			stop += message.BlankSizeMin
			break
		}
		if stop > rel && stop-rel+int64(size) > int64(maxBytes) {
			break
		}
		stop += int64(size)
		if stop-rel >= int64(maxBytes) {
			break
		}
	}
	b := make([]byte, stop-rel)
	if err := seg.ReadAt(b, rel); err != nil {
		return nil, from, fmt.Errorf("store: replica read [%d,%d): %w", from, seg.Base+stop, err)
	}
	if next < 0 {
		next = seg.Base + stop
	}
	return b, next, nil
}

// CommitLogSegmentSize is the commit log's file size: a fresh slave
// (nothing stored) is sent the master's log from the start of its last
// segment, as in Java.
func (s *Store) CommitLogSegmentSize() int64 { return s.cl.SegmentSize() }

// Offset is where the next replicated byte goes: the log's end plus
// the partial record held back. A slave reports MaxPhyOffset (what it
// stored) to the master, and checks each batch against Offset.
func (r *Replica) Offset() int64 { return r.s.cl.MaxOffset() + int64(len(r.tail)) }

// Pending is the size of the partial record held back.
func (r *Replica) Pending() int { return len(r.tail) }

// Append appends bytes a master sent, which start at offset start.
// Every whole record is checked (size, magic, body CRC, the store's
// whole-record CRC, and that its PHYSICALOFFSET is where it lands) before
// it is appended; a record cut by the end of data is held back until the
// next call. The records are dispatched to the consume queues and index
// as puts are, once written to the OS (or synced, under serveOnlyFlushed).
// On error the valid prefix stays appended and the rest is dropped.
func (r *Replica) Append(start int64, data []byte) error {
	s := r.s
	if s.closed {
		return ErrClosed
	}
	pos := s.cl.MaxOffset() // where the next whole record lands
	empty := len(s.cl.Segments().Segments()) == 0 && len(r.tail) == 0
	switch {
	case empty && start%s.cl.SegmentSize() == 0:
		// An empty log starts wherever the master says, on a segment
		// boundary (a fresh slave gets the master's last segment).
		pos = start
	case start != r.Offset():
		return fmt.Errorf("store: replica batch at %d, slave expects %d: %w", start, r.Offset(), ErrReplicaOffset)
	}
	buf := data
	if len(r.tail) > 0 {
		buf = append(r.tail, data...)
		r.tail = nil
	}
	appended := false
	defer func() {
		if appended {
			s.replicaAppended()
		}
	}()
	for len(buf) > 0 {
		off := pos
		if len(buf) < message.BlankSizeMin {
			return r.holdTail(buf)
		}
		kind, size, err := message.Peek(buf)
		if err != nil {
			return fmt.Errorf("store: replica at %d: %w: %w", off, ErrReplicaCorrupt, err)
		}
		if kind == message.KindBlank {
			if err := s.appendReplicaBlank(off, size, buf[:message.BlankSizeMin]); err != nil {
				return err
			}
			appended = true
			buf = buf[message.BlankSizeMin:]
			pos = s.cl.MaxOffset()
			continue
		}
		if size > s.cfg.MaxMessageSize {
			return fmt.Errorf("store: replica at %d: record of %d bytes exceeds maxMessageSize %d: %w", off, size, s.cfg.MaxMessageSize, ErrReplicaCorrupt)
		}
		if len(buf) < size {
			return r.holdTail(buf)
		}
		b := buf[:size]
		if err := s.appendReplicaRecord(off, b); err != nil {
			return err
		}
		appended = true
		buf = buf[size:]
		pos = s.cl.MaxOffset()
	}
	return nil
}

func (r *Replica) holdTail(b []byte) error {
	if len(b) > r.s.cfg.MaxMessageSize {
		return fmt.Errorf("store: replica tail of %d bytes exceeds maxMessageSize: %w", len(b), ErrReplicaCorrupt)
	}
	r.tail = append([]byte(nil), b...)
	return nil
}

// replicaAppended hands the appended records to the OS one loop turn
// from now (they are then dispatched, as puts are) and, under
// SYNC_FLUSH, asks for an fsync: no put waits on a slave to start one
// (Java's GroupCommitService flushes every 10 ms without requests).
func (s *Store) replicaAppended() {
	s.scheduleWrite()
	if s.cfg.FlushDiskType == config.SyncFlush {
		s.flush.kick()
	}
}

// appendReplicaRecord validates one whole record b meant for offset off
// and appends it.
func (s *Store) appendReplicaRecord(off int64, b []byte) error {
	rec, err := message.Decode(b, true)
	if err != nil {
		return fmt.Errorf("store: replica at %d: %w: %w", off, ErrReplicaCorrupt, err)
	}
	if err := message.CheckRecordCRC(b); err != nil {
		return fmt.Errorf("store: replica at %d: %w: %w", off, ErrReplicaCorrupt, err)
	}
	if rec.PhysicalOffset != off {
		return fmt.Errorf("store: replica record says offset %d, lands at %d: %w", rec.PhysicalOffset, off, ErrReplicaCorrupt)
	}
	seg, err := s.replicaSegment(off, len(b))
	if err != nil {
		return err
	}
	// Append copies into the segment's write buffer or writes through;
	// either way b (which aliases the caller's frame) is not kept.
	if err := seg.Append(b); err != nil {
		return s.replicaWriteFailed(off, err)
	}
	tran := message.TransactionType(rec.SysFlag)
	if tran == message.FlagTransactionNot || tran == message.FlagTransCommit {
		next := s.queueOffset(qkey{rec.Topic, rec.QueueID})
		*next = max(*next, rec.QueueOffset+1)
	}
	s.lastStoreTimestamp = max(s.lastStoreTimestamp, rec.StoreTimestamp)
	s.Stats.Puts++
	s.Stats.PutBytes += int64(len(b))
	return nil
}

// replicaSegment returns the segment a record of n bytes at off goes
// into, creating the next one when off starts it.
func (s *Store) replicaSegment(off int64, n int) (*segment.Segment, error) {
	segs := s.cl.Segments()
	last := segs.Last()
	if last == nil || off == last.Base+last.Capacity {
		if off%s.cl.SegmentSize() != 0 {
			return nil, fmt.Errorf("store: replica record at %d starts an empty log off a segment boundary: %w", off, ErrReplicaCorrupt)
		}
		next, err := s.cl.CreateSegment(off)
		if err != nil {
			if errors.Is(err, runtime.ErrNoSpace) {
				s.markDiskFull(err)
			}
			return nil, fmt.Errorf("store: replica: %w: %w", commitlog.ErrCreateSegment, err)
		}
		if last == nil {
			// A fresh slave starts where the master's last segment
			// starts (Java), not at 0: nothing below is to dispatch.
			s.dispatched = max(s.dispatched, off)
		}
		last = next
	}
	if int64(n)+message.BlankSizeMin > last.Free() {
		return nil, fmt.Errorf("store: replica record of %d bytes at %d overruns segment %d (%d free): %w", n, off, last.Base, last.Free(), ErrReplicaCorrupt)
	}
	return last, nil
}

// appendReplicaBlank ends the current segment with the blank header the
// master sent: the rest of the segment is filler.
func (s *Store) appendReplicaBlank(off int64, size int, head []byte) error {
	last := s.cl.Segments().Last()
	if last == nil || last.End() != off || int64(size) != last.Free() {
		return fmt.Errorf("store: replica blank of %d bytes at %d does not end the segment: %w", size, off, ErrReplicaCorrupt)
	}
	if err := last.Append(head); err != nil {
		return s.replicaWriteFailed(off, err)
	}
	last.MarkFull()
	return nil
}

func (s *Store) replicaWriteFailed(off int64, err error) error {
	if errors.Is(err, runtime.ErrNoSpace) {
		s.markDiskFull(err)
	}
	return fmt.Errorf("store: replica append at %d: %w", off, err)
}
