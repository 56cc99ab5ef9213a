package transaction

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
)

// Crashes and power losses in the middle of sends, ENDs and check rounds,
// with a producer that replays its ENDs after every restart: every
// acknowledged transaction decided commit is delivered exactly once, none
// decided rollback ever, and the half queue is passed entirely.
func TestCrashesExactlyOnce(t *testing.T) {
	for seed := uint64(1); seed <= *seedsMax; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			e := newEnv(t, seed, fastOpt)
			rng := e.w.Rand("workload")
			for i := 0; i < 200; i++ {
				first := []outcome{commit, rollback, unknown}[rng.IntN(3)]
				onCheck := first
				if first == unknown {
					onCheck = []outcome{commit, rollback}[rng.IntN(2)]
				}
				e.send(time.Duration(rng.IntN(40000))*time.Millisecond, txName(i), first, onCheck,
					time.Duration(rng.IntN(500))*time.Millisecond)
			}
			for k := 0; k < 6; k++ {
				at := time.Duration(1000+rng.IntN(39000)) * time.Millisecond
				down := time.Duration(rng.IntN(3000)) * time.Millisecond
				if k%2 == 0 {
					e.w.At(at, e.node.Crash)
				} else {
					e.w.At(at, e.node.PowerLoss)
				}
				e.w.At(at+down, e.node.Start)
				// The producer replays every END it ever decided.
				e.w.At(at+down+100*time.Millisecond, func() {
					for i := 0; i < 200; i++ {
						if tx := e.txs[txName(i)]; tx.halfOK && tx.first != unknown {
							e.end(tx, nil, tx.first)
						}
					}
				})
			}
			e.w.RunFor(45 * time.Second)
			require.NoError(t, e.node.Err())
			e.w.RunFor(60 * time.Second) // check rounds resolve what the faults left open
			for _, err := range e.endErrs {
				require.False(t, errors.Is(err, ErrMismatch) || errors.Is(err, ErrHalfNotFound), "END failed: %v", err)
			}
			got := e.delivered("T", 1)
			acked := 0
			for _, tx := range e.txs {
				decided := tx.first
				if decided == unknown {
					decided = tx.onCheck
				}
				switch {
				case decided == rollback:
					require.Zero(t, got[tx.uniq], "rolled-back %s delivered", tx.uniq)
				case tx.halfOK:
					acked++
					require.Equal(t, 1, got[tx.uniq], "committed %s delivered %d times", tx.uniq, got[tx.uniq])
				default:
					require.LessOrEqual(t, got[tx.uniq], 1, "unacknowledged %s delivered twice", tx.uniq)
				}
			}
			require.Greater(t, acked, 50)
			n, _ := e.value()
			half, _ := n.svc.Progress()
			require.Equal(t, n.st.MaxOffsetInQueue(HalfTopic, 0), half, "half messages left unresolved")
		})
	}
}

// The same seed replays the same run, faults and check-backs included.
func TestSameSeedSameTrace(t *testing.T) {
	run := func() string {
		e := newEnv(t, 42, fastOpt)
		rng := e.w.Rand("workload")
		for i := 0; i < 40; i++ {
			e.send(time.Duration(rng.IntN(5000))*time.Millisecond, txName(i), []outcome{commit, rollback, unknown}[rng.IntN(3)],
				commit, time.Duration(rng.IntN(300))*time.Millisecond)
		}
		e.w.At(2*time.Second, e.node.PowerLoss)
		e.w.At(3*time.Second, e.node.Start)
		e.w.RunFor(15 * time.Second)
		return e.w.TraceHash()
	}
	require.Equal(t, run(), run())
}

// Jumps of the broker's clock: forwards, a half message looks old and is
// checked at the next round; backwards, its age is negative and it is
// checked at the next round too, as in RocketMQ (a check is harmless, a
// half message nobody ever asks about is not). Neither is lost or doubled.
func TestClockJumps(t *testing.T) {
	for _, jump := range []time.Duration{time.Hour, -time.Hour} {
		t.Run(jump.String(), func(t *testing.T) {
			opt := Options{TimeOut: 10 * time.Second, CheckInterval: 2 * time.Second, CheckMax: 15}
			e := newEnv(t, 9, opt)
			tx := e.send(0, "A", unknown, commit, 0)
			e.w.At(500*time.Millisecond, func() { e.node.Clock().Jump(jump) })
			e.w.RunFor(2500 * time.Millisecond)
			require.Equal(t, 1, tx.checks, "checked at the first round after the jump")
			e.w.RunFor(10 * time.Second)
			require.Equal(t, 1, tx.checks)
			require.Equal(t, map[string]int{"A": 1}, e.delivered("T", 1))
		})
	}
}

// Under ASYNC_FLUSH a commit and its op are answered before their fsync.
// The progress must not pass a durable half message on the strength of an
// op a power loss can take: then the half would be neither committed nor
// ever checked again. Here the commit is lost with its op, and the
// check-back commits it after the restart.
func TestAsyncFlushProgressWaitsForSync(t *testing.T) {
	e := newEnv(t, 10, fastOpt)
	e.cfg.FlushDiskType = config.AsyncFlush
	e.cfg.FlushIntervalCommitLog = 20 * time.Second // nothing reaches the media on its own in this test
	e.cfg.FlushCommitLogThoroughInterval = 20 * time.Second
	e.node.Restart()
	require.NoError(t, e.node.Err())
	tx := e.send(0, "A", unknown, commit, 0)
	e.w.At(500*time.Millisecond, e.node.Stop) // a graceful stop syncs the half message
	e.w.At(600*time.Millisecond, e.node.Start)
	e.w.At(time.Second, func() { e.end(tx, nil, commit) })
	e.w.At(6*time.Second, func() { // the offset table was persisted at 5.6 s
		n, _ := e.value()
		require.Equal(t, 1, len(e.delivered("T", 1)), "committed, not yet synced")
		half, _ := n.svc.Progress()
		require.Zero(t, half, "progress waits for the fsync")
		e.node.PowerLoss()
	})
	e.w.At(7*time.Second, e.node.Start)
	e.w.RunFor(15 * time.Second)
	require.Equal(t, map[string]int{"A": 1}, e.delivered("T", 1))
	require.Equal(t, 1, tx.checks, "resolved by the check-back after the commit was lost")
}
