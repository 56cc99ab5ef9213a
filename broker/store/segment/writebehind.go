package segment

import "fmt"

// Write-behind (the commit log): with SetWriteBehind, buffered appends go to
// the file through File.WriteAsync in chunks, so the kernel copies one chunk
// while the loop encodes the next. A chunk handed to the runtime is a
// flight: its bytes stay in memory, and reads of its range are served from
// there, until its write is reported done. Segment.Landed tells how far the
// bytes have reached the OS (consumers are served only that far).
//
// Flights complete in call order (the runtime's promise). A failed flight
// stays, with every flight after it, until WriteBehind re-issues them once
// none is outstanding; the owner learns of every completion through
// onWritten, and of a failure through its error.

// flight is a chunk handed to WriteAsync.
type flight struct {
	seq    uint64 // issue number, to match completions
	start  int64  // offset in the segment
	data   []byte
	landed bool // reported written (or written by a blocking write)
	// inRuntime: a WriteAsync of it has not completed, so the runtime may
	// still read data; its buffer is not reused.
	inRuntime bool
}

// writeBehind is a segment's write-behind state.
type writeBehind struct {
	chunk      int // a flight is issued once the buffer holds this much
	maxFlights int // more flights than this: the loop writes itself
	onWritten  func(err error)

	flights     []flight // oldest first; flights[0] has not landed
	outstanding int      // WriteAsync calls whose done has not run
	nextSeq     uint64
	failed      error // a flight failed; re-issue before anything else
	// failures counts failed flights ever: an fsync that saw one fail
	// while it ran cannot vouch for the bytes it was meant to cover.
	failures uint64
	lastErr  error    // the latest failure
	spare    [][]byte // recycled chunk buffers, at most maxFlights
}

// SetWriteBehind turns on write-behind: a flight every chunk bytes (and at
// each WriteBehind), at most maxFlights in the runtime at once (beyond
// that the loop writes the buffer itself, which is the backpressure of a
// disk slower than the loop). onWritten runs on the loop after each
// completion, with the flight's error.
func (s *Segment) SetWriteBehind(chunk, maxFlights int, onWritten func(err error)) {
	if chunk <= 0 || maxFlights <= 0 || onWritten == nil {
		panic(fmt.Sprintf("segment %s: write-behind needs a chunk, a flight bound and a callback", s.Path))
	}
	s.wb = &writeBehind{chunk: chunk, maxFlights: maxFlights, onWritten: onWritten}
}

// Landed is the log offset below which every appended byte has reached the
// OS: the first byte still buffered or in flight, else End.
func (s *Segment) Landed() int64 {
	if s.wb != nil && len(s.wb.flights) > 0 {
		return s.Base + s.wb.flights[0].start
	}
	if len(s.buf) > 0 {
		return s.Base + s.bufStart
	}
	return s.End()
}

// WriteBehind hands the buffer to the runtime as a flight, after
// re-issuing failed flights if none is outstanding. Without write-behind
// it writes the buffer itself. It returns the error of a blocking write
// (the buffer stays for a retry) or of a failed flight still waiting for
// its re-issue.
func (s *Segment) WriteBehind() error { return s.writeBehind(false) }

// Coalesce is WriteBehind at the end of a loop turn: while a flight is
// out, a part chunk stays in the buffer and grows, to go out in one write
// when the flights land (Buffered tells the owner there is such a rest).
// The runtime writes flights one at a time in call order, so a part chunk
// issued behind a flight would land no sooner; held, it saves a write
// call per turn and hands the kernel larger copies.
func (s *Segment) Coalesce() error { return s.writeBehind(true) }

// Buffered is how many appended bytes are neither written nor in flight.
func (s *Segment) Buffered() int { return len(s.buf) }

func (s *Segment) writeBehind(hold bool) error {
	w := s.wb
	if w == nil {
		return s.FlushBuffer()
	}
	if w.failed != nil {
		if w.outstanding > 0 {
			return w.failed // their completions come first; retry then
		}
		w.failed = nil
		seqs := make([]uint64, len(w.flights))
		for i := range w.flights {
			w.flights[i].landed = false
			seqs[i] = w.flights[i].seq
		}
		// An inline completion changes the list: look each one up.
		for _, seq := range seqs {
			if i, ok := w.find(seq); ok && !w.flights[i].inRuntime {
				s.issue(&w.flights[i])
			}
		}
	}
	s.warmUp()
	if len(s.buf) > 0 {
		part := len(s.buf) < w.chunk
		if part && hold && w.outstanding > 0 {
			return nil
		}
		// With nothing out, the loop writes a part chunk itself when an
		// fsync waits for it (WriteBehind: the fsync then goes straight
		// to the flusher, not behind a hand-off to the writer), or at the
		// end of a big turn, whose puts all wait for it. A small turn's
		// goes to the writer, so the loop stays free for the puts that
		// arrive meanwhile, which then coalesce behind it. A blocking
		// write would wait for queued zero writes: hand it off then.
		here := part && w.outstanding == 0 && !s.zeroWritesOut() && (!hold || len(s.buf) >= w.chunk/writeHereShare)
		return s.launch(here)
	}
	return nil
}

// writeHereShare: a part chunk of at least chunk/writeHereShare bytes with
// nothing in flight is written by the loop at the end of its turn (64 KiB
// of the default 256 KiB chunk). Measured on the real disk: with smaller
// ones handed off too, 64 goroutine writers with one put each store
// 1.3-2x as much (their puts trickle in and coalesce behind the write in
// flight), while the loop's own 64-in-flight case keeps its rate.
const writeHereShare = 4

// launch turns the buffer into a flight. It is issued to the runtime, or,
// with maxFlights already out, written by the loop itself: the
// backpressure of a disk slower than the loop, which then pays the kernel
// copy as it did without write-behind. After a failure it waits for the
// re-issue.
//
// With here, a part chunk goes out with a blocking write: the end of a big
// loop turn with nothing in flight, where a hand-off to the writer
// goroutine and back would only add its latency to the puts waiting for
// these bytes (see writeHereShare).
// Chunks filled mid-turn go to the writer, so the kernel copies them while
// the loop encodes the rest of the turn.
func (s *Segment) launch(here bool) error {
	w := s.wb
	f := flight{seq: w.nextSeq, start: s.bufStart, data: s.buf}
	issue := false
	switch {
	case w.failed != nil:
	case w.outstanding < w.maxFlights && !here:
		issue = true
	default:
		if _, err := s.file.WriteAt(f.data, f.start); err != nil {
			// The buffer keeps the bytes; the next call retries.
			return fmt.Errorf("segment %s: write %d bytes at %d: %w", s.Path, len(f.data), f.start, err)
		}
		f.landed = true
	}
	w.nextSeq++
	w.flights = append(w.flights, f)
	s.buf = nil // the next append takes a buffer (newBuf)
	if issue {
		s.issue(&w.flights[len(w.flights)-1])
	}
	s.dropLanded()
	return nil
}

// issue hands f, which is in the list, to the runtime. Its completion may
// run inline (a test disk without a scheduler) and change the list: f is
// not used after the call.
func (s *Segment) issue(f *flight) {
	w := s.wb
	w.outstanding++
	f.inRuntime = true
	seq, data, start := f.seq, f.data, f.start
	s.file.WriteAsync(data, start, func(n int, err error) { s.written(seq, n, err) })
}

// written records the completion of flight seq.
func (s *Segment) written(seq uint64, n int, err error) {
	w := s.wb
	w.outstanding--
	if i, ok := w.find(seq); ok {
		f := &w.flights[i]
		f.inRuntime = false
		if err != nil {
			err = fmt.Errorf("segment %s: write %d bytes at %d (%d written): %w", s.Path, len(f.data), f.start, n, err)
			w.failures++
			w.lastErr = err
			if w.failed == nil {
				w.failed = err
			}
		} else {
			f.landed = true
		}
		s.dropLanded()
	} else {
		err = nil // a blocking write already landed it
	}
	w.onWritten(err)
}

// newBuf is a buffer for the next chunk: a recycled one, or a new one
// with room for a chunk and a record past it (appends never regrow it).
func (w *writeBehind) newBuf() []byte {
	if n := len(w.spare); n > 0 {
		b := w.spare[n-1]
		w.spare[n-1] = nil
		w.spare = w.spare[:n-1]
		return b[:0]
	}
	return make([]byte, 0, w.chunk+w.chunk/4)
}

// find locates flight seq; false when it was already dropped (a blocking
// write landed it first).
func (w *writeBehind) find(seq uint64) (int, bool) {
	for i := range w.flights {
		if w.flights[i].seq == seq {
			return i, true
		}
	}
	return 0, false
}

// dropLanded forgets the landed flights at the head, keeping their buffers
// for reuse once no write of them is outstanding.
func (s *Segment) dropLanded() {
	w := s.wb
	n := 0
	for n < len(w.flights) && w.flights[n].landed {
		n++
	}
	if n == 0 {
		return
	}
	for _, f := range w.flights[:n] {
		if !f.inRuntime && len(w.spare) < w.maxFlights && cap(f.data) >= w.chunk && cap(f.data) <= 2*w.chunk {
			w.spare = append(w.spare, f.data[:0])
		}
	}
	rest := copy(w.flights, w.flights[n:])
	clear(w.flights[rest:])
	w.flights = w.flights[:rest]
}

// writeAllNow writes every flight that has not landed and the buffer with
// blocking writes (a blocking Sync, a truncation, a rewrite): afterwards
// every appended byte is in the file or the call returned an error. The
// flights' own completions still come and find them landed.
func (s *Segment) writeAllNow() error {
	if w := s.wb; w != nil {
		for i := range w.flights {
			f := &w.flights[i]
			if f.landed {
				continue
			}
			if _, err := s.file.WriteAt(f.data, f.start); err != nil {
				return fmt.Errorf("segment %s: write %d bytes at %d: %w", s.Path, len(f.data), f.start, err)
			}
			f.landed = true
		}
		w.failed = nil
		s.dropLanded()
	}
	return s.writeBuffer()
}

// readFlights copies into p (which starts at rel) whatever part of it is
// in flight, and returns how much of p's head must come from the file.
func (s *Segment) readFlights(p []byte, rel int64) int {
	w := s.wb
	if w == nil || len(w.flights) == 0 {
		return len(p)
	}
	end := rel + int64(len(p))
	for _, f := range w.flights {
		fEnd := f.start + int64(len(f.data))
		if fEnd <= rel || f.start >= end {
			continue
		}
		from, to := max(rel, f.start), min(end, fEnd)
		copy(p[from-rel:to-rel], f.data[from-f.start:to-f.start])
	}
	return int(max(0, min(end, w.flights[0].start)-rel))
}
