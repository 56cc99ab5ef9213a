package store

import (
	"bytes"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
)

// propFilter keeps the records whose TAGS property is tag.
type propFilter struct{ tag string }

func (propFilter) MatchTagsCode(int64) bool { return true }
func (f propFilter) MatchProperties(p string) bool {
	v, _ := message.Property(p, message.PropertyTags)
	return v == f.tag
}

// GetMessage reads a pull's records back to back into one buffer that
// Body returns without copying; whatever the filter, the sizes or a caller
// replacing Records, Body is the records' concatenation and every record
// is the stored one.
func TestGetBodyIsTheRecordsConcatenated(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	want := map[int64][]byte{} // queue 0 offset -> body
	for i := 0; i < 60; i++ {
		size := 10 + i*37%500
		m := testMessage("T", int32(i%2), i, size) // queue 1 interleaves with queue 0 in the log
		h.putSync(m)
		if i%2 == 0 {
			want[int64(i/2)] = m.Body
		}
	}
	check := func(name string, r GetResult, wantCount int) {
		t.Helper()
		if r.Status != Found || len(r.Records) != wantCount {
			t.Fatalf("%s: %v, %d records, want %d", name, r.Status, len(r.Records), wantCount)
		}
		if got := r.Body(); !bytes.Equal(got, bytes.Join(r.Records, nil)) {
			t.Fatalf("%s: Body is not the records concatenated", name)
		}
		for _, b := range r.Records {
			rec, err := message.Decode(b, true)
			if err != nil || !bytes.Equal(rec.Body, want[rec.QueueOffset]) {
				t.Fatalf("%s: record at queue offset %d: %v", name, rec.QueueOffset, err)
			}
		}
	}
	r := h.s.GetMessage("T", 0, 0, 32, nil)
	check("all", r, 30)
	if &r.Body()[0] != &r.Records[0][0] {
		t.Error("Body copied records that were already back to back")
	}
	check("tag1 by properties", h.s.GetMessage("T", 0, 0, 32, propFilter{"tag1"}), 10)
	check("tag1 by code", h.s.GetMessage("T", 0, 0, 32, tagFilter{message.TagsCode("tag1")}), 10)
	// The first unit filtered out: a later record may outgrow the buffer
	// sized for the first ones.
	check("tag2 from 1", h.s.GetMessage("T", 0, 1, 3, propFilter{"tag2"}), 3)

	saved := h.s.cfg.MaxTransferBytesOnMessageInMemory
	h.s.cfg.MaxTransferBytesOnMessageInMemory = 1 // at least one record, however big
	check("byte bound", h.s.GetMessage("T", 0, 5, 32, nil), 1)
	h.s.cfg.MaxTransferBytesOnMessageInMemory = saved

	// A caller that replaces or reorders Records (the bug switches) gets
	// its own records back, not the buffer.
	r = h.s.GetMessage("T", 0, 0, 4, nil)
	orig := bytes.Join(r.Records, nil)
	r.Records[0], r.Records[1] = r.Records[1], r.Records[0]
	if bytes.Equal(r.Body(), orig) || !bytes.Equal(r.Body(), bytes.Join(r.Records, nil)) {
		t.Error("Body ignored reordered records")
	}
	r.Records = append(r.Records, append([]byte(nil), r.Records[0]...))
	if !bytes.Equal(r.Body(), bytes.Join(r.Records, nil)) {
		t.Error("Body ignored an added record")
	}
	r.Records = r.Records[:2]
	if !bytes.Equal(r.Body(), bytes.Join(r.Records, nil)) {
		t.Error("Body ignored dropped records")
	}
}

// BenchmarkGetMessage is one pull of 32 records of 1 KiB from a queue
// interleaved with seven others, served from memory (memfs), Body
// included.
func BenchmarkGetMessage(b *testing.B) {
	clock := fakeclock.New(testStart)
	cfg := DefaultConfig()
	cfg.MappedFileSizeCommitLog = 64 << 20
	s, err := Open(cfg, Options{FS: memfs.New(0, 1), Clock: clock})
	if err != nil {
		b.Fatal(err)
	}
	m := benchMessage()
	const queues, per = 8, 1024
	for i := 0; i < queues*per; i++ {
		m.QueueID = int32(i % queues)
		s.Put(m, func(r PutResult) {
			if r.Status != PutOK {
				b.Fatalf("put: %v %v", r.Status, r.Err)
			}
		})
		if i%1024 == 0 {
			clock.Advance(time.Millisecond)
		}
	}
	for i := 0; i < 1000 && s.MaxOffsetInQueue("BenchTopic", 3) < per; i++ {
		clock.Advance(time.Millisecond)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		r := s.GetMessage("BenchTopic", 3, int64(i*32%(per-32)), 32, nil)
		if len(r.Records) != 32 || len(r.Body()) == 0 {
			b.Fatalf("pull: %v, %d records", r.Status, len(r.Records))
		}
	}
}

// Pulls read through windows of the commit log; across segment ends, with
// queues interleaved closely (windows) and sparsely (one read per record),
// every record must come back exactly as a read of its own gives it.
func TestGetThroughWindowsMatchesSingleReads(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	const queues = 40 // queue 0 sparse: 39 other records between two of its own
	for i := 0; i < 600; i++ {
		q := int32(0)
		if i%3 != 0 { // queue 1 dense, the rest spread over the others
			q = 1 + int32(i%queues)%2
		}
		if i%7 == 0 {
			q = 2 + int32(i%(queues-2))
		}
		h.putSync(testMessage("T", q, i, 50+i%300))
	}
	if segs := h.s.cl.Segments().Find(h.s.cl.MaxOffset() - 1); segs == nil || segs.Base == 0 {
		t.Fatal("the records do not cross a segment end: the test proves less than it says")
	}
	for q := int32(0); q < queues; q++ {
		for off := int64(0); off < h.s.MaxOffsetInQueue("T", q); {
			r := h.s.GetMessage("T", q, off, 32, nil)
			if r.Status != Found {
				t.Fatalf("queue %d offset %d: %v", q, off, r.Status)
			}
			units, err := h.s.queues[qkey{"T", q}].Get(off, len(r.Records))
			if err != nil {
				t.Fatal(err)
			}
			for i, rec := range r.Records {
				want, err := h.s.cl.Read(units[i].Offset, units[i].Size)
				if err != nil || !bytes.Equal(rec, want) {
					t.Fatalf("queue %d offset %d record %d differs from its own read (%v)", q, off, i, err)
				}
			}
			off = r.NextBeginOffset
		}
	}
}
