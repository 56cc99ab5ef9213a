package commitlog

import (
	"testing"

	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

func record(t *testing.T, i int, body int) []byte {
	r := message.Record{QueueID: 1, QueueOffset: int64(i), Body: make([]byte, body), Topic: "T",
		BornHost: message.AddrV4(1, 2, 3, 4, 5), StoreHost: message.AddrV4(6, 7, 8, 9, 10),
		Properties: message.WithCRCPlaceholder("")}
	b, err := message.Append(nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAppendRollsWithBlank(t *testing.T) {
	fs := memfs.New(0, 1)
	l, err := Open(fs, "cl", 1000)
	if err != nil {
		t.Fatal(err)
	}
	var offs []int64
	for i := 0; i < 10; i++ {
		off, err := l.Append(record(t, i, 200))
		if err != nil {
			t.Fatal(err)
		}
		offs = append(offs, off)
	}
	// 200-byte bodies make ~330-byte records: 3 per 1000-byte segment,
	// the rest of each segment a blank.
	if offs[3] != 1000 || offs[6] != 2000 {
		t.Fatalf("offsets %v", offs)
	}
	b := make([]byte, 8)
	l.Segments().Find(0).ReadAt(b, offs[2]+int64(len(record(t, 0, 200))))
	if k, n, err := message.Peek(b); err != nil || k != message.KindBlank || int64(n) != 1000-offs[2]-int64(len(record(t, 0, 200))) {
		t.Fatalf("blank: %v %d %v", k, n, err)
	}
	var seen []int64
	if err := l.Iterate(0, l.MaxOffset(), func(rec *message.Record, off int64, size int) error {
		if rec.PhysicalOffset != off {
			t.Fatalf("record at %d says %d", off, rec.PhysicalOffset)
		}
		seen = append(seen, off)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(seen) != 10 {
		t.Fatalf("iterated %d", len(seen))
	}
}

func TestRecoverCutsTornTail(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "cl", 1000)
	var offs []int64
	for i := 0; i < 5; i++ {
		off, _ := l.Append(record(t, i, 100))
		offs = append(offs, off)
	}
	if err := l.FlushWrites(); err != nil {
		t.Fatal(err)
	}
	// Tear record 4: zero its last bytes, as a lost sector would.
	f, _ := fs.Open("cl/00000000000000001000", runtime.ReadWrite)
	end := l.MaxOffset() - 1000
	f.WriteAt(make([]byte, 10), end-10)
	l.Close()
	l, _ = Open(fs, "cl", 1000)
	var got []int64
	newEnd, err := l.Recover(0, true, func(rec *message.Record, off int64, size int) { got = append(got, off) })
	if err != nil {
		t.Fatal(err)
	}
	if newEnd != offs[4] || len(got) != 4 {
		t.Fatalf("end %d (want %d), %d records", newEnd, offs[4], len(got))
	}
	if st, _ := fs.Stat("cl/00000000000000001000"); st.Size != offs[4]-1000 {
		t.Fatalf("torn bytes left: file size %d", st.Size)
	}
	// The next append lands where the torn record was.
	if off, _ := l.Append(record(t, 9, 100)); off != offs[4] {
		t.Fatalf("append after recovery at %d", off)
	}
}

func TestRecoverRejectsStaleRecordAtWrongPlace(t *testing.T) {
	fs := memfs.New(0, 1)
	l, _ := Open(fs, "cl", 1000)
	l.Append(record(t, 0, 50))
	// A whole, valid record copied to another place (a stale one from an
	// earlier life of that region) must not be accepted.
	stale, _ := l.Read(0, int32(len(record(t, 0, 50))))
	seg := l.Segments().Last()
	seg.Append(stale)
	l.FlushWrites()
	l.Close()
	l, _ = Open(fs, "cl", 1000)
	end, _ := l.Recover(0, true, nil)
	if end != int64(len(stale)) {
		t.Fatalf("end %d: the stale copy was accepted", end)
	}
}
