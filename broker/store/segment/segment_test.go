package segment

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"rocketsim/broker/store/internal/memfs"
	"rocketsim/runtime"
)

func TestAppendReadAcrossSegments(t *testing.T) {
	fs := memfs.New(0, 1)
	l, err := Open(fs, "log", 100)
	if err != nil {
		t.Fatal(err)
	}
	var want []byte
	for i := 0; i < 7; i++ {
		s := l.Last()
		if s == nil || s.Free() < 30 {
			base := int64(0)
			if s != nil {
				s.MarkFull()
				base = s.Base + s.Capacity
			}
			if s, err = l.Create(base); err != nil {
				t.Fatal(err)
			}
		}
		p := bytes.Repeat([]byte{byte('a' + i)}, 30)
		if err := s.Append(p); err != nil {
			t.Fatal(err)
		}
		want = append(want, p...)
	}
	if n := len(l.Segments()); n != 3 {
		t.Fatalf("%d segments, want 3 (3 records of 30 per 100-byte segment)", n)
	}
	if l.MaxOffset() != 230 || l.Find(150).Base != 100 || l.Find(300) != nil {
		t.Fatalf("max %d find(150) %d", l.MaxOffset(), l.Find(150).Base)
	}
	got := make([]byte, 30)
	if err := l.Find(200).ReadAt(got, 0); err != nil || got[0] != 'g' {
		t.Fatalf("read: %q %v", got, err)
	}
	if err := l.Find(200).ReadAt(got, 10); !errors.Is(err, ErrBeyondEnd) {
		t.Fatalf("read past end: %v", err)
	}
	names, _ := fs.List("log")
	if strings.Join(names, ",") != "00000000000000000000,00000000000000000100,00000000000000000200" {
		t.Fatalf("names %v", names)
	}
	// Reopen: the segments come back with their sizes.
	l2, err := Open(fs, "log", 100)
	if err != nil || len(l2.Segments()) != 3 || l2.MaxOffset() != 230 {
		t.Fatalf("reopen: %v", err)
	}
	// A changed segment size is refused, not misread.
	if _, err := Open(fs, "log", 64); err == nil {
		t.Fatal("opened with a different segment size")
	}
}

func TestOpenRefusesMissingSegment(t *testing.T) {
	fs := memfs.New(0, 1)
	fs.MkdirAll("log")
	for _, n := range []string{"00000000000000000000", "00000000000000000200"} {
		f, _ := fs.Open("log/"+n, runtime.ReadWrite|runtime.Create)
		f.WriteAt([]byte("x"), 0)
	}
	if _, err := Open(fs, "log", 100); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Fatalf("gap in segments: %v", err)
	}
}

func TestTruncateToCutsTailAndLaterSegments(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "log", 100)
	s0, _ := l.Create(0)
	s0.Append(bytes.Repeat([]byte{1}, 100))
	s1, _ := l.Create(100)
	s1.Append(bytes.Repeat([]byte{2}, 50))
	if err := l.TruncateTo(40); err != nil {
		t.Fatal(err)
	}
	if len(l.Segments()) != 1 || l.MaxOffset() != 40 {
		t.Fatalf("after truncate: %d segments, max %d", len(l.Segments()), l.MaxOffset())
	}
	if st, _ := fs.Stat("log/00000000000000000000"); st.Size != 40 {
		t.Fatalf("file size %d: torn bytes left past the end", st.Size)
	}
	if _, err := fs.Stat("log/00000000000000000100"); !errors.Is(err, runtime.ErrNotExist) {
		t.Fatalf("later segment survived: %v", err)
	}
}

func TestBufferedAppend(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "q", 1000)
	s, _ := l.Create(0)
	s.SetBuffer(100)
	for i := 0; i < 7; i++ {
		if err := s.Append(bytes.Repeat([]byte{byte(i)}, 20)); err != nil {
			t.Fatal(err)
		}
	}
	// 5 units filled the buffer and were written; 2 are buffered.
	if st, _ := fs.Stat("q/00000000000000000000"); st.Size != 100 {
		t.Fatalf("file holds %d bytes, want 100 written and 40 buffered", st.Size)
	}
	got := make([]byte, 60)
	if err := s.ReadAt(got, 80); err != nil || got[0] != 4 || got[20] != 5 || got[59] != 6 {
		t.Fatalf("read across file and buffer: %v %v", got, err)
	}
	if len(l.DirtySegments()) != 1 {
		t.Fatal("buffered segment not dirty")
	}
	if err := s.Sync(); err != nil {
		t.Fatal(err)
	}
	if d := fs.Durable("q/00000000000000000000"); len(d) != 140 {
		t.Fatalf("durable %d bytes after sync, want 140", len(d))
	}
	if len(l.DirtySegments()) != 0 {
		t.Fatal("dirty after sync")
	}
}

func TestDirtySegmentsSeesBlankBehindEmptySegment(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "log", 100)
	s0, _ := l.Create(0)
	s0.Append(make([]byte, 60))
	s0.Sync()
	s0.Append(make([]byte, 8)) // the blank
	s0.MarkFull()
	l.Create(100)
	d := l.DirtySegments()
	if len(d) != 1 || d[0] != s0 {
		t.Fatalf("dirty %v: the blank behind the new empty segment is missed", d)
	}
}

func TestSyncRewritesAfterFailure(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "log", 100)
	s, _ := l.Create(0)
	s.Append([]byte("abc"))
	fs.SyncFailProb = 1
	if err := s.Sync(); !errors.Is(err, runtime.ErrIO) {
		t.Fatalf("sync: %v", err)
	}
	if s.Synced != 0 || !s.syncFailed {
		t.Fatal("failed sync counted")
	}
	fs.SyncFailProb = 0
	if err := s.Sync(); err != nil || s.Synced != 3 || s.syncFailed {
		t.Fatalf("retry: %v synced %d", err, s.Synced)
	}
}

// An older segment whose fsync failed stays dirty even when a newer one
// synced: hiding it would let a group commit acknowledge unsynced data.
func TestDirtySegmentsKeepsFailedOlderSegment(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "log", 100)
	s0, _ := l.Create(0)
	s0.Append(make([]byte, 100))
	s1, _ := l.Create(100)
	s1.Append(make([]byte, 10))
	if len(l.DirtySegments()) != 2 {
		t.Fatal("both segments should be dirty")
	}
	fs.SyncFailProb = 1
	if err := s0.Sync(); err == nil {
		t.Fatal("sync should fail")
	}
	fs.SyncFailProb = 0
	if err := s1.Sync(); err != nil {
		t.Fatal(err)
	}
	d := l.DirtySegments()
	if len(d) != 1 || d[0] != s0 {
		t.Fatalf("dirty %v: the failed older segment is hidden", d)
	}
	s0.Sync()
	if len(l.DirtySegments()) != 0 {
		t.Fatal("still dirty after a good sync")
	}
}

// TestDirtyBytes follows appends and syncs over several segments, one of
// which stays unsynced after a newer one synced.
func TestDirtyBytes(t *testing.T) {
	fs := memfs.New(0, 1)
	l, err := Open(fs, "log", 100)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := l.Create(0)
	if err := a.Append(make([]byte, 60)); err != nil {
		t.Fatal(err)
	}
	a.MarkFull()
	b, _ := l.Create(100)
	if err := b.Append(make([]byte, 30)); err != nil {
		t.Fatal(err)
	}
	if got := l.DirtyBytes(); got != 130 {
		t.Fatalf("DirtyBytes = %d, want 130 (a full segment and 30)", got)
	}
	if err := b.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := l.DirtyBytes(); got != 100 {
		t.Fatalf("after syncing the newer segment DirtyBytes = %d, want 100", got)
	}
	if err := a.Sync(); err != nil {
		t.Fatal(err)
	}
	if got, segs := l.DirtyBytes(), l.DirtySegments(); got != 0 || len(segs) != 0 {
		t.Fatalf("all synced: DirtyBytes = %d, %d dirty segments", got, len(segs))
	}
}
