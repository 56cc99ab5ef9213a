package consumequeue

import (
	"errors"
	"testing"

	"rocketsim/broker/store/internal/memfs"
)

func TestPutGetAcrossSegments(t *testing.T) {
	fs := memfs.New(0, 1)
	q, err := Open(fs, "cq", "T", 3, 5*UnitSize)
	if err != nil {
		t.Fatal(err)
	}
	for i := int64(0); i < 23; i++ {
		if err := q.Put(i, Unit{Offset: 1000 + i*100, Size: 100, TagsCode: i}); err != nil {
			t.Fatal(err)
		}
	}
	if q.MaxOffset() != 23 || len(q.Segments().Segments()) != 5 {
		t.Fatalf("max %d, %d segments", q.MaxOffset(), len(q.Segments().Segments()))
	}
	us, err := q.Get(3, 10)
	if err != nil || len(us) != 10 || us[0].Offset != 1300 || us[9].TagsCode != 12 {
		t.Fatalf("get: %v %v", us, err)
	}
	if us, _ := q.Get(20, 10); len(us) != 3 {
		t.Fatalf("get near the end: %d units", len(us))
	}
	// Replayed units are skipped; a unit past the end is a gap.
	if err := q.Put(5, Unit{Offset: 1500, Size: 100}); err != nil {
		t.Fatalf("replay: %v", err)
	}
	if err := q.Put(30, Unit{Offset: 99999, Size: 100}); !errors.Is(err, ErrGap) {
		t.Fatalf("gap: %v", err)
	}
	if q.MaxOffset() != 23 {
		t.Fatalf("max moved to %d", q.MaxOffset())
	}
}

func TestRecoverKeepsUnitsBelowBound(t *testing.T) {
	fs := memfs.New(0, 1)
	q, _ := Open(fs, "cq", "T", 0, 8*UnitSize)
	for i := int64(0); i < 20; i++ {
		q.Put(i, Unit{Offset: i * 100, Size: 100})
	}
	for _, s := range q.Segments().Segments() {
		s.Sync()
	}
	q.Close()
	q, _ = Open(fs, "cq", "T", 0, 8*UnitSize)
	// The commit log ends at 1250: units 0..11 (ends <= 1200) survive.
	if err := q.Recover(1250); err != nil {
		t.Fatal(err)
	}
	if q.MaxOffset() != 12 || q.MaxPhysicalEnd() != 1200 {
		t.Fatalf("max %d, physical end %d", q.MaxOffset(), q.MaxPhysicalEnd())
	}
	if err := q.Put(12, Unit{Offset: 1200, Size: 50}); err != nil {
		t.Fatal(err)
	}
}

func TestStartAtAndRecoverBlankPrefix(t *testing.T) {
	fs := memfs.New(0, 1)
	q, _ := Open(fs, "cq", "T", 0, 10*UnitSize)
	// A queue whose first message has queue offset 13 (its older files
	// were removed) starts there.
	if err := q.Put(13, Unit{Offset: 500, Size: 10}); err != nil {
		t.Fatal(err)
	}
	q.Put(14, Unit{Offset: 510, Size: 10})
	if q.MinOffset() != 13 || q.MaxOffset() != 15 {
		t.Fatalf("min %d max %d", q.MinOffset(), q.MaxOffset())
	}
	for _, s := range q.Segments().Segments() {
		s.Sync()
	}
	q.Close()
	q, _ = Open(fs, "cq", "T", 0, 10*UnitSize)
	if err := q.Recover(1 << 40); err != nil {
		t.Fatal(err)
	}
	if q.MinOffset() != 13 || q.MaxOffset() != 15 {
		t.Fatalf("after recovery: min %d max %d", q.MinOffset(), q.MaxOffset())
	}
}

func TestOffsetByTimeAndDropBefore(t *testing.T) {
	fs := memfs.New(0, 1)
	q, _ := Open(fs, "cq", "T", 0, 4*UnitSize)
	for i := int64(0); i < 10; i++ {
		q.Put(i, Unit{Offset: i * 100, Size: 100})
	}
	timeOf := func(u Unit) (int64, error) { return 5000 + u.Offset, nil } // ts 5000, 5100, ...
	for ts, want := range map[int64]int64{0: 0, 5000: 0, 5001: 1, 5450: 5, 5900: 9, 9999: 10} {
		if got, err := q.OffsetByTime(ts, timeOf); err != nil || got != want {
			t.Errorf("OffsetByTime(%d) = %d, want %d (%v)", ts, got, want, err)
		}
	}
	// Retention removed commit log below 550: segment [0,4) goes, and the
	// queue starts serving at 6.
	n, err := q.DropBefore(550)
	if err != nil || n != 1 {
		t.Fatalf("dropped %d segments: %v", n, err)
	}
	if q.MinOffset() != 6 || q.MaxOffset() != 10 {
		t.Fatalf("min %d max %d", q.MinOffset(), q.MaxOffset())
	}
}
