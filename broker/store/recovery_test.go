package store

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

// faultDisk is what the recovery tests need of a simulated disk.
type faultDisk interface {
	FS() runtime.FS
	Crash()
	PowerLoss()
}

type memDisk struct{ fs *memfs.FS }

func (d memDisk) FS() runtime.FS { return d.fs }
func (d memDisk) Crash()         { d.fs.Crash() }
func (d memDisk) PowerLoss()     { d.fs.PowerLoss() }

func newMemDisk(seed uint64, clock *fakeclock.Clock) faultDisk {
	fs := memfs.New(0, seed)
	fs.Schedule = clock.Schedule
	fs.SyncLatency = time.Millisecond
	return memDisk{fs}
}

func newSimDisk(seed uint64, clock *fakeclock.Clock) faultDisk {
	d := simdisk.New(simdisk.Options{
		FsyncLatency: func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(3000)) * time.Microsecond },
	}, rand.New(rand.NewPCG(seed, 99)))
	d.Bind(clock.Schedule)
	return d
}

// acked is a message the store acknowledged, with the bytes it stored.
type acked struct {
	res PutResult
	raw []byte
}

// model is what a recovery test knows: every put it made, in order, and
// which were acknowledged.
type model struct {
	appended []int64 // physical offsets of PUT_OK-appended records, in order
	raws     map[int64][]byte
	acked    map[int64]acked
}

// runFaults drives random puts, clock steps, crashes and power losses
// against one store, checking after every recovery. It returns the number
// of records lost over all power losses (ASYNC_FLUSH) for the log.
func runFaults(t *testing.T, seed uint64, flush config.FlushDiskType, newDisk func(uint64, *fakeclock.Clock) faultDisk, steps int) (lost, appendedTotal int) {
	lost, appendedTotal, _ = runFaultsTrace(t, seed, flush, newDisk, steps)
	return lost, appendedTotal
}

// runFaultsTrace is runFaults, also returning a hash of every answer the
// store gave, in order: the same seed must give the same hash.
func runFaultsTrace(t *testing.T, seed uint64, flush config.FlushDiskType, newDisk func(uint64, *fakeclock.Clock) faultDisk, steps int) (lost, appendedTotal int, traceHash string) {
	trace := sha256.New()
	defer func() { traceHash = hex.EncodeToString(trace.Sum(nil)) }()
	rng := rand.New(rand.NewPCG(seed, 7))
	clock := fakeclock.New(testStart)
	disk := newDisk(seed, clock)
	cfg := testConfig(flush)
	cfg.FlushIntervalCommitLog = 20 * time.Millisecond
	cfg.FlushIntervalConsumeQueue = 50 * time.Millisecond
	h := &harness{t: t, fs: disk.FS(), clock: clock, cfg: cfg}
	if seed%2 == 1 {
		// Most records fill a chunk: their writes go through
		// WriteAsync, and crashes and power losses find them in flight.
		h.wbChunk, h.wbFlights = 512, 2
	}
	if seed%4 >= 2 {
		// Zeros ahead of the records (the whole 64 KiB test segment):
		// recovery must take them for the end of the log.
		h.cfg.WarmMapedFileEnable = true
	}
	s := h.open()
	m := &model{raws: map[int64][]byte{}, acked: map[int64]acked{}}
	topics := []string{"TopicA", "TopicB", "%RETRY%g"}
	for step := 0; step < steps; step++ {
		switch p := rng.IntN(100); {
		case p < 70:
			i := step
			msg := testMessage(topics[rng.IntN(len(topics))], int32(rng.IntN(3)), i, rng.IntN(2000))
			s.Put(msg, func(r PutResult) {
				fmt.Fprintf(trace, "%d %v %d %d %s\n", step, r.Status, r.PhysicalOffset, r.QueueOffset, r.MsgID)
				if r.Status != PutOK {
					return
				}
				_, raw, err := s.LookMessageByOffset(r.PhysicalOffset)
				if err != nil {
					t.Fatalf("seed %d: acked record unreadable: %v", seed, err)
				}
				m.acked[r.PhysicalOffset] = acked{r, raw}
			})
			// Appended (acked or not yet) records, from the store's view.
			if end := s.MaxPhyOffset(); len(m.appended) == 0 || m.appended[len(m.appended)-1] < end {
				if rec, raw, err := lastRecord(s); err == nil && (len(m.appended) == 0 || rec.PhysicalOffset > m.appended[len(m.appended)-1]) {
					m.appended = append(m.appended, rec.PhysicalOffset)
					m.raws[rec.PhysicalOffset] = raw
				}
			}
		case p < 92:
			clock.Advance(time.Duration(rng.IntN(30)) * time.Millisecond)
		case p < 93:
			// The wall clock jumps (NTP, a fault): store timestamps go
			// backwards or leap; recovery must not care.
			clock.JumpWall(time.Duration(rng.IntN(7200)-3600) * time.Second)
		case p < 96:
			disk.Crash()
			clock.Reset()
			s = h.open()
			check(t, seed, "crash", s, m, flush, &lost)
		default:
			disk.PowerLoss()
			clock.Reset()
			s = h.open()
			check(t, seed, "power loss", s, m, flush, &lost)
		}
	}
	if err := s.Close(); err != nil && !errors.Is(err, runtime.ErrIO) {
		// A failed fsync may fail Close (then the next start recovers
		// as after a crash); anything else is a bug.
		t.Fatalf("seed %d: close: %v", seed, err)
	}
	s = h.open()
	check(t, seed, "clean restart", s, m, flush, &lost)
	fmt.Fprintf(trace, "end %d %d\n", s.MaxPhyOffset(), s.Stats.RecoveredRecords)
	return lost, len(m.appended) + lost, ""
}

// lastRecord finds the record that ends at the end of the commit log.
func lastRecord(s *Store) (message.Record, []byte, error) {
	var last message.Record
	var raw []byte
	segs := s.cl.Segments().Segments()
	from := segs[len(segs)-1].Base
	err := s.cl.Iterate(from, s.MaxPhyOffset(), func(rec *message.Record, off int64, size int) error {
		last = *rec
		raw, _ = s.cl.Read(off, int32(size))
		return nil
	})
	if err != nil || raw == nil {
		return last, nil, fmt.Errorf("no record: %v", err)
	}
	return last, raw, nil
}

// check verifies a recovered store against the model and trims the model
// to what survived.
func check(t *testing.T, seed uint64, what string, s *Store, m *model, flush config.FlushDiskType, lost *int) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d after %s: %s", seed, what, fmt.Sprintf(format, args...))
	}
	// 1. Every record in the commit log is whole (CRC) and was appended
	// by us, byte-identical; they form a prefix of what was appended.
	var present []int64
	err := s.cl.Iterate(s.MinPhyOffset(), s.MaxPhyOffset(), func(rec *message.Record, off int64, size int) error {
		raw, _ := s.cl.Read(off, int32(size))
		want, ok := m.raws[off]
		if !ok {
			fail("record at %d was never appended", off)
		}
		if !bytes.Equal(raw, want) {
			a, _ := message.Decode(raw, false)
			b, _ := message.Decode(want, false)
			a.Body, b.Body = nil, nil
			fail("record at %d differs from what was appended:\n got %+v\nwant %+v", off, a, b)
		}
		present = append(present, off)
		return nil
	})
	if err != nil {
		fail("commit log does not iterate: %v", err)
	}
	if len(present) > len(m.appended) {
		fail("%d records present, %d appended", len(present), len(m.appended))
	}
	for i := range present {
		if present[i] != m.appended[i] {
			fail("record %d at %d, appended at %d: not a prefix", i, present[i], m.appended[i])
		}
	}
	*lost += len(m.appended) - len(present)
	// Under SYNC_FLUSH, and after any process crash, only records never
	// acknowledged may be gone (a crash loses the write buffer, whose
	// records are answered only once written). A clean restart or a
	// running store loses nothing.
	if flush == config.SyncFlush || what != "power loss" {
		for _, off := range m.appended[len(present):] {
			if _, ok := m.acked[off]; ok {
				fail("acknowledged record at %d lost", off)
			}
		}
	}
	if (what == "clean restart" || what == "disk full" || what == "warning level") && len(present) != len(m.appended) {
		fail("%d of %d records lost without a fault", len(m.appended)-len(present), len(m.appended))
	}
	for _, off := range m.appended[len(present):] {
		delete(m.raws, off)
		delete(m.acked, off)
	}
	m.appended = m.appended[:len(present)]
	// 2. Acknowledged records are readable by id, byte-identical.
	for off, a := range m.acked {
		_, raw, err := s.LookMessageByOffset(off)
		if err != nil || !bytes.Equal(raw, a.raw) {
			fail("acked record at %d: %v", off, err)
		}
	}
	// 3. Consume queues agree with the commit log: each queue's units are
	// exactly its records, in queue-offset order, dense.
	want := map[qkey][]int64{}
	for _, off := range present {
		rec, _, _ := s.cl.ReadRecord(off)
		k := qkey{rec.Topic, rec.QueueID}
		if rec.QueueOffset != int64(len(want[k])) {
			fail("record at %d has queue offset %d, queue %v has %d before it", off, rec.QueueOffset, k, len(want[k]))
		}
		want[k] = append(want[k], off)
	}
	keys := make([]qkey, 0, len(want))
	for k := range want {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		offs := want[k]
		if got := s.MaxOffsetInQueue(k.topic, k.queue); got != int64(len(offs)) {
			fail("queue %v max %d, commit log has %d", k, got, len(offs))
		}
		for qo, off := range offs {
			got, err := s.CommitLogOffsetInQueue(k.topic, k.queue, int64(qo))
			if err != nil || got != off {
				fail("queue %v offset %d -> %d (%v), want %d", k, qo, got, err, off)
			}
		}
	}
	for k, q := range s.queues {
		if _, ok := want[k]; !ok && q.MaxOffset() > q.MinOffset() {
			fail("queue %v has %d units but no records", k, q.MaxOffset()-q.MinOffset())
		}
	}
	// 4. The index finds every present record by its unique key.
	for _, off := range present {
		if s.ix == nil {
			break
		}
		rec, _, _ := s.cl.ReadRecord(off)
		uniq, _ := message.Property(rec.Properties, message.PropertyUniqKey)
		got, err := s.QueryMessage(rec.Topic, uniq, 4, 0, 1<<62)
		if err != nil || len(got) != 1 {
			fail("index: %s at %d: %d hits, %v", uniq, off, len(got), err)
		}
	}
}

func TestRecoverySyncFlushMemFS(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		runFaults(t, seed, config.SyncFlush, newMemDisk, 600)
	}
}

func TestRecoverySyncFlushSimDisk(t *testing.T) {
	for seed := uint64(1); seed <= 10; seed++ {
		runFaults(t, seed, config.SyncFlush, newSimDisk, 600)
	}
}

// TestRecoverySyncFlushFailingFsync runs on a disk whose fsyncs fail now
// and then the way Linux's do: the failed pages are marked clean without
// reaching the media, and a retried fsync succeeds without writing them.
// Acknowledged messages must survive anyway.
func TestRecoverySyncFlushFailingFsync(t *testing.T) {
	fails := 0
	var disks []*simdisk.Disk
	failing := func(seed uint64, clock *fakeclock.Clock) faultDisk {
		d := simdisk.New(simdisk.Options{
			FsyncLatency:        func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(2000)) * time.Microsecond },
			FsyncFailProb:       0.05,
			FsyncFailDropsDirty: true,
		}, rand.New(rand.NewPCG(seed, 123)))
		d.Bind(clock.Schedule)
		disks = append(disks, d)
		return d
	}
	for seed := uint64(1); seed <= 10; seed++ {
		runFaults(t, seed, config.SyncFlush, failing, 600)
	}
	for _, d := range disks {
		fails += d.Stats().SyncFails
	}
	t.Logf("%d fsyncs failed", fails)
	if fails == 0 {
		t.Fatal("no fsync failed: the test does not exercise failures")
	}
}

func TestRecoveryAsyncFlushLosesOnlyATail(t *testing.T) {
	lost, total := 0, 0
	for seed := uint64(1); seed <= 10; seed++ {
		l, n := runFaults(t, seed, config.AsyncFlush, newSimDisk, 600)
		lost += l
		total += n
	}
	t.Logf("ASYNC_FLUSH: power losses lost %d of %d appended records (%.1f%%), always an unsynced tail",
		lost, total, 100*float64(lost)/float64(max(total, 1)))
	if lost == 0 {
		t.Fatal("no record was ever lost under ASYNC_FLUSH: the test does not exercise unsynced tails")
	}
}

// TestSameSeedSameRun: the store takes nothing from the world but the
// runtime's clock and disk, so a seeded run with faults replays exactly.
func TestSameSeedSameRun(t *testing.T) {
	_, _, a := runFaultsTrace(t, 42, config.SyncFlush, newSimDisk, 400)
	_, _, b := runFaultsTrace(t, 42, config.SyncFlush, newSimDisk, 400)
	_, _, c := runFaultsTrace(t, 43, config.SyncFlush, newSimDisk, 400)
	if a != b {
		t.Fatalf("same seed, different runs: %s vs %s", a, b)
	}
	if a == c {
		t.Fatal("different seeds gave the same trace: the hash sees nothing")
	}
}
