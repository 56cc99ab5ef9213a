package segment

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"rocketsim/broker/store/internal/memfs"
	"rocketsim/runtime"
)

// pendingIO is a scheduler whose events run only when the test says.
type pendingIO struct{ fns []func() }

func (p *pendingIO) schedule(_ time.Duration, fn func()) { p.fns = append(p.fns, fn) }

// run runs every event queued so far, and those they queue.
func (p *pendingIO) run() {
	for len(p.fns) > 0 {
		fn := p.fns[0]
		p.fns = p.fns[1:]
		fn()
	}
}

// writeBehindSegment is a segment with write-behind in chunks of 100 bytes,
// at most 2 flights, recording every completion's error.
func writeBehindSegment(t *testing.T, capacity int64) (*memfs.FS, *pendingIO, *Segment, *[]error) {
	t.Helper()
	fs := memfs.New(capacity, 1)
	io := &pendingIO{}
	fs.Schedule = io.schedule
	l, err := Open(fs, "log", 10000)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Create(0)
	if err != nil {
		t.Fatal(err)
	}
	var errs []error
	s.SetWriteBehind(100, 2, func(err error) { errs = append(errs, err) })
	return fs, io, s, &errs
}

func unit(i int) []byte { return bytes.Repeat([]byte{byte('a' + i)}, 40) }

func TestWriteBehindLandsInOrderAndServesFlightsFromMemory(t *testing.T) {
	fs, io, s, errs := writeBehindSegment(t, 0)
	for i := range 6 { // 240 bytes: two chunks of 120 go out, none left
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s.Landed() != 0 {
		t.Fatalf("Landed = %d before any completion, want 0", s.Landed())
	}
	if got := len(s.wb.flights); got != 2 {
		t.Fatalf("%d flights, want 2 (a chunk of 100 bytes is three 40-byte units)", got)
	}
	// A read of bytes in flight is served whole.
	got := make([]byte, 80)
	if err := s.ReadAt(got, 100); err != nil || !bytes.Equal(got, append(unit(2)[20:], append(unit(3), unit(4)[:20]...)...)) {
		t.Fatalf("read across two flights: %q %v", got, err)
	}
	// A third chunk finds two flights out: the loop writes it itself.
	for i := 6; i < 9; i++ {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	if s.wb.outstanding != 2 {
		t.Fatalf("%d writes outstanding, want the bound 2", s.wb.outstanding)
	}
	if s.Landed() != 0 {
		t.Fatalf("Landed = %d: bytes written behind unlanded flights must not count", s.Landed())
	}
	io.run()
	if s.Landed() != 360 || len(*errs) != 2 {
		t.Fatalf("after completions Landed = %d with %d completions, want 360 and 2", s.Landed(), len(*errs))
	}
	data, _ := fs.Open("log/00000000000000000000", runtime.ReadOnly)
	file := make([]byte, 360)
	data.ReadAt(file, 0)
	for i := range 9 {
		if !bytes.Equal(file[i*40:(i+1)*40], unit(i)) {
			t.Fatalf("unit %d in the file differs", i)
		}
	}
}

func TestWriteBehindFailedFlightIsReissuedAndFailsTheSyncThatCoveredIt(t *testing.T) {
	fs, io, s, errs := writeBehindSegment(t, 150)
	for i := range 3 {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	// The first chunk (120 bytes) fits; the next does not.
	for i := 3; i < 6; i++ {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	var syncErr error
	synced := false
	s.SyncAsync(func(err error) { syncErr, synced = err, true })
	io.run()
	if len(*errs) != 2 || (*errs)[0] != nil || !errors.Is((*errs)[1], runtime.ErrNoSpace) {
		t.Fatalf("completions %v, want ok then ENOSPC", *errs)
	}
	if !synced || !errors.Is(syncErr, runtime.ErrNoSpace) {
		t.Fatalf("sync after a failed write = %v (ran %v), want an error naming the full disk", syncErr, synced)
	}
	if s.Synced != 0 {
		t.Fatalf("Synced = %d after a sync whose write failed, want 0", s.Synced)
	}
	if s.Landed() != 120 {
		t.Fatalf("Landed = %d, want 120 (the failed chunk has not landed)", s.Landed())
	}
	got := make([]byte, 40)
	if err := s.ReadAt(got, 200); err != nil || !bytes.Equal(got, unit(5)) {
		t.Fatalf("the failed chunk is still readable from memory: %q %v", got, err)
	}
	if err := s.WriteBehind(); err == nil {
		// Re-issued at once (nothing outstanding); it fails again.
		io.run()
	}
	if s.Landed() != 120 {
		t.Fatalf("Landed = %d with the disk still full, want 120", s.Landed())
	}
	fs.SetCapacity(1 << 20)
	if err := s.WriteBehind(); err != nil {
		t.Fatal(err)
	}
	io.run()
	if s.Landed() != 240 {
		t.Fatalf("Landed = %d once space returned, want 240", s.Landed())
	}
	synced = false
	s.SyncAsync(func(err error) { syncErr, synced = err, true })
	io.run()
	if !synced || syncErr != nil || s.Synced != 240 {
		t.Fatalf("sync after the re-issue: %v (ran %v), Synced %d; want nil, 240", syncErr, synced, s.Synced)
	}
}

// TestBlockingSyncWritesFlightsItself: a blocking Sync (shutdown) cannot
// wait for completions on the loop, so it writes what is in flight itself;
// the completions that come later change nothing.
func TestBlockingSyncWritesFlightsItself(t *testing.T) {
	fs, io, s, _ := writeBehindSegment(t, 0)
	for i := range 4 {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if s.Landed() != 160 || s.Synced != 160 {
		t.Fatalf("after Sync: Landed %d Synced %d, want 160 160", s.Landed(), s.Synced)
	}
	if d := fs.Durable("log/00000000000000000000"); len(d) != 160 || !bytes.Equal(d[120:], unit(3)) {
		t.Fatalf("durable bytes %d, want 160 ending with unit 3", len(d))
	}
	io.run()
	if s.Landed() != 160 || s.wb.outstanding != 0 || len(s.wb.flights) != 0 {
		t.Fatalf("late completions: Landed %d, outstanding %d, flights %d", s.Landed(), s.wb.outstanding, len(s.wb.flights))
	}
}

// Coalesce holds a part chunk while a flight is out, so the records of
// the next turns go out with it in one write; with nothing out it writes
// it at once, and WriteBehind (an fsync's) never holds.
func TestCoalesceHoldsPartChunkWhileAFlightIsOut(t *testing.T) {
	fs, io, s, _ := writeBehindSegment(t, 0)
	for i := range 3 { // 120 bytes: one chunk goes out
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append(unit(3)); err != nil {
		t.Fatal(err)
	}
	writes := fs.Writes
	if err := s.Coalesce(); err != nil {
		t.Fatal(err)
	}
	if s.Buffered() != 40 || s.wb.outstanding != 1 || fs.Writes != writes {
		t.Fatalf("Coalesce with a flight out: %d buffered, %d outstanding, %d writes; want 40 held, 1, no write",
			s.Buffered(), s.wb.outstanding, fs.Writes-writes)
	}
	if err := s.Append(unit(4)); err != nil { // the next turn adds to it
		t.Fatal(err)
	}
	io.run()
	if s.Landed() != 120 {
		t.Fatalf("Landed = %d after the flight, want 120 (the held bytes are not written)", s.Landed())
	}
	// Nothing out now: Coalesce writes the 80 held bytes in one write.
	if err := s.Coalesce(); err != nil {
		t.Fatal(err)
	}
	io.run()
	if s.Buffered() != 0 || s.Landed() != 200 || fs.Writes != writes+1 {
		t.Fatalf("Coalesce with nothing out: %d buffered, Landed %d, %d writes; want 0, 200, 1",
			s.Buffered(), s.Landed(), fs.Writes-writes)
	}
	// WriteBehind does not hold: an fsync must cover what was appended.
	for i := 5; i < 8; i++ {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Append(unit(8)); err != nil {
		t.Fatal(err)
	}
	if err := s.WriteBehind(); err != nil {
		t.Fatal(err)
	}
	if s.Buffered() != 0 {
		t.Fatalf("WriteBehind left %d bytes buffered", s.Buffered())
	}
	io.run()
	if s.Landed() != 360 {
		t.Fatalf("Landed = %d, want 360", s.Landed())
	}
}
