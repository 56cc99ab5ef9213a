// Package commitlog is the broker's single append-only log of every stored
// message (RocketMQ's CommitLog): records in the stored-message format,
// segment files of a fixed size, and an end-of-segment blank where the next
// record does not fit, so that no record ever spans two files and a pull
// response can hand out a record's bytes exactly as they sit on disk.
package commitlog

import (
	"encoding/binary"
	"errors"
	"fmt"

	"rocketsim/broker/store/message"
	"rocketsim/broker/store/segment"
	"rocketsim/runtime"
)

// ErrCreateSegment: the next segment file could not be created (RocketMQ's
// CREATE_MAPPED_FILE_FAILED).
var ErrCreateSegment = errors.New("cannot create commit log segment")

// WriteBufferSize bounds the records the commit log collects in memory
// before handing them to the OS in one write. One write per record costs a
// system call per message, which at 1 KiB messages is most of a put. The
// buffer is written at the latest when a sync starts, when it fills, and
// one loop turn after its first record (the store's write timer).
const WriteBufferSize = 256 << 10

// Write-behind bounds: the commit log hands its buffer to the runtime's
// writer in chunks of WriteBehindChunk, at most WriteBehindFlights at once
// (beyond that the loop writes itself). The chunk is small enough that the
// first records of a loop turn reach the OS (and their waiting puts are
// answered) while the loop still encodes the turn's last ones.
const (
	WriteBehindChunk   = 256 << 10
	WriteBehindFlights = 16
)

// Log is the commit log.
type Log struct {
	seg *segment.Log
	// onWritten, when set, turns on write-behind for every segment, in
	// chunks of wbChunk with at most wbFlights out.
	onWritten          func(error)
	wbChunk, wbFlights int
	// warmAhead: zero-fill this far past the end (Segment.SetWarmAhead).
	warmAhead int64
}

// WarmAhead is the zero-filled window the store keeps past the end of the
// log under SYNC_FLUSH (see Segment.SetWarmAhead): 16 fsyncs' worth of
// 64 KiB groups and more, few enough zero writes to stay out of the way.
const WarmAhead = 16 << 20

// SetWarmAhead keeps ahead bytes past the end of the log zero-filled, in
// the last segment and in each new one; 0 turns it off.
func (l *Log) SetWarmAhead(ahead int64) {
	l.warmAhead = ahead
	if s := l.seg.Last(); s != nil {
		s.SetWarmAhead(ahead)
	}
}

// SetWriteBehind makes the commit log write through File.WriteAsync in
// chunks of chunk bytes, at most flights at once (the package's constants
// are the defaults); onWritten runs on the loop after each write
// completes, with its error.
func (l *Log) SetWriteBehind(chunk, flights int, onWritten func(error)) {
	l.onWritten, l.wbChunk, l.wbFlights = onWritten, chunk, flights
	for _, s := range l.seg.Segments() {
		s.SetWriteBehind(chunk, flights, onWritten)
	}
}

// Open loads the segments in dir. The end of the log is not trusted until
// Recover has run.
func Open(fs runtime.FS, dir string, segmentSize int64) (*Log, error) {
	s, err := segment.Open(fs, dir, segmentSize)
	if err != nil {
		return nil, fmt.Errorf("commit log: %w", err)
	}
	for _, sg := range s.Segments() {
		sg.SetBuffer(WriteBufferSize)
	}
	return &Log{seg: s}, nil
}

// WrittenOffset is the offset below which every record reached the OS (is
// in the page cache); records past it are buffered or being written.
func (l *Log) WrittenOffset() int64 {
	for _, s := range l.seg.DirtySegments() {
		if landed := s.Landed(); landed < s.End() {
			return landed
		}
	}
	return l.seg.MaxOffset()
}

// FlushWrites hands buffered records to the OS (with write-behind, starts
// their writes). On error they stay buffered and a later call retries.
func (l *Log) FlushWrites() error {
	for _, s := range l.seg.DirtySegments() {
		if err := s.WriteBehind(); err != nil {
			return fmt.Errorf("commit log: %w", err)
		}
	}
	return nil
}

// CoalesceWrites is FlushWrites at the end of a loop turn: with
// write-behind, records that do not fill a chunk wait while a write is in
// flight, to go out with those of the next turns (see Segment.Coalesce);
// Buffered reports them.
func (l *Log) CoalesceWrites() error {
	for _, s := range l.seg.DirtySegments() {
		if err := s.Coalesce(); err != nil {
			return fmt.Errorf("commit log: %w", err)
		}
	}
	return nil
}

// Buffered reports records appended but neither written nor in flight.
func (l *Log) Buffered() bool {
	for _, s := range l.seg.DirtySegments() {
		if s.Buffered() > 0 {
			return true
		}
	}
	return false
}

// Segments exposes the segment log (flush, retention).
func (l *Log) Segments() *segment.Log { return l.seg }

// MinOffset is the first offset still stored.
func (l *Log) MinOffset() int64 { return l.seg.MinOffset() }

// MaxOffset is where the next record goes (the end of the log).
func (l *Log) MaxOffset() int64 { return l.seg.MaxOffset() }

// SegmentSize is the capacity of each file.
func (l *Log) SegmentSize() int64 { return l.seg.Capacity }

// Fits reports whether a record of n bytes can ever be stored: it must
// leave room for the smallest blank in an empty segment.
func (l *Log) Fits(n int) bool { return int64(n)+message.BlankSizeMin <= l.seg.Capacity }

// NextOffset is the offset the next record of n bytes will get: the end of
// the log, or the start of the next segment when it does not fit.
func (l *Log) NextOffset(n int) int64 {
	s := l.seg.Last()
	if s == nil {
		return l.seg.MaxOffset() - l.seg.MaxOffset()%l.seg.Capacity
	}
	if int64(n)+message.BlankSizeMin > s.Free() {
		return s.Base + s.Capacity
	}
	return s.End()
}

// Append writes one encoded record and returns its offset. The record's
// PHYSICALOFFSET field is set here, because only the log knows whether the
// record rolls into a new segment. On error nothing was appended: a partial
// write is overwritten by the next append.
func (l *Log) Append(rec []byte) (int64, error) {
	if !l.Fits(len(rec)) {
		panic(fmt.Sprintf("commit log: record of %d bytes can never fit a %d-byte segment", len(rec), l.seg.Capacity))
	}
	s := l.seg.Last()
	if s == nil || int64(len(rec))+message.BlankSizeMin > s.Free() {
		var err error
		if s, err = l.roll(s); err != nil {
			return 0, err
		}
	}
	off := s.End()
	binary.BigEndian.PutUint64(rec[message.OffsetPhysicalOffset:], uint64(off))
	message.SealCRC(rec)
	if err := s.Append(rec); err != nil {
		return 0, fmt.Errorf("commit log: append at %d: %w", off, err)
	}
	return off, nil
}

// roll ends segment s with a blank and starts the next one.
func (l *Log) roll(s *segment.Segment) (*segment.Segment, error) {
	base := int64(0)
	if s != nil {
		base = s.Base + s.Capacity
		if s.Wrote < s.Capacity {
			blank := message.AppendBlank(make([]byte, 0, message.BlankSizeMin), int(s.Free()))
			if err := s.Append(blank); err != nil {
				return nil, fmt.Errorf("commit log: end-of-segment blank: %w", err)
			}
			s.MarkFull()
		}
	} else {
		base = l.seg.MaxOffset()
	}
	next, err := l.CreateSegment(base)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrCreateSegment, err)
	}
	return next, nil
}

// CreateSegment adds the segment starting at base, buffered and written
// behind as the others (a slave's replica starts segments itself).
func (l *Log) CreateSegment(base int64) (*segment.Segment, error) {
	next, err := l.seg.Create(base)
	if err != nil {
		return nil, err
	}
	next.SetBuffer(WriteBufferSize)
	if l.onWritten != nil {
		next.SetWriteBehind(l.wbChunk, l.wbFlights, l.onWritten)
	}
	next.SetWarmAhead(l.warmAhead)
	return next, nil
}

// Read returns the size bytes of the record at off: the exact stored bytes
// a pull response carries.
func (l *Log) Read(off int64, size int32) ([]byte, error) {
	s := l.seg.Find(off)
	if s == nil {
		return nil, fmt.Errorf("commit log: offset %d outside [%d,%d): %w", off, l.MinOffset(), l.MaxOffset(), segment.ErrBeyondEnd)
	}
	b := make([]byte, size)
	if err := s.ReadAt(b, off-s.Base); err != nil {
		return nil, fmt.Errorf("commit log: %w", err)
	}
	return b, nil
}

// ReadRecord reads and decodes the record at off, checking its CRC.
func (l *Log) ReadRecord(off int64) (message.Record, []byte, error) {
	s := l.seg.Find(off)
	if s == nil {
		return message.Record{}, nil, fmt.Errorf("commit log: offset %d outside [%d,%d): %w", off, l.MinOffset(), l.MaxOffset(), segment.ErrBeyondEnd)
	}
	var head [message.BlankSizeMin]byte
	if err := s.ReadAt(head[:], off-s.Base); err != nil {
		return message.Record{}, nil, fmt.Errorf("commit log: %w", err)
	}
	kind, size, err := message.Peek(head[:])
	if err != nil {
		return message.Record{}, nil, fmt.Errorf("commit log: at %d: %w", off, err)
	}
	if kind != message.KindMessage {
		return message.Record{}, nil, fmt.Errorf("commit log: blank at %d: %w", off, message.ErrCorrupt)
	}
	b := make([]byte, size)
	if err := s.ReadAt(b, off-s.Base); err != nil {
		return message.Record{}, nil, fmt.Errorf("commit log: %w", err)
	}
	rec, err := message.Decode(b, true)
	if err != nil {
		return rec, nil, fmt.Errorf("commit log: at %d: %w", off, err)
	}
	return rec, b, nil
}

// Close closes the files.
func (l *Log) Close() { l.seg.Close() }

// Iterate calls fn for each record in [from, to), skipping end-of-segment
// blanks. from must be a record boundary (or a segment start). Records are
// CRC-checked: Iterate serves replay after recovery and dispatch retries,
// and a record that fails its check there is a bug worth stopping for.
func (l *Log) Iterate(from, to int64, fn func(rec *message.Record, off int64, size int) error) error {
	off := from
	for off < to {
		s := l.seg.Find(off)
		if s == nil {
			return fmt.Errorf("commit log: iterate: offset %d outside [%d,%d): %w", off, l.MinOffset(), l.MaxOffset(), segment.ErrBeyondEnd)
		}
		var head [message.BlankSizeMin]byte
		if err := s.ReadAt(head[:], off-s.Base); err != nil {
			return fmt.Errorf("commit log: iterate: %w", err)
		}
		kind, size, err := message.Peek(head[:])
		if err != nil {
			return fmt.Errorf("commit log: iterate at %d: %w", off, err)
		}
		if kind == message.KindBlank {
			off = s.Base + s.Capacity
			continue
		}
		rec, _, err := l.ReadRecord(off)
		if err != nil {
			return err
		}
		if err := fn(&rec, off, size); err != nil {
			return err
		}
		off += int64(size)
	}
	return nil
}
