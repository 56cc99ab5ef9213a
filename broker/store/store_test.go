package store

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
)

func newHarness(t *testing.T, flush config.FlushDiskType) *harness {
	h := &harness{t: t, fs: memfs.New(0, 1), clock: fakeclock.New(testStart), cfg: testConfig(flush)}
	h.open()
	return h
}

func TestPutGetAcrossSegments(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	type sent struct {
		res  PutResult
		body []byte
	}
	var all []sent
	for i := 0; i < 600; i++ {
		m := testMessage([]string{"A", "B"}[i%2], int32(i%3), i, 100+i%300)
		r := h.putSync(m)
		if r.Status != PutOK {
			t.Fatalf("put %d: %v %v", i, r.Status, r.Err)
		}
		all = append(all, sent{r, m.Body})
	}
	if n := len(h.s.cl.Segments().Segments()); n < 3 {
		t.Fatalf("only %d segments: the test does not cross segment boundaries", n)
	}
	// Queue offsets are dense per queue.
	next := map[qkey]int64{}
	for i, a := range all {
		k := qkey{[]string{"A", "B"}[i%2], int32(i % 3)}
		if a.res.QueueOffset != next[k] {
			t.Fatalf("put %d got queue offset %d, want %d", i, a.res.QueueOffset, next[k])
		}
		next[k]++
	}
	// Read every queue back; the official client decodes the bodies.
	got := 0
	for k, n := range next {
		for off := int64(0); off < n; {
			r := h.s.GetMessage(k.topic, k.queue, off, 32, nil)
			if r.Status != Found {
				t.Fatalf("%v at %d: %v", k, off, r.Status)
			}
			msgs := primitive.DecodeMessage(r.Body())
			if len(msgs) != len(r.Records) {
				t.Fatalf("client decoded %d of %d", len(msgs), len(r.Records))
			}
			for j, m := range msgs {
				if m.QueueOffset != off+int64(j) || m.Topic != k.topic {
					t.Fatalf("message %d: queue offset %d topic %s", j, m.QueueOffset, m.Topic)
				}
				want := all[indexOf(all, func(s sent) bool { return s.res.PhysicalOffset == m.CommitLogOffset })]
				if !bytes.Equal(m.Body, want.body) || m.OffsetMsgId != want.res.MsgID {
					t.Fatalf("message at %d differs", m.CommitLogOffset)
				}
				got++
			}
			off = r.NextBeginOffset
		}
		if r := h.s.GetMessage(k.topic, k.queue, n, 32, nil); r.Status != OffsetOverflowOne {
			t.Fatalf("read at max: %v", r.Status)
		}
	}
	if got != len(all) {
		t.Fatalf("read %d of %d", got, len(all))
	}
	if r := h.s.GetMessage("nope", 0, 0, 1, nil); r.Status != NoMatchedLogicQueue {
		t.Fatalf("unknown queue: %v", r.Status)
	}
}

func indexOf[T any](s []T, f func(T) bool) int {
	for i, v := range s {
		if f(v) {
			return i
		}
	}
	panic("not found")
}

func TestSyncFlushGroupCommit(t *testing.T) {
	h, mfs := slowSyncHarness(t, config.SyncFlush, 2*time.Millisecond, nil)
	syncsBefore := mfs.Syncs
	var results []PutResult
	for i := 0; i < 200; i++ {
		h.s.Put(testMessage("T", 0, i, 200), func(r PutResult) { results = append(results, r) })
	}
	if len(results) != 0 {
		t.Fatalf("%d puts answered before any fsync finished", len(results))
	}
	h.clock.Advance(10 * time.Millisecond)
	if len(results) != 200 {
		t.Fatalf("%d of 200 answered", len(results))
	}
	for i, r := range results {
		if r.Status != PutOK || r.QueueOffset != int64(i) {
			t.Fatalf("result %d: %v offset %d", i, r.Status, r.QueueOffset)
		}
	}
	// Group commit: the first put started an fsync, the other 199 shared
	// the next one (plus one more when a segment rolled).
	if n := mfs.Syncs - syncsBefore; n > 5 {
		t.Fatalf("%d fsyncs for 200 puts: no group commit", n)
	}
	// Durable means in the synced bytes.
	last := results[len(results)-1]
	if h.s.SyncedPhyOffset() < last.PhysicalOffset+int64(last.WroteBytes) {
		t.Fatalf("synced %d below last record end", h.s.SyncedPhyOffset())
	}
}

func TestSyncFlushTimeout(t *testing.T) {
	h, _ := slowSyncHarness(t, config.SyncFlush, 7*time.Second, nil)
	var got *PutResult
	h.s.Put(testMessage("T", 0, 1, 10), func(r PutResult) { got = &r })
	h.clock.Advance(4999 * time.Millisecond)
	if got != nil {
		t.Fatalf("answered early: %v", got.Status)
	}
	h.clock.Advance(2 * time.Millisecond)
	if got == nil || got.Status != FlushDiskTimeout || got.Err == nil {
		t.Fatalf("want FLUSH_DISK_TIMEOUT, got %+v", got)
	}
	// The record is still stored and readable.
	if r := h.s.GetMessage("T", 0, 0, 1, nil); r.Status != Found {
		t.Fatalf("after timeout: %v", r.Status)
	}
}

func TestWaitFalseAnswersAtOnce(t *testing.T) {
	h, _ := slowSyncHarness(t, config.SyncFlush, time.Second, nil)
	m := testMessage("T", 0, 1, 10)
	m.Properties += "WAIT\x01false\x02"
	var got *PutResult
	h.s.Put(m, func(r PutResult) { got = &r })
	h.clock.RunPending() // the write one loop turn later, not the 1s fsync
	if got == nil || got.Status != PutOK {
		t.Fatalf("WAIT=false put: %+v", got)
	}
}

func TestRefusals(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	r := h.putSync(testMessage("T", 0, 1, 9<<10))
	if r.Status != MessageIllegal || !strings.Contains(r.Err.Error(), "maxMessageSize") {
		t.Fatalf("big message: %v %v", r.Status, r.Err)
	}
	m := testMessage(strings.Repeat("t", 128), 0, 1, 1)
	if r := h.putSync(m); r.Status != MessageIllegal {
		t.Fatalf("long topic: %v", r.Status)
	}
	m = testMessage("T", 0, 1, 1)
	m.Properties = strings.Repeat("p", 40000)
	if r := h.putSync(m); r.Status != PropertiesSizeExceeded {
		t.Fatalf("long properties: %v", r.Status)
	}
	// Nothing was stored by the refused puts.
	if h.s.MaxPhyOffset() != 0 {
		t.Fatalf("refused puts wrote %d bytes", h.s.MaxPhyOffset())
	}
	h.s.Close()
	if r := h.putSync(testMessage("T", 0, 1, 1)); r.Status != ServiceNotAvailable || !errors.Is(r.Err, ErrClosed) {
		t.Fatalf("closed store: %v", r.Status)
	}
}

func TestCleanRestartIsFast(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	for i := 0; i < 300; i++ {
		h.putSync(testMessage("T", int32(i%2), i, 300))
	}
	end := h.s.MaxPhyOffset()
	if err := h.s.Close(); err != nil {
		t.Fatal(err)
	}
	s := h.open()
	// A clean restart replays at most the newest indexed record (the
	// index resumes at the record it holds last; both skip it).
	if s.MaxPhyOffset() != end || s.Stats.RecoveredRecords > 1 {
		t.Fatalf("reopen: end %d (want %d), replayed %d", s.MaxPhyOffset(), end, s.Stats.RecoveredRecords)
	}
	if s.MaxOffsetInQueue("T", 0) != 150 || s.MaxOffsetInQueue("T", 1) != 150 {
		t.Fatalf("queue ends %d %d", s.MaxOffsetInQueue("T", 0), s.MaxOffsetInQueue("T", 1))
	}
	r := h.putSync(testMessage("T", 0, 300, 10))
	if r.QueueOffset != 150 {
		t.Fatalf("queue offset after restart %d", r.QueueOffset)
	}
}

func TestQueryByKeyAndID(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	var ids []PutResult
	for i := 0; i < 450; i++ { // > MaxIndexNum units: several index files
		ids = append(ids, h.putSync(testMessage("T", 0, i, 50)))
	}
	if len(h.s.ix.Files()) < 2 {
		t.Fatalf("%d index files", len(h.s.ix.Files()))
	}
	for _, i := range []int{0, 7, 199, 200, 449} {
		got, err := h.s.QueryMessage("T", "key"+itoa(i), 32, 0, 1<<62)
		if err != nil || len(got) != 1 {
			t.Fatalf("key%d: %d hits, %v", i, len(got), err)
		}
		rec, _ := message.Decode(got[0], true)
		if rec.PhysicalOffset != ids[i].PhysicalOffset {
			t.Fatalf("key%d found at %d, stored at %d", i, rec.PhysicalOffset, ids[i].PhysicalOffset)
		}
		uniq, _ := h.s.QueryMessage("T", "UNIQ"+strings.Repeat("0", 28-len(itoa(i)))+itoa(i), 32, 0, 1<<62)
		if len(uniq) != 1 {
			t.Fatalf("uniq %d: %d hits", i, len(uniq))
		}
	}
	// k3 is shared by every fifth message; maxNum bounds the answer.
	if got, _ := h.s.QueryMessage("T", "k3", 5, 0, 1<<62); len(got) != 5 {
		t.Fatalf("k3 with maxNum 5: %d", len(got))
	}
	if got, _ := h.s.QueryMessage("Other", "key7", 5, 0, 1<<62); len(got) != 0 {
		t.Fatalf("other topic matched %d", len(got))
	}
	if got, _ := h.s.QueryMessage("T", "key7", 5, 0, testStart.UnixMilli()-1); len(got) != 0 {
		t.Fatalf("time range before the store matched %d", len(got))
	}
	// Lookup by message id.
	_, off, _ := message.ParseID(ids[42].MsgID)
	rec, _, err := h.s.LookMessageByOffset(off)
	if err != nil || rec.QueueOffset != 42 {
		t.Fatalf("by id: %v %v", rec.QueueOffset, err)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
