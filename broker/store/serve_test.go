package store

import (
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/memfs"
)

// serveHarness opens a SYNC_FLUSH store whose fsyncs take 5 ms, counting
// the arrivals it announces.
func serveHarness(t *testing.T, serveOnlyFlushed bool) (*harness, *memfs.FS, *int) {
	h, mfs := slowSyncHarness(t, config.SyncFlush, 5*time.Millisecond, func(c *Config) { c.ServeOnlyFlushed = serveOnlyFlushed })
	arrivals := new(int)
	h.s.opt.MessageArriving = func(Arrival) { *arrivals++ }
	return h, mfs, arrivals
}

// TestServeOnlyFlushedWaitsForFsync: with serveOnlyFlushed a record is
// neither in its consume queue nor announced to long polls until an fsync
// covers it; RocketMQ's default serves it as soon as it is written.
func TestServeOnlyFlushedWaitsForFsync(t *testing.T) {
	for _, only := range []bool{false, true} {
		h, _, arrivals := serveHarness(t, only)
		answered := 0
		for i := 0; i < 10; i++ {
			h.s.Put(testMessage("T", 0, i, 100), func(r PutResult) {
				if r.Status != PutOK {
					t.Fatalf("put %d: %v", i, r.Status)
				}
				answered++
			})
		}
		h.clock.Advance(time.Millisecond) // written, not yet synced
		if answered != 0 {
			t.Fatalf("serveOnlyFlushed=%v: %d puts answered before the fsync", only, answered)
		}
		visible, got := h.s.MaxOffsetInQueue("T", 0), h.s.GetMessage("T", 0, 0, 32, nil)
		if only && (visible != 0 || len(got.Records) != 0 || *arrivals != 0) {
			t.Fatalf("serveOnlyFlushed: before the fsync the queue shows %d, a pull gets %d, %d arrivals", visible, len(got.Records), *arrivals)
		}
		if !only && (visible != 10 || len(got.Records) != 10 || *arrivals != 10) {
			t.Fatalf("default: before the fsync the queue shows %d, a pull gets %d, %d arrivals; want 10 (RocketMQ serves written records)", visible, len(got.Records), *arrivals)
		}
		h.clock.Advance(10 * time.Millisecond)
		if answered != 10 || h.s.MaxOffsetInQueue("T", 0) != 10 || *arrivals != 10 {
			t.Fatalf("serveOnlyFlushed=%v: after the fsync %d answered, queue max %d, %d arrivals", only, answered, h.s.MaxOffsetInQueue("T", 0), *arrivals)
		}
		if got := h.s.GetMessage("T", 0, 0, 32, nil); got.Status != Found || len(got.Records) != 10 {
			t.Fatalf("serveOnlyFlushed=%v: after the fsync a pull gets %v with %d", only, got.Status, len(got.Records))
		}
	}
}

// TestServeOnlyFlushedNeverServesWhatPowerLossTakes: a consumer that read
// a written but unsynced record would, after a power loss reassigns its
// queue offset, skip the acknowledged message stored there. With
// serveOnlyFlushed nothing a pull returned is ever replaced.
func TestServeOnlyFlushedNeverServesWhatPowerLossTakes(t *testing.T) {
	for _, only := range []bool{false, true} {
		h, mfs, _ := serveHarness(t, only)
		h.putSync(testMessage("T", 0, 0, 100)) // offset 0, synced
		h.s.Put(testMessage("T", 0, 1, 100), func(PutResult) {})
		h.clock.Advance(time.Millisecond) // written, fsync in flight
		seen := h.s.GetMessage("T", 0, 0, 32, nil).Records
		mfs.PowerLoss()
		h.s.Close()
		h.open()
		// A new acknowledged message takes the next free offset.
		r := h.putSync(testMessage("T", 0, 2, 100))
		if r.Status != PutOK {
			t.Fatalf("put after recovery: %v", r.Status)
		}
		after := h.s.GetMessage("T", 0, 0, 32, nil).Records
		replaced := 0
		for i, b := range seen {
			if i < len(after) && string(after[i]) != string(b) {
				replaced++
			}
		}
		if only && (len(seen) != 1 || replaced != 0) {
			t.Fatalf("serveOnlyFlushed: a pull saw %d records, %d of them replaced after the power loss", len(seen), replaced)
		}
		if !only && (len(seen) != 2 || replaced != 1 || r.QueueOffset != 1) {
			t.Fatalf("default: a pull saw %d records, %d replaced, new offset %d; want RocketMQ's anomaly (2, 1, 1)", len(seen), replaced, r.QueueOffset)
		}
	}
}
