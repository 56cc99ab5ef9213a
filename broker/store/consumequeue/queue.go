// Package consumequeue holds the per topic-queue indexes into the commit
// log (RocketMQ's ConsumeQueue): fixed 20-byte units, one per message, in
// queue-offset order, so that the n-th message of a queue is found at byte
// n*20 without a search. Consume queues are derived data: the store rebuilds
// them from the commit log after a crash.
package consumequeue

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"
	"strconv"

	"rocketsim/broker/store/segment"
	"rocketsim/runtime"
)

// UnitSize is one unit: commit log offset (8), record size (4), tag hash (8).
const UnitSize = 20

// recoverSegmentsMax bounds how many trailing segments recovery scans:
// older ones were full and synced long before (Java scans the last 3 too).
const recoverSegmentsMax = 3

// writeBufferUnits bounds the units a queue collects before writing them
// (they are written at the latest by the next consume queue flush).
const writeBufferUnits = 256

// scanChunkUnits bounds the read buffer of a recovery scan.
const scanChunkUnits = 4096

// ErrGap: a unit arrived for a queue offset past the end of the queue. The
// commit log and the queue disagree; the dispatcher must rebuild.
var ErrGap = errors.New("consume queue gap")

// Unit is one consume queue entry.
type Unit struct {
	Offset   int64 // commit log offset of the record
	Size     int32
	TagsCode int64
}

// Dir is where a queue's segments live: <root>/<topic>/<queueId>.
func Dir(root, topic string, queueID int32) string {
	return path.Join(root, topic, strconv.Itoa(int(queueID)))
}

// Queue is one topic-queue's consume queue.
type Queue struct {
	Topic   string
	QueueID int32
	seg     *segment.Log
	// minLogical is the first queue offset still served: retention removes
	// whole segments, and a queue created late starts past zero.
	minLogical int64
	// maxPhysicalEnd is the commit log end of the newest unit (offset+size);
	// units at or below it are already present when redispatched.
	maxPhysicalEnd int64
}

// Open loads a queue. Its end is not trusted until Recover has run.
func Open(fs runtime.FS, root, topic string, queueID int32, segmentSize int64) (*Queue, error) {
	if segmentSize%UnitSize != 0 {
		panic(fmt.Sprintf("consumequeue: segment size %d is not a multiple of %d", segmentSize, UnitSize))
	}
	s, err := segment.Open(fs, Dir(root, topic, queueID), segmentSize)
	if err != nil {
		return nil, fmt.Errorf("consume queue %s-%d: %w", topic, queueID, err)
	}
	for _, seg := range s.Segments() {
		seg.SetBuffer(writeBufferUnits * UnitSize)
	}
	q := &Queue{Topic: topic, QueueID: queueID, seg: s}
	q.minLogical = s.MinOffset() / UnitSize
	return q, nil
}

// Segments exposes the files (flush).
func (q *Queue) Segments() *segment.Log { return q.seg }

// MinOffset is the first queue offset served.
func (q *Queue) MinOffset() int64 { return max(q.minLogical, q.seg.MinOffset()/UnitSize) }

// MaxOffset is the queue offset the next message gets.
func (q *Queue) MaxOffset() int64 { return q.seg.MaxOffset() / UnitSize }

// MaxPhysicalEnd is the commit log end of the newest unit.
func (q *Queue) MaxPhysicalEnd() int64 { return q.maxPhysicalEnd }

func encode(u Unit) [UnitSize]byte {
	var b [UnitSize]byte
	binary.BigEndian.PutUint64(b[0:], uint64(u.Offset))
	binary.BigEndian.PutUint32(b[8:], uint32(u.Size))
	binary.BigEndian.PutUint64(b[12:], uint64(u.TagsCode))
	return b
}

func decode(b []byte) Unit {
	return Unit{
		Offset:   int64(binary.BigEndian.Uint64(b[0:])),
		Size:     int32(binary.BigEndian.Uint32(b[8:])),
		TagsCode: int64(binary.BigEndian.Uint64(b[12:])),
	}
}

// Put stores the unit for queueOffset. A unit already present (the
// dispatcher replaying the commit log after recovery) is skipped.
func (q *Queue) Put(queueOffset int64, u Unit) error {
	if u.Offset+int64(u.Size) <= q.maxPhysicalEnd {
		return nil
	}
	want := q.MaxOffset()
	if q.maxPhysicalEnd == 0 && queueOffset > want {
		// A queue with no unit yet (new, or all its units lost or
		// removed) starts where the commit log says, not at zero.
		if err := q.seg.Reset(); err != nil {
			return fmt.Errorf("consume queue %s-%d: reset: %w", q.Topic, q.QueueID, err)
		}
		if err := q.startAt(queueOffset); err != nil {
			return err
		}
		want = queueOffset
	}
	if queueOffset < want {
		return nil
	}
	if queueOffset > want {
		return fmt.Errorf("consume queue %s-%d: unit for offset %d, queue ends at %d: %w", q.Topic, q.QueueID, queueOffset, want, ErrGap)
	}
	s := q.seg.Last()
	if s == nil || s.Free() < UnitSize {
		var err error
		base := int64(0)
		if s != nil {
			base = s.Base + s.Capacity
		}
		if s, err = q.seg.Create(base); err != nil {
			return fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
		}
		s.SetBuffer(writeBufferUnits * UnitSize)
	}
	b := encode(u)
	if err := s.Append(b[:]); err != nil {
		return fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
	}
	q.maxPhysicalEnd = u.Offset + int64(u.Size)
	return nil
}

// startAt makes an empty queue begin at logical offset off: its first
// segment is created at the aligned base and filled with blank units
// (zeros) up to off, which readers never see because MinOffset is off.
func (q *Queue) startAt(off int64) error {
	cap := q.seg.Capacity
	base := off * UnitSize / cap * cap
	s, err := q.seg.Create(base)
	if err != nil {
		return fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
	}
	if fill := off*UnitSize - base; fill > 0 {
		if err := s.Append(make([]byte, fill)); err != nil {
			return fmt.Errorf("consume queue %s-%d: blank prefix: %w", q.Topic, q.QueueID, err)
		}
	}
	s.SetBuffer(writeBufferUnits * UnitSize)
	q.minLogical = off
	return nil
}

// Get returns up to n units from queue offset from.
func (q *Queue) Get(from int64, n int) ([]Unit, error) {
	if from < q.MinOffset() || from >= q.MaxOffset() || n <= 0 {
		return nil, nil
	}
	n = int(min(int64(n), q.MaxOffset()-from))
	out := make([]Unit, 0, n)
	buf := make([]byte, 0, n*UnitSize)
	for len(out) < n {
		pos := (from + int64(len(out))) * UnitSize
		s := q.seg.Find(pos)
		if s == nil {
			return out, fmt.Errorf("consume queue %s-%d: no segment for offset %d", q.Topic, q.QueueID, pos/UnitSize)
		}
		k := min(int64(n-len(out)), (s.Wrote-(pos-s.Base))/UnitSize)
		b := buf[:k*UnitSize]
		if err := s.ReadAt(b, pos-s.Base); err != nil {
			return out, fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
		}
		for i := int64(0); i < k; i++ {
			out = append(out, decode(b[i*UnitSize:]))
		}
	}
	return out, nil
}

// Recover cuts the queue back to the units that are surely valid: the
// leading run whose commit log offsets increase and stay below bound (the
// commit log offset up to which the queue was checkpointed as durable, or
// the end of the commit log when that is smaller). Units past it are torn,
// unsynced, or point at records that no longer exist; the dispatcher
// rewrites the good ones from the commit log.
func (q *Queue) Recover(bound int64) error {
	segs := q.seg.Segments()
	if len(segs) == 0 {
		return nil
	}
	start := max(len(segs)-recoverSegmentsMax, 0)
	end := segs[start].Base
	prev := int64(-1)
	// The first segment may begin with a blank prefix (startAt): zero
	// units before any real one.
	blankPrefix := start == 0
	buf := make([]byte, scanChunkUnits*UnitSize)
	q.maxPhysicalEnd = 0
scan:
	for _, s := range segs[start:] {
		rel := max(end-s.Base, 0)
		for rel < s.Capacity {
			n := s.ReadRaw(buf[:min(int64(len(buf)), s.Capacity-rel)], rel)
			n -= n % UnitSize
			if n == 0 {
				break scan
			}
			for i := 0; i < n; i += UnitSize {
				u := decode(buf[i:])
				if blankPrefix && u == (Unit{}) {
					rel += UnitSize
					q.minLogical = (s.Base + rel) / UnitSize
					continue
				}
				blankPrefix = false
				if u.Offset < 0 || u.Size <= 0 || u.Offset <= prev || u.Offset+int64(u.Size) > bound {
					break scan
				}
				prev = u.Offset
				q.maxPhysicalEnd = u.Offset + int64(u.Size)
				rel += UnitSize
				end = s.Base + rel
			}
		}
	}
	if blankPrefix {
		// No real unit at all: the queue is empty, and the next Put
		// decides where it starts.
		q.minLogical = segs[0].Base / UnitSize
	}
	if err := q.seg.TruncateTo(end); err != nil {
		return fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
	}
	return nil
}

// TimeOf reads the store timestamp of the record a unit points at.
type TimeOf func(u Unit) (int64, error)

// OffsetByTime is the queue offset of the first message stored at or after
// ts (milliseconds), by binary search over store timestamps (Java
// getOffsetInQueueByTime). Past the last message it returns MaxOffset.
func (q *Queue) OffsetByTime(ts int64, timeOf TimeOf) (int64, error) {
	lo, hi := q.MinOffset(), q.MaxOffset()
	for lo < hi {
		mid := lo + (hi-lo)/2
		us, err := q.Get(mid, 1)
		if err != nil || len(us) == 0 {
			return 0, fmt.Errorf("consume queue %s-%d: offset by time: unit %d: %v", q.Topic, q.QueueID, mid, err)
		}
		t, err := timeOf(us[0])
		if err != nil {
			// The record was removed by retention: everything before
			// it is older still.
			lo = mid + 1
			continue
		}
		if t < ts {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// DropBefore removes segments whose units all point below physMin (commit
// log retention removed their records) and returns how many it removed.
// The last segment is kept so the queue remembers its max offset.
func (q *Queue) DropBefore(physMin int64) (int, error) {
	removed := 0
	for segs := q.seg.Segments(); len(segs) > 1; segs = q.seg.Segments() {
		s := segs[0]
		if s.Wrote < UnitSize {
			break
		}
		var b [UnitSize]byte
		if err := s.ReadAt(b[:], s.Wrote-UnitSize); err != nil {
			return removed, fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
		}
		if u := decode(b[:]); u.Offset+int64(u.Size) > physMin {
			break
		}
		if err := q.seg.RemoveFirst(); err != nil {
			return removed, fmt.Errorf("consume queue %s-%d: %w", q.Topic, q.QueueID, err)
		}
		removed++
	}
	// Inside the first remaining segment, skip units whose records are gone.
	lo, hi := q.MinOffset(), q.MaxOffset()
	for lo < hi {
		mid := lo + (hi-lo)/2
		us, err := q.Get(mid, 1)
		if err != nil || len(us) == 0 {
			break
		}
		if us[0].Offset < physMin {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	q.minLogical = lo
	return removed, nil
}

// Destroy removes the queue's files.
func (q *Queue) Destroy() error { return q.seg.RemoveAll() }

// Close closes the files.
func (q *Queue) Close() { q.seg.Close() }
