package schedule

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

// realCounts counts each UNIQ_KEY in the real topic's queues.
func (e *env) realCounts() map[string]int {
	counts := map[string]int{}
	for q := int32(0); q < 2; q++ {
		for _, r := range e.realRecords(q) {
			u, _ := message.Property(r.Properties, message.PropertyUniqKey)
			counts[u]++
		}
	}
	return counts
}

// Crashes and power losses while messages wait and while they are being
// moved: under SYNC_FLUSH no acknowledged delayed message is lost, none is
// delivered early (re-deliveries after a restart included), and the late
// ones go out promptly after recovery.
func TestCrashAndPowerLossLoseNothing(t *testing.T) {
	for seed := uint64(1); seed <= *seedsMax; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := newEnv(t, seed, "1s 2s 5s", config.SyncFlush)
			rng := e.w.Rand("workload")
			for i := 0; i < 300; i++ {
				e.send(time.Duration(rng.IntN(40000))*time.Millisecond, uniqName(i), int32(i%2), 1+rng.IntN(3))
			}
			for k := 0; k < 6; k++ {
				at := time.Duration(2000+rng.IntN(38000)) * time.Millisecond
				down := time.Duration(rng.IntN(3000)) * time.Millisecond
				if k%2 == 0 {
					e.w.At(at, e.node.Crash)
				} else {
					e.w.At(at, e.node.PowerLoss)
				}
				e.w.At(at+down, e.node.Start)
			}
			e.w.RunFor(50 * time.Second)
			require.NoError(t, e.node.Err())
			lastStart := e.w.Now()
			e.w.RunFor(10 * time.Second)

			e.checkNotEarly()
			counts := e.realCounts()
			acked := 0
			for _, u := range e.order {
				if e.sends[u].acked {
					acked++
					require.GreaterOrEqual(t, counts[u], 1, "acknowledged delayed message %s lost", u)
				}
			}
			require.Greater(t, acked, 150, "the workload must mostly succeed to prove anything")
			for _, d := range e.got {
				require.Less(t, d.trueTime, lastStart, "deliveries finish within the run")
			}
		})
	}
}

// A forward jump of the broker's clock makes waiting messages due by that
// clock: they go out within recheckIntervalMax of the jump, early in real
// time but on time by the only clock the broker has.
func TestClockJumpForward(t *testing.T) {
	e := newEnv(t, 7, "1s 5s 30s", config.SyncFlush)
	e.send(0, "A", 0, 3)
	e.send(100*time.Millisecond, "B", 0, 3)
	e.w.At(2*time.Second, func() { e.node.Clock().Jump(time.Minute) })
	e.w.RunFor(5 * time.Second)
	require.Len(t, e.got, 2)
	for _, d := range e.got {
		require.GreaterOrEqual(t, d.trueTime, 2*time.Second)
		require.LessOrEqual(t, d.trueTime, 2*time.Second+recheckIntervalMax, "%s noticed the jump late", d.uniq)
	}
	require.Equal(t, "A", e.got[0].uniq)
	e.checkNotEarly()
}

// A backward jump would hold waiting messages back by the size of the jump.
// The wait of a head of queue is bounded by the level's delay on the
// monotonic clock, so a message is never early in elapsed time and at most
// one level delay late; messages stored after the jump carry older store
// timestamps but still wait behind the head, keeping queue order.
func TestClockJumpBackward(t *testing.T) {
	e := newEnv(t, 8, "1s 5s 30s", config.SyncFlush)
	e.send(0, "A", 0, 2)
	e.send(500*time.Millisecond, "B", 0, 2)
	e.w.At(time.Second, func() { e.node.Clock().Jump(-time.Hour) })
	e.send(2*time.Second, "C", 0, 2) // stored an hour "before" A by the clock
	e.w.RunFor(20 * time.Second)
	require.Len(t, e.got, 3)
	var order []string
	for _, d := range e.got {
		s := e.sends[d.uniq]
		delay := e.levels[s.level-1]
		require.GreaterOrEqual(t, d.trueTime, s.trueTime+delay, "%s early in elapsed time", d.uniq)
		require.LessOrEqual(t, d.trueTime, s.trueTime+2*delay, "%s more than one delay late", d.uniq)
		order = append(order, d.uniq)
	}
	require.Equal(t, []string{"A", "B", "C"}, order)
}

// failingPutter refuses re-puts (as a full disk does) until a time, and
// answers some with FLUSH_DISK_TIMEOUT after storing them anyway.
func TestPutFailuresRetryWithoutLossOrReorder(t *testing.T) {
	e := newEnv(t, 9, "1s 2s", config.SyncFlush)
	refuseUntil := 8 * time.Second
	calls := 0
	e.wrapPut = func(n *testNode, m *store.Message, done func(store.PutResult)) {
		calls++
		switch {
		case e.w.Now() < refuseUntil:
			done(store.PutResult{Status: store.ServiceNotAvailable, Err: store.ErrNotWritable})
		case calls == 20 || calls == 29:
			n.st.Put(m, func(store.PutResult) { done(store.PutResult{Status: store.FlushDiskTimeout}) })
		default:
			n.st.Put(m, done)
		}
	}
	for i := 0; i < 40; i++ {
		e.send(time.Duration(i)*100*time.Millisecond, uniqName(i), 0, 1)
	}
	e.w.RunFor(60 * time.Second)
	counts := e.realCounts()
	dups := 0
	for _, u := range e.order {
		require.GreaterOrEqual(t, counts[u], 1, "%s lost", u)
		dups += counts[u] - 1
	}
	require.Positive(t, dups, "a FLUSH_DISK_TIMEOUT put is stored and then retried: a duplicate, not a loss")
	// First appearances in the real queue follow send order.
	seen := map[string]bool{}
	var first []string
	for _, r := range e.realRecords(0) {
		u, _ := message.Property(r.Properties, message.PropertyUniqKey)
		if !seen[u] {
			seen[u] = true
			first = append(first, u)
		}
	}
	require.Equal(t, e.order, first)
	n := e.value()
	require.Equal(t, n.st.MaxOffsetInQueue(store.ScheduleTopic, 0), n.svc.Offsets()[1])
	require.Positive(t, n.svc.Stats.PutFailures)
	e.checkNotEarly()
}

// Messages that fell due while the broker was down go out right after it
// restarts, and not before.
func TestOverdueDeliveredPromptlyAfterRestart(t *testing.T) {
	e := newEnv(t, 12, "1s 2s", config.SyncFlush)
	for i := 0; i < 20; i++ {
		e.send(time.Duration(i)*10*time.Millisecond, uniqName(i), 0, 1+i%2)
	}
	e.w.At(500*time.Millisecond, e.node.Crash)
	e.w.At(5*time.Second, e.node.Start)
	e.w.RunFor(10 * time.Second)
	require.Len(t, e.got, 20)
	for _, d := range e.got {
		require.GreaterOrEqual(t, d.trueTime, 5*time.Second)
		require.LessOrEqual(t, d.trueTime, 5*time.Second+50*time.Millisecond, "%s not prompt", d.uniq)
	}
	require.Len(t, e.realCounts(), 20)
}

// The same seed replays the same run, faults included.
func TestSameSeedSameTrace(t *testing.T) {
	run := func() string {
		e := newEnv(t, 42, "1s 2s", config.SyncFlush)
		rng := e.w.Rand("workload")
		for i := 0; i < 50; i++ {
			e.send(time.Duration(rng.IntN(10000))*time.Millisecond, uniqName(i), int32(i%2), 1+rng.IntN(2))
		}
		e.w.At(3*time.Second, e.node.PowerLoss)
		e.w.At(4*time.Second, e.node.Start)
		e.w.RunFor(15 * time.Second)
		return e.w.TraceHash()
	}
	require.Equal(t, run(), run())
}

// Under ASYNC_FLUSH a re-put is answered before it is synced. A parked
// message that was durable must not be lost because delayOffset.json
// recorded its re-put and a power loss then took the re-put: offsets are
// persisted only as far as the commit log is synced.
func TestAsyncFlushPersistsOnlySyncedProgress(t *testing.T) {
	e := newEnv(t, 13, "1s 2s", config.AsyncFlush)
	e.cfg.FlushIntervalCommitLog = 3 * time.Second // a wide window between a re-put and its sync
	e.cfg.FlushCommitLogThoroughInterval = 3 * time.Second
	e.flushDelayOffsetInterval = 200 * time.Millisecond
	e.node.Restart()
	require.NoError(t, e.node.Err())
	for i := 0; i < 20; i++ {
		e.send(time.Duration(i)*10*time.Millisecond, uniqName(i), 0, 2)
	}
	// A graceful stop syncs the parked messages: from here they are durable.
	e.w.At(time.Second, e.node.Stop)
	e.w.At(1100*time.Millisecond, e.node.Start)
	// Due at ~2.1 s, re-put then, persisted within 200 ms, synced only at ~4.1 s.
	e.w.At(2600*time.Millisecond, e.node.PowerLoss)
	e.w.At(3*time.Second, e.node.Start)
	e.w.RunFor(10 * time.Second)
	counts := e.realCounts()
	for _, u := range e.order {
		require.GreaterOrEqual(t, counts[u], 1, "%s was durable when parked and is lost", u)
	}
}
