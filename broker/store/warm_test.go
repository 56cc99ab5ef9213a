package store

import (
	"bytes"
	"testing"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
)

// With warmMapedFileEnable the commit log file is zero-filled ahead of the records
// (the test segments are smaller than one zero write: the whole file); a
// clean restart and a crash both end the log at the last record, and the
// log goes on from there.
func TestWarmAheadZerosAreNotRecords(t *testing.T) {
	for _, crash := range []bool{false, true} {
		h := &harness{t: t, fs: memfs.New(0, 1), clock: fakeclock.New(testStart), cfg: testConfig(config.SyncFlush)}
		h.cfg.WarmMapedFileEnable = true
		h.open()
		var bodies [][]byte
		for i := 0; i < 40; i++ {
			m := testMessage("T", 0, i, 500)
			if r := h.putSync(m); r.Status != PutOK {
				t.Fatalf("put %d: %v %v", i, r.Status, r.Err)
			}
			bodies = append(bodies, m.Body)
		}
		end := h.s.MaxPhyOffset()
		segs := h.s.cl.Segments().Segments()
		last := segs[len(segs)-1]
		if size, _ := last.FileSize(); size != h.cfg.MappedFileSizeCommitLog {
			t.Fatalf("active segment file is %d bytes, want it zero-filled to %d", size, h.cfg.MappedFileSizeCommitLog)
		}
		if crash {
			h.fs.(*memfs.FS).Crash()
		} else if err := h.s.Close(); err != nil {
			t.Fatal(err)
		}
		s := h.open()
		if s.MaxPhyOffset() != end {
			t.Fatalf("crash=%v: reopened log ends at %d, want %d", crash, s.MaxPhyOffset(), end)
		}
		if r := h.putSync(testMessage("T", 0, 40, 500)); r.Status != PutOK || r.PhysicalOffset != end || r.QueueOffset != 40 {
			t.Fatalf("crash=%v: put after reopen: %+v", crash, r)
		}
		var recs [][]byte
		for next := int64(0); next < 41; {
			got := s.GetMessage("T", 0, next, 64, nil)
			if len(got.Records) == 0 {
				t.Fatalf("crash=%v: nothing read at queue offset %d: %v", crash, next, got.Status)
			}
			recs = append(recs, got.Records...)
			next = got.NextBeginOffset
		}
		if len(recs) != 41 {
			t.Fatalf("crash=%v: %d messages read back, want 41", crash, len(recs))
		}
		for i, b := range bodies {
			rec, err := message.Decode(recs[i], true)
			if err != nil || !bytes.Equal(rec.Body, b) {
				t.Fatalf("crash=%v: message %d: %v", crash, i, err)
			}
		}
	}
}
