package mq

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// crashSpec crashes the SYNC_FLUSH broker's process every few seconds while
// fsyncs take a few milliseconds, so puts are often waiting for group
// commit when the crash comes.
func crashSpec() Spec {
	s := powerLossSpec("SYNC_FLUSH")
	s.Interval = 10 * time.Millisecond
	s.FsyncMin, s.FsyncMax = 200*time.Microsecond, 4*time.Millisecond
	s.Faults = nil
	for at := time.Second; at < 18*time.Second; at += 3 * time.Second {
		s.Faults = append(s.Faults, Fault{Kind: Crash, Node: BrokerName(0), At: at, Jitter: time.Second, For: 500 * time.Millisecond})
	}
	return s
}

// TestSyncFlushCrashKeepsAcknowledged: under SYNC_FLUSH, process crashes
// never cost the broker an acknowledged message: the verification group,
// reading every queue after the last restart, finds every one.
//
// The regular group must not miss one either: a put that arrives while an
// fsync is in flight reaches the page cache on the next loop turn and only
// then its consumers (an earlier store served it from its write buffer, so a
// crash took back records consumers had read).
func TestSyncFlushCrashKeepsAcknowledged(t *testing.T) {
	seeds := uint64(12)
	if testing.Short() {
		seeds = 4
	}
	spec := crashSpec()
	for seed := uint64(1); seed <= seeds; seed++ {
		res, err := Run(seed, spec, lossReported())
		require.NoError(t, err)
		require.Empty(t, res.Problems, "seed %d", seed)
		require.Zero(t, res.Lost(), "seed %d: the broker forgot acknowledged messages after a crash", seed)
		require.Zero(t, res.Metric("delivery", "unexpected"), "seed %d", seed)
		require.Greater(t, res.Metric("delivery", "acknowledged"), 1000.0, "seed %d", seed)
		require.Zero(t, res.Metric("delivery", "lost:"+spec.Group), "seed %d: the consuming group missed acknowledged messages", seed)
		require.True(t, res.Passed(), "seed %d: %v %s", seed, res.Problems, res.Report.Explain(5))
	}
}
