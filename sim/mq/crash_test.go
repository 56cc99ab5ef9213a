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
// The regular group is only measured. KNOWN STORE BUG (reported to the
// store owner): a SYNC_FLUSH put that arrives while an fsync is in flight
// stays in the store's write buffer until the next fsync starts, yet it is
// dispatched to its consume queue at once, so consumers can read it; a
// process crash then drops it (it never reached the page cache), its send
// was never acknowledged, and the recovered broker gives its queue offset to
// the next message. The regular group has moved past that offset and never
// receives the acknowledged message that now holds it: lost for that group,
// and a queue that is not a linearizable log. Java's broker writes into the
// mapped page cache before dispatching, so a crash cannot take back what a
// consumer saw. Replay: seed 2 of this spec; or
// go run ./sim sim/mq/testdata/mq-crash-sync-flush.yaml --seed 1.
// When the store is fixed, require the regular group's loss to be zero and
// every run to pass.
func TestSyncFlushCrashKeepsAcknowledged(t *testing.T) {
	seeds := uint64(12)
	if testing.Short() {
		seeds = 4
	}
	spec := crashSpec()
	var groupLost, lossySeeds int
	for seed := uint64(1); seed <= seeds; seed++ {
		res, err := Run(seed, spec, lossReported())
		require.NoError(t, err)
		require.Empty(t, res.Problems, "seed %d", seed)
		require.Zero(t, res.Lost(), "seed %d: the broker forgot acknowledged messages after a crash", seed)
		require.Zero(t, res.Metric("delivery", "unexpected"), "seed %d", seed)
		require.Greater(t, res.Metric("delivery", "acknowledged"), 1000.0, "seed %d", seed)
		if n := int(res.Metric("delivery", "lost:"+spec.Group)); n > 0 {
			groupLost += n
			lossySeeds++
		}
	}
	t.Logf("SYNC_FLUSH with crashes: the broker kept every acknowledged message in %d seeds; the regular group missed %d messages in %d seeds (the store bug above)", seeds, groupLost, lossySeeds)
}
