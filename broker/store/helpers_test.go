package store

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
)

// testConfig is a store shrunk so tests cross segment boundaries often.
func testConfig(flush config.FlushDiskType) Config {
	c := DefaultConfig()
	c.StorePathRootDir = "store"
	c.MappedFileSizeCommitLog = 64 << 10
	c.MappedFileSizeConsumeQueue = 50 * 20
	c.MaxMessageSize = 8 << 10
	c.MaxHashSlotNum = 64
	c.MaxIndexNum = 200
	c.FlushDiskType = flush
	return c
}

var testStart = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

type harness struct {
	t     *testing.T
	fs    runtime.FS
	clock *fakeclock.Clock
	cfg   Config
	s     *Store
	// wbChunk, wbFlights: write-behind bounds for open (0: defaults).
	wbChunk, wbFlights int
}

func (h *harness) open() *Store {
	h.t.Helper()
	// A failed fsync during recovery fails Open, as it should; like a
	// supervisor, try again a bounded number of times.
	var s *Store
	var err error
	for try := 0; try < 5; try++ {
		if s, err = Open(h.cfg, Options{FS: h.fs, Clock: h.clock, StoreHost: message.AddrV4(192, 168, 0, 1, 10911),
			WriteBehindChunk: h.wbChunk, WriteBehindFlights: h.wbFlights}); err == nil {
			break
		}
		if !errors.Is(err, runtime.ErrIO) {
			break
		}
	}
	if err != nil {
		h.t.Fatalf("open: %v", err)
	}
	h.s = s
	return s
}

func testMessage(topic string, qid int32, i int, bodyLen int) *Message {
	body := make([]byte, bodyLen)
	for j := range body {
		body[j] = byte(i*7 + j)
	}
	props := message.FormatProperties(map[string]string{
		message.PropertyTags:    fmt.Sprintf("tag%d", i%3),
		message.PropertyKeys:    fmt.Sprintf("key%d k%d", i, i%5),
		message.PropertyUniqKey: fmt.Sprintf("UNIQ%028d", i),
	})
	return &Message{Topic: topic, QueueID: qid, Body: body, Properties: props,
		BornTimestamp: testStart.UnixMilli(), BornHost: message.AddrV4(10, 0, 0, 2, 40000)}
}

// putSync puts m and returns the result, driving the clock until the
// callback ran.
func (h *harness) putSync(m *Message) PutResult {
	h.t.Helper()
	var got *PutResult
	h.s.Put(m, func(r PutResult) { got = &r })
	for i := 0; got == nil && i < 10000; i++ {
		h.clock.Advance(time.Millisecond)
	}
	if got == nil {
		h.t.Fatal("put never answered")
	}
	return *got
}

// slowSyncHarness opens a store (flush mode flush, its config first
// changed by tweak when not nil) over an in-memory disk whose fsyncs take
// latency on the harness's fake clock.
func slowSyncHarness(t *testing.T, flush config.FlushDiskType, latency time.Duration, tweak func(*Config)) (*harness, *memfs.FS) {
	t.Helper()
	h := &harness{t: t, clock: fakeclock.New(testStart), cfg: testConfig(flush)}
	if tweak != nil {
		tweak(&h.cfg)
	}
	mfs := memfs.New(0, 1)
	mfs.Schedule = h.clock.Schedule
	mfs.SyncLatency = latency
	h.fs = mfs
	h.open()
	return h, mfs
}
