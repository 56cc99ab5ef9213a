package store

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

// fullDiskHarness is a SYNC_FLUSH store on a small simulated disk that
// writes the prefix that fits when full.
// With chunk > 0 the commit log's write-behind uses chunks of that size
// (two in flight), so the write that meets the full disk is a WriteAsync.
func fullDiskHarness(t *testing.T, capacity int64, warning float64, chunk int) (*harness, *simdisk.Disk, *model) {
	clock := fakeclock.New(testStart)
	d := simdisk.New(simdisk.Options{Capacity: capacity, PartialWriteOnFull: true}, rand.New(rand.NewPCG(5, 5)))
	d.Bind(clock.Schedule)
	cfg := testConfig(config.SyncFlush)
	cfg.MessageIndexEnable = false // keep the disk budget for the commit log
	h := &harness{t: t, fs: d.FS(), clock: clock, cfg: cfg}
	if chunk > 0 {
		h.wbChunk, h.wbFlights = chunk, 2
	}
	s, err := Open(cfg, Options{FS: h.fs, Clock: clock, DiskSpaceWarningLevelRatio: warning,
		WriteBehindChunk: h.wbChunk, WriteBehindFlights: h.wbFlights})
	if err != nil {
		t.Fatal(err)
	}
	h.s = s
	return h, d, &model{raws: map[int64][]byte{}, acked: map[int64]acked{}}
}

// putTracked puts one message and records it in the model as check wants.
func (h *harness) putTracked(m *model, msg *Message) PutResult {
	h.t.Helper()
	var got *PutResult
	before := h.s.MaxPhyOffset()
	h.s.Put(msg, func(r PutResult) { got = &r })
	// Appended (not yet answered) records are part of the log too.
	if h.s.MaxPhyOffset() != before {
		rec, raw, err := lastRecord(h.s)
		if err != nil {
			h.t.Fatal(err)
		}
		m.appended = append(m.appended, rec.PhysicalOffset)
		m.raws[rec.PhysicalOffset] = raw
	}
	for i := 0; got == nil && i < 10000; i++ {
		h.clock.Advance(time.Millisecond)
	}
	if got == nil {
		h.t.Fatal("put never answered")
	}
	if got.Status == PutOK {
		m.acked[got.PhysicalOffset] = acked{*got, m.raws[got.PhysicalOffset]}
	}
	return *got
}

func TestDiskFullPartialWriteThenRecover(t *testing.T) {
	for _, chunk := range []int{0, 512} {
		t.Run(fmt.Sprintf("write-behind-chunk-%d", chunk), func(t *testing.T) { diskFullPartialWriteThenRecover(t, chunk) })
	}
}

func diskFullPartialWriteThenRecover(t *testing.T, chunk int) {
	// The warning level is out of the way: the put itself hits ENOSPC
	// part-way through its record.
	h, d, m := fullDiskHarness(t, 200<<10, 0.9999, chunk)
	// The write that hits ENOSPC answers its puts FLUSH_DISK_TIMEOUT
	// (never PUT_OK); the puts after it are refused.
	var refused PutResult
	for i := 0; i < 2000; i++ {
		r := h.putTracked(m, testMessage("T", int32(i%2), i, 700))
		if r.Status != PutOK && r.Status != FlushDiskTimeout {
			refused = r
			break
		}
	}
	if refused.Status != ServiceNotAvailable || !errors.Is(refused.Err, ErrNotWritable) ||
		!errors.Is(refused.Err, runtime.ErrNoSpace) || !strings.Contains(refused.Err.Error(), "disk full") {
		t.Fatalf("full disk: %v %v", refused.Status, refused.Err)
	}
	end := h.s.MaxPhyOffset()
	// Refused while full, and the partial write did not move the end.
	if r := h.putSync(testMessage("T", 0, 1, 10)); r.Status != ServiceNotAvailable {
		t.Fatalf("second put on a full disk: %v", r.Status)
	}
	if h.s.MaxPhyOffset() != end {
		t.Fatalf("end moved from %d to %d by refused puts", end, h.s.MaxPhyOffset())
	}
	check(t, 0, "disk full", h.s, m, config.SyncFlush, new(int))
	// A crash now: the partial bytes past the end must not come back.
	d.Crash()
	h.clock.Reset()
	h.s = h.reopen(0.9999)
	check(t, 0, "crash on full disk", h.s, m, config.SyncFlush, new(int))
	// Space returns: writes resume by themselves within the recheck period.
	d.SetCapacity(400 << 10)
	h.clock.Advance(2 * time.Second)
	if err := h.s.Writable(); err != nil {
		t.Fatalf("still refusing after space returned: %v", err)
	}
	for i := 0; i < 20; i++ {
		if r := h.putTracked(m, testMessage("T", int32(i%2), 5000+i, 700)); r.Status != PutOK {
			t.Fatalf("put after space returned: %v %v", r.Status, r.Err)
		}
	}
	d.PowerLoss()
	h.clock.Reset()
	h.s = h.reopen(0.9999)
	check(t, 0, "power loss after disk full", h.s, m, config.SyncFlush, new(int))
}

func (h *harness) reopen(warning float64) *Store {
	h.t.Helper()
	s, err := Open(h.cfg, Options{FS: h.fs, Clock: h.clock, DiskSpaceWarningLevelRatio: warning,
		WriteBehindChunk: h.wbChunk, WriteBehindFlights: h.wbFlights})
	if err != nil {
		h.t.Fatalf("reopen: %v", err)
	}
	return s
}

func TestDiskWarningLevelRefusesAndResumes(t *testing.T) {
	h, d, m := fullDiskHarness(t, 400<<10, 0.5, 0)
	h.cfg.CleanResourceInterval = time.Second
	h.s.Close()
	h.s = h.reopen(0.5)
	n := 0
	for ; n < 1000; n++ {
		if r := h.putTracked(m, testMessage("T", 0, n, 1000)); r.Status != PutOK {
			t.Fatalf("put %d refused before the usage check ran: %v", n, r.Err)
		}
		if d.Used() > 220<<10 {
			break
		}
	}
	h.clock.Advance(1100 * time.Millisecond) // the periodic disk check
	r := h.putSync(testMessage("T", 0, 9999, 10))
	if r.Status != ServiceNotAvailable || !strings.Contains(r.Err.Error(), "maybe disk full") ||
		!strings.Contains(r.Err.Error(), "diskSpaceWarningLevelRatio") {
		t.Fatalf("over the warning level: %v %v", r.Status, r.Err)
	}
	d.SetCapacity(4 << 20)
	h.clock.Advance(1100 * time.Millisecond)
	if r := h.putTracked(m, testMessage("T", 0, 10000, 10)); r.Status != PutOK {
		t.Fatalf("after space returned: %v %v", r.Status, r.Err)
	}
	check(t, 0, "warning level", h.s, m, config.SyncFlush, new(int))
}
