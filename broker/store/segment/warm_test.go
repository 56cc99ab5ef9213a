package segment

import (
	"bytes"
	"testing"

	"rocketsim/broker/store/internal/memfs"
)

// warmSegment is a write-behind segment of capacity bytes with warm-ahead
// of ahead bytes on a disk of disk bytes (0: unbounded).
func warmSegment(t *testing.T, capacity, ahead, disk int64) (*memfs.FS, *pendingIO, *Segment) {
	t.Helper()
	fs := memfs.New(disk, 1)
	io := &pendingIO{}
	fs.Schedule = io.schedule
	l, err := Open(fs, "log", capacity)
	if err != nil {
		t.Fatal(err)
	}
	s, err := l.Create(0)
	if err != nil {
		t.Fatal(err)
	}
	s.SetWriteBehind(100, 2, func(error) {})
	s.SetWarmAhead(ahead)
	return fs, io, s
}

// Zeros go ahead of the records, never over them, and up to the segment's
// capacity at most; the records read back whole.
func TestWarmAheadZeroFillsPastTheRecordsOnly(t *testing.T) {
	const capacity = 3*warmChunk + 1000
	_, io, s := warmSegment(t, capacity, 2*warmChunk, 0)
	var want []byte
	for i := range 3 {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, unit(i)...)
	}
	if err := s.Coalesce(); err != nil {
		t.Fatal(err)
	}
	if size, _ := s.FileSize(); size != 2*warmChunk+120 {
		t.Fatalf("file is %d bytes after the first turn, want two zero chunks past the 120 bytes appended (%d)", size, 2*warmChunk+120)
	}
	io.run()
	// Records appended after the zeros were issued land over them.
	for i := 3; i < 6; i++ {
		if err := s.Append(unit(i)); err != nil {
			t.Fatal(err)
		}
		want = append(want, unit(i)...)
	}
	if err := s.WriteBehind(); err != nil {
		t.Fatal(err)
	}
	io.run()
	got := make([]byte, len(want))
	if n := s.ReadRaw(got, 0); n != len(want) || !bytes.Equal(got, want) {
		t.Fatalf("records read back %q (%d bytes), want %q", got[:n], n, want)
	}
	tail := make([]byte, 64)
	if n := s.ReadRaw(tail, int64(len(want))); n != len(tail) || !bytes.Equal(tail, make([]byte, 64)) {
		t.Fatalf("past the records: %q, want zeros", tail[:n])
	}
	// Far along, the window reaches the capacity and stops there.
	for s.Wrote < 2*warmChunk+1000 {
		if err := s.Append(unit(0)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Coalesce(); err != nil {
		t.Fatal(err)
	}
	io.run()
	if size, _ := s.FileSize(); size != capacity {
		t.Fatalf("file is %d bytes, want the capacity %d", size, capacity)
	}
}

// A zero write that hits a full disk stops warming; appends go on and
// their writes report the disk themselves.
func TestWarmAheadStopsOnFullDisk(t *testing.T) {
	fs, io, s := warmSegment(t, 4*warmChunk, 2*warmChunk, warmChunk+warmChunk/2)
	if err := s.Append(unit(0)); err != nil {
		t.Fatal(err)
	}
	if err := s.Coalesce(); err != nil {
		t.Fatal(err)
	}
	io.run()
	if s.WarmFailed() == nil {
		t.Fatal("a zero write past the disk's capacity did not stop warming")
	}
	writes := fs.Writes
	if err := s.Append(unit(1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Coalesce(); err != nil {
		t.Fatal(err)
	}
	io.run()
	if fs.Writes != writes+1 {
		t.Fatalf("%d writes after warming stopped, want only the record's", fs.Writes-writes)
	}
	got := make([]byte, 80)
	if n := s.ReadRaw(got, 0); n != 80 || !bytes.Equal(got, append(unit(0), unit(1)...)) {
		t.Fatalf("records %q", got[:n])
	}
}
