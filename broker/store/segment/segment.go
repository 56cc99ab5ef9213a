// Package segment is a log cut into files of a fixed capacity, each named
// by the 20-digit offset of its first byte (RocketMQ's MappedFileQueue).
// The commit log and every consume queue are such logs.
//
// Files grow by appending rather than being preallocated: then a full disk
// shows up as ENOSPC on the write that does not fit (possibly partial),
// which the writer handles, instead of as a hole that only a later page
// fault would find.
package segment

import (
	"errors"
	"fmt"
	"path"
	"strconv"

	"rocketsim/runtime"
)

// NameLen is the width of a segment file name: offsets are zero-padded to
// 20 digits (Java UtilAll.offset2FileName) so names sort as offsets.
const NameLen = 20

// FileName is the name of the segment starting at base.
func FileName(base int64) string { return fmt.Sprintf("%020d", base) }

// Segment is one file of a log.
type Segment struct {
	file runtime.File
	Path string
	// Base is the log offset of the segment's first byte.
	Base int64
	// Capacity is the segment's fixed size; no record crosses it.
	Capacity int64
	// Wrote is how many bytes of the segment hold records. Bytes past it
	// are garbage from a failed write and are overwritten by the next one.
	Wrote int64
	// Synced is how many bytes a finished fsync covers.
	Synced int64

	// Write-behind buffer (consume queues): appends collect in buf, which
	// starts at bufStart, and reach the file in one write at the next
	// sync, read of that range, or when full. bufMax 0 writes through.
	buf      []byte
	bufStart int64
	bufMax   int

	// wb: write-behind through the runtime (the commit log); nil writes
	// the buffer with blocking writes.
	wb *writeBehind
	// warm: zero-fill ahead of Wrote (SetWarmAhead); nil: none.
	warm *warm

	// syncFailed: an fsync failed since the last good one. Linux may have
	// marked the unsynced pages clean without writing them, so the next
	// sync rewrites them first (see Rewrite).
	syncFailed bool
}

// SetBuffer makes appends collect up to n bytes before writing them in one
// call. Consume queue units are 20 bytes each: writing them one by one
// costs a system call per message, for data that is synced once a second.
func (s *Segment) SetBuffer(n int) { s.bufMax = n }

// FlushBuffer writes buffered appends to the file, with write-behind the
// flights that have not landed too, with blocking writes. On error they
// stay buffered (the write is idempotent) and the caller retries later.
func (s *Segment) FlushBuffer() error {
	if s.wb != nil {
		return s.writeAllNow()
	}
	return s.writeBuffer()
}

// writeBuffer writes the buffer with one blocking write.
func (s *Segment) writeBuffer() error {
	if len(s.buf) == 0 {
		return nil
	}
	if _, err := s.file.WriteAt(s.buf, s.bufStart); err != nil {
		return fmt.Errorf("segment %s: write %d buffered bytes at %d: %w", s.Path, len(s.buf), s.bufStart, err)
	}
	s.buf = s.buf[:0]
	if s.Wrote == s.Capacity {
		s.buf = nil // full: no more appends, give the memory back
	}
	return nil
}

// End is the log offset just after the segment's written bytes.
func (s *Segment) End() int64 { return s.Base + s.Wrote }

// Free is the room left in the segment.
func (s *Segment) Free() int64 { return s.Capacity - s.Wrote }

// Append writes p at the write position. On error the position does not
// move, so whatever part of p reached the file is overwritten by the next
// append: a failed put leaves no record behind.
func (s *Segment) Append(p []byte) error {
	if int64(len(p)) > s.Free() {
		panic(fmt.Sprintf("segment %s: append of %d bytes with %d free", s.Path, len(p), s.Free()))
	}
	if s.wb != nil {
		if len(s.buf) == 0 {
			s.bufStart = s.Wrote
			if s.buf == nil {
				s.buf = s.wb.newBuf()
			}
		}
		s.buf = append(s.buf, p...)
		s.Wrote += int64(len(p))
		if len(s.buf) >= s.wb.chunk {
			// A failure here is the next WriteBehind's to retry: the
			// bytes are kept, and the append itself succeeded.
			_ = s.launch(false)
		}
		return nil
	}
	if s.bufMax > 0 {
		if len(s.buf)+len(p) > s.bufMax {
			if err := s.FlushBuffer(); err != nil {
				return err
			}
		}
		if len(p) <= s.bufMax {
			if len(s.buf) == 0 {
				s.bufStart = s.Wrote
			}
			s.buf = append(s.buf, p...)
			s.Wrote += int64(len(p))
			return nil
		}
	}
	if _, err := s.file.WriteAt(p, s.Wrote); err != nil {
		return fmt.Errorf("segment %s: write %d bytes at %d: %w", s.Path, len(p), s.Wrote, err)
	}
	s.Wrote += int64(len(p))
	return nil
}

// WriteAt writes p at a position inside the segment without moving Wrote
// past what the caller says (consume queues fill slots by queue offset).
func (s *Segment) WriteAt(p []byte, rel int64) error {
	if rel < 0 || rel+int64(len(p)) > s.Capacity {
		panic(fmt.Sprintf("segment %s: write [%d,%d) outside capacity %d", s.Path, rel, rel+int64(len(p)), s.Capacity))
	}
	if _, err := s.file.WriteAt(p, rel); err != nil {
		return fmt.Errorf("segment %s: write %d bytes at %d: %w", s.Path, len(p), rel, err)
	}
	return nil
}

// ReadAt reads len(p) bytes at rel, which must lie inside what was written.
func (s *Segment) ReadAt(p []byte, rel int64) error {
	if rel < 0 || rel+int64(len(p)) > s.Wrote {
		return fmt.Errorf("segment %s: read [%d,%d) beyond written %d: %w", s.Path, rel, rel+int64(len(p)), s.Wrote, ErrBeyondEnd)
	}
	end := rel + int64(len(p))
	// The tail of the range may still be in flight or buffered: serve it
	// from memory.
	head := s.readFlights(p, rel) // p[:head] must come from the file
	if len(s.buf) > 0 && end > s.bufStart {
		from := max(rel, s.bufStart)
		copy(p[from-rel:], s.buf[from-s.bufStart:end-s.bufStart])
		head = min(head, int(from-rel))
	}
	p = p[:head]
	if len(p) == 0 {
		return nil
	}
	if _, err := s.file.ReadAt(p, rel); err != nil {
		return fmt.Errorf("segment %s: read %d bytes at %d: %w", s.Path, len(p), rel, err)
	}
	return nil
}

// ReadRaw reads whatever the file holds at rel, ignoring Wrote: recovery
// uses it to find where the valid records end. It returns the bytes read,
// fewer than len(p) at the end of the file.
func (s *Segment) ReadRaw(p []byte, rel int64) int {
	n, _ := s.file.ReadAt(p, rel)
	return n
}

// FileSize is the size of the file on disk.
func (s *Segment) FileSize() (int64, error) { return s.file.Size() }

// Sync makes the segment durable, blocking.
func (s *Segment) Sync() error {
	if err := s.prepareSync(); err != nil {
		return err
	}
	w := s.Wrote
	if err := s.file.Sync(); err != nil {
		s.syncFailed = true
		return fmt.Errorf("segment %s: sync: %w", s.Path, err)
	}
	s.syncFailed = false
	s.Synced = max(s.Synced, w)
	return nil
}

// prepareSync writes buffered appends, and after a failed fsync the whole
// unsynced range again.
func (s *Segment) prepareSync() error {
	if s.syncFailed {
		return s.Rewrite()
	}
	return s.FlushBuffer()
}

// SyncAsync starts an fsync covering what is written now and calls done on
// the loop when it finishes, after updating Synced. With write-behind the
// buffer goes out as a flight and the runtime orders the fsync behind it;
// a flight that fails meanwhile fails the sync, which could not have
// covered its bytes.
func (s *Segment) SyncAsync(done func(error)) {
	var err error
	if s.wb != nil && !s.syncFailed {
		err = s.WriteBehind()
	} else {
		err = s.prepareSync()
	}
	if err != nil {
		done(err)
		return
	}
	var failures uint64
	if s.wb != nil {
		failures = s.wb.failures
	}
	w := s.Wrote
	s.file.SyncAsync(func(err error) {
		if err == nil && s.wb != nil && s.wb.failures != failures {
			err = fmt.Errorf("a write it was to cover failed: %w", s.wb.lastErr)
		}
		if err == nil {
			s.syncFailed = false
			s.Synced = max(s.Synced, w)
		} else {
			s.syncFailed = true
			err = fmt.Errorf("segment %s: sync: %w", s.Path, err)
		}
		done(err)
	})
}

// ErrBeyondEnd: a read past the written part of a log.
var ErrBeyondEnd = errors.New("offset beyond the end of the log")

// Log is an ordered list of segments in one directory.
type Log struct {
	fs       runtime.FS
	Dir      string
	Capacity int64
	segs     []*Segment
	// cleanBefore: every segment below this index is fully synced. Only
	// the newest segments are written, but an older one stays unsynced
	// when its fsync failed while a newer one's succeeded.
	cleanBefore int
}

// Open loads every segment in dir (created if missing). Each segment's
// Wrote is set to its file size; recovery then moves the end with
// TruncateTo after validating records.
func Open(fs runtime.FS, dir string, capacity int64) (*Log, error) {
	if capacity <= 0 {
		panic(fmt.Sprintf("segment: capacity %d", capacity))
	}
	if err := fs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("segment log %s: mkdir: %w", dir, err)
	}
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("segment log %s: list: %w", dir, err)
	}
	l := &Log{fs: fs, Dir: dir, Capacity: capacity}
	for _, name := range names {
		base, ok := parseName(name)
		if !ok {
			continue // not ours (a temp file, a stray); leave it alone
		}
		if base%capacity != 0 {
			return nil, fmt.Errorf("segment log %s: file %s does not start on a multiple of the segment size %d; was the size changed?", dir, name, capacity)
		}
		if n := len(l.segs); n > 0 && l.segs[n-1].Base+capacity != base {
			return nil, fmt.Errorf("segment log %s: file %s does not follow %s: a segment is missing", dir, name, l.segs[n-1].Path)
		}
		p := path.Join(dir, name)
		f, err := fs.Open(p, runtime.ReadWrite)
		if err != nil {
			return nil, fmt.Errorf("segment log %s: open %s: %w", dir, name, err)
		}
		size, err := f.Size()
		if err != nil {
			return nil, fmt.Errorf("segment log %s: size of %s: %w", dir, name, err)
		}
		if size > capacity {
			return nil, fmt.Errorf("segment log %s: file %s has %d bytes, more than the segment size %d; was the size changed?", dir, name, size, capacity)
		}
		l.segs = append(l.segs, &Segment{file: f, Path: p, Base: base, Capacity: capacity, Wrote: size, Synced: size})
	}
	return l, nil
}

func parseName(name string) (int64, bool) {
	if len(name) != NameLen {
		return 0, false
	}
	v, err := strconv.ParseInt(name, 10, 64)
	return v, err == nil && v >= 0
}

// Segments returns the segments, oldest first. The slice is the log's own.
func (l *Log) Segments() []*Segment { return l.segs }

// Last is the newest segment, nil when the log is empty.
func (l *Log) Last() *Segment {
	if len(l.segs) == 0 {
		return nil
	}
	return l.segs[len(l.segs)-1]
}

// MinOffset is the first offset still on disk.
func (l *Log) MinOffset() int64 {
	if len(l.segs) == 0 {
		return 0
	}
	return l.segs[0].Base
}

// MaxOffset is the offset after the last written byte.
func (l *Log) MaxOffset() int64 {
	if s := l.Last(); s != nil {
		return s.End()
	}
	return 0
}

// Find returns the segment holding off, or nil.
func (l *Log) Find(off int64) *Segment {
	if len(l.segs) == 0 || off < l.segs[0].Base {
		return nil
	}
	i := int((off - l.segs[0].Base) / l.Capacity)
	if i >= len(l.segs) {
		return nil
	}
	return l.segs[i]
}

// Create adds an empty segment starting at base, which must follow the last
// one (or start an empty log on a segment boundary).
func (l *Log) Create(base int64) (*Segment, error) {
	if base%l.Capacity != 0 {
		panic(fmt.Sprintf("segment log %s: base %d not a multiple of %d", l.Dir, base, l.Capacity))
	}
	if last := l.Last(); last != nil && last.Base+l.Capacity != base {
		panic(fmt.Sprintf("segment log %s: new base %d does not follow %d", l.Dir, base, last.Base))
	}
	p := path.Join(l.Dir, FileName(base))
	f, err := l.fs.Open(p, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return nil, fmt.Errorf("segment log %s: create %s: %w", l.Dir, FileName(base), err)
	}
	// A crash between create and the first write can leave a stale file of
	// that name from an older life: start it empty.
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("segment log %s: truncate new %s: %w", l.Dir, FileName(base), err)
	}
	if err := l.fs.SyncDir(l.Dir); err != nil {
		f.Close()
		return nil, fmt.Errorf("segment log %s: sync dir: %w", l.Dir, err)
	}
	s := &Segment{file: f, Path: p, Base: base, Capacity: l.Capacity}
	l.segs = append(l.segs, s)
	return s, nil
}

// TruncateTo makes off the end of the log: later segments are removed and
// the file holding off is cut there, so no torn or stale bytes remain past
// the end for a later recovery to mistake for records.
func (l *Log) TruncateTo(off int64) error {
	for s := l.Last(); s != nil && s.Base > off; s = l.Last() {
		if err := l.removeLast(); err != nil {
			return err
		}
	}
	s := l.Last()
	if s == nil {
		return nil
	}
	if err := s.FlushBuffer(); err != nil {
		return err
	}
	rel := off - s.Base
	if rel > s.Capacity {
		panic(fmt.Sprintf("segment log %s: truncate to %d past segment %d", l.Dir, off, s.Base))
	}
	size, err := s.file.Size()
	if err != nil {
		return fmt.Errorf("segment log %s: size of %s: %w", l.Dir, s.Path, err)
	}
	// A segment ended by a blank is shorter than its capacity: there is
	// nothing to cut, and extending it would only spend disk.
	if size > rel {
		if err := s.file.Truncate(rel); err != nil {
			return fmt.Errorf("segment log %s: truncate %s to %d: %w", l.Dir, s.Path, rel, err)
		}
		if err := s.file.Sync(); err != nil {
			return fmt.Errorf("segment log %s: sync %s after truncate: %w", l.Dir, s.Path, err)
		}
	}
	s.Wrote = rel
	s.Synced = min(s.Synced, rel)
	if s.warm != nil && size > rel {
		s.warm.zeroed = min(s.warm.zeroed, rel) // the cut took the zeros too
	}
	l.cleanBefore = min(l.cleanBefore, len(l.segs)-1)
	return nil
}

// MarkFull ends the segment: its remaining capacity is a blank whose header
// the caller wrote, and nothing more goes into it.
func (s *Segment) MarkFull() { s.Wrote = s.Capacity }

func (l *Log) removeLast() error {
	s := l.Last()
	s.file.Close()
	if err := l.fs.Remove(s.Path); err != nil {
		return fmt.Errorf("segment log %s: remove %s: %w", l.Dir, s.Path, err)
	}
	l.segs = l.segs[:len(l.segs)-1]
	l.cleanBefore = min(l.cleanBefore, len(l.segs))
	return l.fs.SyncDir(l.Dir)
}

// RemoveFirst deletes the oldest segment (retention).
func (l *Log) RemoveFirst() error {
	if len(l.segs) == 0 {
		return nil
	}
	s := l.segs[0]
	s.file.Close()
	if err := l.fs.Remove(s.Path); err != nil {
		return fmt.Errorf("segment log %s: remove %s: %w", l.Dir, s.Path, err)
	}
	l.segs = l.segs[1:]
	l.cleanBefore = max(l.cleanBefore-1, 0)
	return l.fs.SyncDir(l.Dir)
}

// Reset deletes every segment but keeps the directory.
func (l *Log) Reset() error {
	for len(l.segs) > 0 {
		if err := l.removeLast(); err != nil {
			return err
		}
	}
	return nil
}

// RemoveAll deletes every segment and the directory.
func (l *Log) RemoveAll() error {
	for _, s := range l.segs {
		s.file.Close()
	}
	l.segs = nil
	return l.fs.RemoveAll(l.Dir)
}

// Close closes every file.
func (l *Log) Close() {
	for _, s := range l.segs {
		s.file.Close()
	}
}

// Dirty reports whether some written bytes are not yet covered by a sync.
func (l *Log) Dirty() bool { return len(l.DirtySegments()) > 0 }

// DirtyBytes counts written bytes no sync covers yet. It allocates
// nothing: the flusher asks after every write.
func (l *Log) DirtyBytes() int64 {
	var n int64
	for i := min(l.cleanBefore, len(l.segs)); i < len(l.segs); i++ {
		if s := l.segs[i]; s.Synced < s.Wrote {
			n += s.Wrote - s.Synced
		}
	}
	return n
}

// DirtySegments lists segments with unsynced bytes, oldest first.
func (l *Log) DirtySegments() []*Segment {
	var out []*Segment
	first := len(l.segs)
	for i := min(l.cleanBefore, len(l.segs)); i < len(l.segs); i++ {
		if s := l.segs[i]; s.Synced < s.Wrote {
			out = append(out, s)
			first = min(first, i)
		}
	}
	// The newest segment takes appends, so it is always looked at.
	l.cleanBefore = min(first, max(len(l.segs)-1, 0))
	return out
}

// MarkUnsynced treats everything from off on as not synced, and as
// needing a rewrite before its next fsync (recovery: what a crashed
// process wrote may be only in the page cache, and if one of its fsyncs
// failed, Linux may have marked those pages clean without writing them,
// so a plain fsync now would "succeed" and persist nothing).
func (l *Log) MarkUnsynced(off int64) {
	for i, s := range l.segs {
		if s.Base+s.Capacity > off {
			s.Synced = min(max(off-s.Base, 0), s.Wrote)
			s.syncFailed = true
			l.cleanBefore = min(l.cleanBefore, i)
		}
	}
}

// rewriteChunk bounds the buffer Rewrite reads through.
const rewriteChunk = 1 << 20

// Rewrite writes the unsynced range [Synced, Wrote) again with the bytes
// the page cache holds. After a failed fsync Linux may mark those pages
// clean without having written them (a retried fsync then "succeeds" and
// persists nothing); writing them again makes them dirty, so the next
// fsync really covers them.
func (s *Segment) Rewrite() error {
	if err := s.FlushBuffer(); err != nil {
		return err
	}
	buf := make([]byte, min(rewriteChunk, max(s.Wrote-s.Synced, 0)))
	for off := s.Synced; off < s.Wrote; {
		n := min(int64(len(buf)), s.Wrote-off)
		got, err := s.file.ReadAt(buf[:n], off)
		if got == 0 && err != nil {
			// A segment ended by a blank is shorter than Wrote: nothing
			// is left to rewrite past the end of the file.
			return nil
		}
		if _, err := s.file.WriteAt(buf[:got], off); err != nil {
			return fmt.Errorf("segment %s: rewrite: write at %d: %w", s.Path, off, err)
		}
		off += int64(got)
	}
	return nil
}

// SyncRetry syncs, and after a failure tries once more (rewriting the
// unsynced range first, see Rewrite).
func (s *Segment) SyncRetry() error {
	if err := s.Sync(); err == nil {
		return nil
	}
	return s.Sync()
}
