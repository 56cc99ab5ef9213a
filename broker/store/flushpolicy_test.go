package store

import (
	"slices"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
)

// lingerHarness is a SYNC_FLUSH store whose fsyncs take syncLatency.
func lingerHarness(t *testing.T, syncLatency time.Duration) (*harness, *memfs.FS) {
	h, mfs := slowSyncHarness(t, config.SyncFlush, syncLatency, func(c *Config) { c.MappedFileSizeCommitLog = 64 << 20 }) // no segment rolls in the count
	return h, mfs
}

// TestGroupCommitLingerKeepsWritersTogether: writers with one put in
// flight each, putting again shortly after their answer, all ride every
// fsync. Without the linger they split into two groups taking turns, and
// each fsync carries half of them.
func TestGroupCommitLingerKeepsWritersTogether(t *testing.T) {
	const writers = 8
	h, mfs := lingerHarness(t, 2*time.Millisecond)
	puts, failed := 0, 0
	var writer func(id int)
	writer = func(id int) {
		h.s.Put(testMessage("T", int32(id%4), puts, 100), func(r PutResult) {
			if r.Status != PutOK {
				failed++
				return
			}
			puts++
			// The writer's round trip: it comes back 100µs later.
			h.clock.Schedule(100*time.Microsecond, func() { writer(id) })
		})
	}
	// Start them staggered, as real writers are.
	for i := 0; i < writers; i++ {
		h.clock.Schedule(time.Duration(i)*300*time.Microsecond, func() { writer(i) })
	}
	h.clock.Advance(20 * time.Millisecond) // settle
	syncs0, puts0 := mfs.Syncs, puts
	h.clock.Advance(200 * time.Millisecond)
	syncs, n := mfs.Syncs-syncs0, puts-puts0
	if failed > 0 {
		t.Fatalf("%d puts failed", failed)
	}
	if syncs == 0 || float64(n)/float64(syncs) < writers-0.5 {
		t.Fatalf("%d puts over %d fsyncs (%.1f per fsync), want about %d: writers are not grouped", n, syncs, float64(n)/float64(max(syncs, 1)), writers)
	}
	// Each round: one fsync (2ms) plus the writers' 100µs: the linger
	// adds no more than that.
	if perRound := 200 * time.Millisecond / time.Duration(syncs); perRound > 2300*time.Microsecond {
		t.Fatalf("%v per fsync round, want about 2.1ms", perRound)
	}
}

// TestGroupCommitLingerIsBounded: after a big round, a lone put waits at
// most the linger (half the last fsync, counted from its end) before its
// fsync starts; a put after a quiet spell does not wait at all.
func TestGroupCommitLingerIsBounded(t *testing.T) {
	for _, c := range []struct {
		quiet time.Duration // between the round's end and the lone put
		want  time.Duration // the lone put's latency
	}{
		{0, 3 * time.Millisecond},                         // 1ms linger + 2ms fsync
		{500 * time.Microsecond, 2500 * time.Microsecond}, // the rest of the linger
		{100 * time.Millisecond, 2 * time.Millisecond},    // no linger
	} {
		h, _ := lingerHarness(t, 2*time.Millisecond)
		answered := 0
		for i := 0; i < 8; i++ {
			h.s.Put(testMessage("T", 0, i, 100), func(r PutResult) { answered++ })
		}
		// The first put's fsync (0-2ms), then one for the other seven
		// (2-4ms): that round answered 7.
		h.clock.Advance(4 * time.Millisecond)
		if answered != 8 {
			t.Fatalf("%d of 8 answered", answered)
		}
		h.clock.Advance(c.quiet)
		start := h.clock.Monotonic()
		var took time.Duration
		h.s.Put(testMessage("T", 0, 9, 100), func(r PutResult) {
			if r.Status != PutOK {
				t.Errorf("lone put: %v %v", r.Status, r.Err)
			}
			took = h.clock.Monotonic() - start
		})
		for i := 0; took == 0 && i < 100; i++ {
			h.clock.Advance(100 * time.Microsecond)
		}
		if took < c.want-100*time.Microsecond || took > c.want+100*time.Microsecond {
			t.Fatalf("after %v quiet, lone put answered after %v, want %v", c.quiet, took, c.want)
		}
	}
}

// TestAsyncFlushStartsEarlyUnderHeavyWrites: ASYNC_FLUSH syncs at the
// 500 ms tick, unless asyncFlushEagerBytes are dirty: then at once.
func TestAsyncFlushStartsEarlyUnderHeavyWrites(t *testing.T) {
	for _, c := range []struct {
		bytes int
		early bool
	}{{1 << 20, false}, {asyncFlushEagerBytes + 1<<20, true}} {
		h, mfs := slowSyncHarness(t, config.AsyncFlush, time.Millisecond, func(c *Config) {
			c.MappedFileSizeCommitLog = 64 << 20
			c.MaxMessageSize = 64 << 10
		})
		syncs := mfs.Syncs
		answered := 0
		for i := 0; i*32<<10 < c.bytes; i++ {
			h.s.Put(testMessage("T", 0, i, 32<<10), func(r PutResult) { answered++ })
		}
		h.clock.Advance(10 * time.Millisecond) // well before the 500 ms tick
		if answered == 0 {
			t.Fatalf("%d bytes: no put answered", c.bytes)
		}
		if got := mfs.Syncs > syncs; got != c.early {
			t.Fatalf("%d bytes dirty: fsync before the tick = %v, want %v", c.bytes, got, c.early)
		}
		if c.early && h.s.SyncedPhyOffset() == 0 {
			t.Fatal("early fsync did not advance the synced offset")
		}
	}
}

// TestWritesGoThroughPost: with Options.Post the turn's write is posted
// (one post for many puts), and the puts are answered when it runs. The
// puts of one turn share one clock reading, which that write ends: the
// turn clock posts nothing of its own.
func TestWritesGoThroughPost(t *testing.T) {
	h := &harness{t: t, clock: fakeclock.New(testStart), cfg: testConfig(config.AsyncFlush), fs: memfs.New(0, 1)}
	h.open()
	var posted []func()
	h.s.opt.Post = func(fn func()) { posted = append(posted, fn) }
	var stamps []int64
	put := func(i int) {
		h.s.Put(testMessage("T", 0, i, 100), func(r PutResult) {
			if r.Status != PutOK {
				t.Errorf("put: %v %v", r.Status, r.Err)
			}
			stamps = append(stamps, r.StoreTimestamp)
		})
	}
	for i := 0; i < 5; i++ {
		put(i)
		h.clock.Advance(time.Millisecond) // a real clock moves within a turn
	}
	if len(posted) != 1 || len(stamps) != 0 {
		t.Fatalf("%d posts, %d answered before the posted write ran; want 1 and 0", len(posted), len(stamps))
	}
	posted[0]()
	if len(stamps) != 5 {
		t.Fatalf("%d of 5 answered after the posted write", len(stamps))
	}
	for _, ts := range stamps {
		if ts != stamps[0] {
			t.Fatalf("store timestamps within one turn %v: want one reading", stamps)
		}
	}
	// The next turn reads the clock again.
	put(5)
	if len(posted) != 2 {
		t.Fatalf("the next turn posted %d writes, want 1", len(posted)-1)
	}
	posted[1]()
	if len(stamps) != 6 || stamps[5] != stamps[0]+5 {
		t.Fatalf("store timestamps %v: the next turn's put should read the clock 5 ms later", stamps)
	}
}

// TestTurnClock: the puts of one turn share a clock reading; the next
// turn reads the clock again.
func TestTurnClock(t *testing.T) {
	h := &harness{t: t, clock: fakeclock.New(testStart), cfg: testConfig(config.AsyncFlush), fs: memfs.New(0, 1)}
	h.open()
	var posted []func()
	h.s.opt.Post = func(fn func()) { posted = append(posted, fn) }
	var stamps []int64
	put := func() {
		h.s.Put(testMessage("T", 0, len(stamps), 100), func(r PutResult) { stamps = append(stamps, r.StoreTimestamp) })
	}
	endTurn := func() {
		for len(posted) > 0 {
			fn := posted[0]
			posted = posted[1:]
			fn()
		}
	}
	put()
	h.clock.Advance(3 * time.Millisecond)
	put()
	endTurn()
	h.clock.Advance(3 * time.Millisecond)
	put()
	endTurn()
	if len(stamps) != 3 {
		t.Fatalf("%d of 3 puts answered", len(stamps))
	}
	if stamps[0] != stamps[1] || stamps[2] != stamps[1]+6 {
		t.Fatalf("store timestamps %v: want the first two equal (one turn) and the third 6 ms later", stamps)
	}
}

// TestBuggifyFlushEarly: with the store/flush-early site firing, ASYNC_FLUSH
// syncs a small dirty tail at once instead of at the 500 ms tick; other
// sites' answers change nothing here.
func TestBuggifyFlushEarly(t *testing.T) {
	for _, fire := range []string{"", "store/flush-early"} {
		h, mfs := slowSyncHarness(t, config.AsyncFlush, time.Millisecond, nil)
		var asked []string
		h.s.opt.Buggify = func(site string) bool { asked = append(asked, site); return site == fire }
		syncs := mfs.Syncs
		h.s.Put(testMessage("T", 0, 1, 1<<10), func(PutResult) {})
		h.clock.Advance(10 * time.Millisecond) // well before the tick
		if got, want := mfs.Syncs > syncs, fire != ""; got != want {
			t.Fatalf("site %q firing: fsync before the tick = %v, want %v (asked %v)", fire, got, want, asked)
		}
		if !slices.Contains(asked, "store/flush-early") {
			t.Fatalf("the store never asked store/flush-early (asked %v)", asked)
		}
	}
}
