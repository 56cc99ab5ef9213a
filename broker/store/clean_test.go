package store

import (
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
)

func TestRetentionByAgeAtDeleteWhen(t *testing.T) {
	h := &harness{t: t, fs: memfs.New(0, 1), clock: fakeclock.New(testStart), cfg: testConfig(config.AsyncFlush)}
	h.cfg.FileReservedTime = 1
	h.cfg.DeleteWhen = "03;14"
	h.open()
	for i := 0; i < 400; i++ {
		if r := h.putSync(testMessage("T", 0, i, 500)); r.Status != PutOK {
			t.Fatal(r.Err)
		}
	}
	segs := len(h.s.cl.Segments().Segments())
	if segs < 4 {
		t.Fatalf("%d segments", segs)
	}
	// 13:00: old enough, but not a deleteWhen hour.
	h.clock.Advance(time.Hour)
	if h.s.MinPhyOffset() != 0 {
		t.Fatal("deleted outside deleteWhen")
	}
	// 14:00: everything but the newest segment is older than an hour.
	h.clock.Advance(time.Hour)
	min := h.s.MinPhyOffset()
	if min == 0 || len(h.s.cl.Segments().Segments()) != 1 {
		t.Fatalf("after retention: min %d, %d segments", min, len(h.s.cl.Segments().Segments()))
	}
	// The queue serves from its first surviving message; older offsets
	// are "too small", and the pull is redirected.
	qmin := h.s.MinOffsetInQueue("T", 0)
	if qmin == 0 {
		t.Fatal("queue min did not move")
	}
	r := h.s.GetMessage("T", 0, 0, 8, nil)
	if r.Status != OffsetTooSmall || r.NextBeginOffset != qmin {
		t.Fatalf("pull at 0: %v next %d (min %d)", r.Status, r.NextBeginOffset, qmin)
	}
	r = h.s.GetMessage("T", 0, qmin, 8, nil)
	if r.Status != Found {
		t.Fatalf("pull at min: %v", r.Status)
	}
	rec, _ := message.Decode(r.Records[0], true)
	if rec.PhysicalOffset < min {
		t.Fatalf("served a record below the commit log min")
	}
	if h.s.Stats.DeletedCommitLogFiles != int64(segs-1) {
		t.Fatalf("deleted %d files", h.s.Stats.DeletedCommitLogFiles)
	}
	// A restart keeps the retention state.
	h.s.Close()
	s := h.open()
	if s.MinPhyOffset() != min || s.MinOffsetInQueue("T", 0) != qmin {
		t.Fatalf("after restart: min %d queue min %d", s.MinPhyOffset(), s.MinOffsetInQueue("T", 0))
	}
}

func TestForcedCleanWhenDiskFills(t *testing.T) {
	fs := memfs.New(1<<20, 1)
	h := &harness{t: t, fs: fs, clock: fakeclock.New(testStart), cfg: testConfig(config.AsyncFlush)}
	h.cfg.DeleteWhen = "03" // never the test's hour: only space can trigger deletion
	h.open()
	for i := 0; fs.Used() < 900<<10; i++ {
		if r := h.putSync(testMessage("T", 0, i, 1000)); r.Status != PutOK {
			t.Fatalf("put %d: %v", i, r.Err)
		}
	}
	// Over 85%: the next clean pass deletes the oldest files though young.
	h.clock.Advance(h.cfg.CleanResourceInterval + time.Millisecond)
	if h.s.Stats.DeletedCommitLogFiles == 0 {
		t.Fatalf("no forced clean at %.0f%% used", float64(fs.Used())*100/(1<<20))
	}
	if err := h.s.Writable(); err != nil {
		t.Fatalf("still refusing after the clean: %v", err)
	}
	if r := h.putSync(testMessage("T", 0, 9999, 1000)); r.Status != PutOK {
		t.Fatalf("put after clean: %v", r.Err)
	}
}

func TestDelayedMessageGoesToScheduleTopic(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	m := testMessage("Orders", 2, 1, 10)
	m.Properties += "DELAY\x013\x02"
	r := h.putSync(m)
	if r.Status != PutOK || r.Topic != ScheduleTopic || r.QueueID != 2 {
		t.Fatalf("delayed put: %+v", r)
	}
	g := h.s.GetMessage(ScheduleTopic, 2, 0, 1, nil)
	if g.Status != Found {
		t.Fatalf("schedule queue: %v", g.Status)
	}
	rec, _ := message.Decode(g.Records[0], true)
	props := message.ParseProperties(rec.Properties)
	if props[message.PropertyRealTopic] != "Orders" || props[message.PropertyRealQueueID] != "2" {
		t.Fatalf("properties %v", props)
	}
	// The unit's tag code is the delivery time: store time + level 3 (10s).
	q, _ := h.s.queue(ScheduleTopic, 2, false)
	us, _ := q.Get(0, 1)
	if us[0].TagsCode != rec.StoreTimestamp+10_000 {
		t.Fatalf("tags code %d, want %d", us[0].TagsCode, rec.StoreTimestamp+10_000)
	}
	// A transaction half message keeps its topic and gets no unit.
	half := testMessage("Orders", 0, 2, 10)
	half.SysFlag = message.FlagTransPrepared
	if r := h.putSync(half); r.Status != PutOK || r.Topic != "Orders" || r.QueueOffset != 0 {
		t.Fatalf("half message: %+v", r)
	}
	if h.s.MaxOffsetInQueue("Orders", 0) != 0 {
		t.Fatal("half message visible in the consume queue")
	}
}

type tagFilter struct{ code int64 }

func (f tagFilter) MatchTagsCode(c int64) bool    { return c == f.code }
func (f tagFilter) MatchProperties(p string) bool { return true }

func TestGetWithFilterAndByTime(t *testing.T) {
	h := newHarness(t, config.AsyncFlush)
	var stamps []int64
	for i := 0; i < 30; i++ {
		r := h.putSync(testMessage("T", 0, i, 10))
		stamps = append(stamps, r.StoreTimestamp)
		h.clock.Advance(time.Second)
	}
	r := h.s.GetMessage("T", 0, 0, 32, tagFilter{message.TagsCode("tag1")})
	if r.Status != Found || len(r.Records) != 10 || r.NextBeginOffset != 30 {
		t.Fatalf("filtered pull: %v %d next %d", r.Status, len(r.Records), r.NextBeginOffset)
	}
	for _, b := range r.Records {
		rec, _ := message.Decode(b, true)
		if tags, _ := message.Property(rec.Properties, "TAGS"); tags != "tag1" {
			t.Fatalf("filter let %q through", tags)
		}
	}
	if r := h.s.GetMessage("T", 0, 0, 32, tagFilter{42}); r.Status != NoMatchedMessage || r.NextBeginOffset != 30 {
		t.Fatalf("nothing matches: %v next %d", r.Status, r.NextBeginOffset)
	}
	for _, i := range []int{0, 7, 29} {
		if got, err := h.s.OffsetInQueueByTime("T", 0, stamps[i]); err != nil || got != int64(i) {
			t.Fatalf("by time %d: %d %v", i, got, err)
		}
	}
	if got, _ := h.s.OffsetInQueueByTime("T", 0, stamps[29]+1); got != 30 {
		t.Fatalf("after the last: %d", got)
	}
}

func TestMessageArrivingHook(t *testing.T) {
	var got []Arrival
	h := &harness{t: t, fs: memfs.New(0, 1), clock: fakeclock.New(testStart), cfg: testConfig(config.AsyncFlush)}
	s, err := Open(h.cfg, Options{FS: h.fs, Clock: h.clock, MessageArriving: func(a Arrival) { got = append(got, a) }})
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	h.putSync(testMessage("T", 1, 0, 10))
	h.putSync(testMessage("T", 1, 1, 10))
	if len(got) != 2 || got[1].Topic != "T" || got[1].QueueID != 1 || got[1].QueueOffset != 1 ||
		got[1].TagsCode != message.TagsCode("tag1") {
		t.Fatalf("arrivals %+v", got)
	}
	// Recovery replays records without announcing them again.
	h.fs.(*memfs.FS).Crash()
	got = nil
	s, err = Open(h.cfg, Options{FS: h.fs, Clock: h.clock, MessageArriving: func(a Arrival) { got = append(got, a) }})
	if err != nil || s.Stats.RecoveredRecords == 0 || len(got) != 0 {
		t.Fatalf("recovery: %v, replayed %d, announced %d", err, s.Stats.RecoveredRecords, len(got))
	}
}
