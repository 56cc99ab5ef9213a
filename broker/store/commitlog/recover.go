package commitlog

import (
	"fmt"

	"rocketsim/broker/store/message"
)

// Visit is called by Recover for each valid record in order, with the
// decoded record (its Body aliases a scratch buffer: copy to keep).
type Visit func(rec *message.Record, off int64, size int)

// Recover finds the end of the valid records, starting at from (a record
// boundary known to be valid, such as a checkpointed offset, or the start
// of a segment), validating magic code, size and, when checkCRC, the body
// CRC of every record. Everything past the last valid record (a torn or
// never-synced tail) is cut off, so nothing torn can be served later or
// mistaken for a record by the next recovery. visit sees every valid record
// from from onwards. It returns the new end of the log.
func (l *Log) Recover(from int64, checkCRC bool, visit Visit) (int64, error) {
	segs := l.seg.Segments()
	if len(segs) == 0 {
		return 0, nil
	}
	if from < segs[0].Base {
		from = segs[0].Base
	}
	end := from
	buf := make([]byte, 0, 64<<10)
	var head [message.BlankSizeMin]byte
scan:
	for i := range segs {
		s := segs[i]
		if s.Base+s.Capacity <= from {
			continue
		}
		rel := max(from-s.Base, 0)
		for {
			if rel+message.BlankSizeMin > s.Capacity {
				// Every segment ends with a blank; a record that runs
				// up to the edge without one means corruption.
				break scan
			}
			if n := s.ReadRaw(head[:], rel); n < len(head) {
				break scan // end of file: the log ends here
			}
			kind, size, err := message.Peek(head[:])
			if err != nil {
				break scan
			}
			if kind == message.KindBlank {
				if rel+int64(size) != s.Capacity {
					break scan // a blank must reach the segment's end
				}
				s.Wrote = s.Capacity
				end = s.Base + s.Capacity
				if i+1 < len(segs) {
					continue scan
				}
				break scan
			}
			if rel+int64(size)+message.BlankSizeMin > s.Capacity {
				break scan
			}
			if cap(buf) < size {
				buf = make([]byte, 0, size)
			}
			b := buf[:size]
			if n := s.ReadRaw(b, rel); n < size {
				break scan
			}
			rec, err := message.Decode(b, checkCRC)
			if err != nil {
				break scan
			}
			if checkCRC && message.VerifySealed(b) != nil {
				break scan
			}
			if rec.PhysicalOffset != s.Base+rel {
				// A whole, valid record at the wrong place is a stale
				// one from a previous life of this file region.
				break scan
			}
			if visit != nil {
				visit(&rec, s.Base+rel, size)
			}
			rel += int64(size)
			end = s.Base + rel
		}
	}
	if err := l.seg.TruncateTo(end); err != nil {
		return 0, fmt.Errorf("commit log: cut torn tail at %d: %w", end, err)
	}
	return end, nil
}

// FirstRecordAt decodes the record at the start of the segment based at
// base. Retention reads its store timestamp as the time the segment before
// it stopped being written.
func (l *Log) FirstRecordAt(base int64) (message.Record, error) {
	rec, _, err := l.ReadRecord(base)
	if err != nil {
		return rec, fmt.Errorf("first record of segment %d: %w", base, err)
	}
	return rec, nil
}
