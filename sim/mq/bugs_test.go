package mq

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/bugs"
	"rocketsim/jepsen/check"
)

// These tests show each checker catching a broker that breaks the guarantee
// it judges: the same small run passes with healthy brokers and fails, on
// the right checkers only, with one test-only fault switch on
// (broker/bugs). Switches that the Spec workload cannot exercise (delays,
// transactions, retries) are shown in bugs_features_test.go.

// bugSpec is a short, fault-free run: about 300 acknowledged sends.
func bugSpec() Spec {
	s := DefaultSpec()
	s.Duration = 3 * time.Second
	s.Drain = 30 * time.Second
	return s
}

// checker returns the named checker's result in r.
func checker(t *testing.T, r check.Report, name string) check.Checked {
	t.Helper()
	for _, c := range r.Checkers {
		if c.Name == name {
			return c
		}
	}
	t.Fatalf("report has no %q checker: %s", name, r.Summary())
	return check.Checked{}
}

// runBug runs bugSpec from seed with sw on every broker.
func runBug(t *testing.T, seed uint64, sw bugs.Switches, cfg check.Config) *Result {
	t.Helper()
	res, err := Run(seed, bugSpec(), Options{BrokerBugs: sw, Check: cfg})
	require.NoError(t, err)
	require.Empty(t, res.Problems, "the run itself must complete")
	t.Logf("%+v:\n%s", sw, res.Report.Summary())
	return res
}

// requireFailedExactly asserts the run failed on the named checkers and no
// others.
func requireFailedExactly(t *testing.T, res *Result, names ...string) {
	t.Helper()
	require.False(t, res.Passed(), "the broken broker went unnoticed:\n%s", res.Report.Summary())
	got := slices.Sorted(slices.Values(res.Report.Failed))
	want := slices.Sorted(slices.Values(names))
	require.Equal(t, want, got, "%s", res.Report.Explain(5))
	for _, n := range names {
		require.Equal(t, check.Fail, checker(t, res.Report, n).Verdict)
	}
}

func TestHealthyBrokerPassesBugSpec(t *testing.T) {
	healthy := runBug(t, 1, bugs.Switches{}, check.Config{})
	require.True(t, healthy.Passed(), "%s", healthy.Report.Explain(5))
	require.Greater(t, healthy.Metric("delivery", "acknowledged"), 200.0)
	// Probability and limit without a switch on change nothing: not even
	// the trace.
	idle := runBug(t, 1, bugs.Switches{Prob: 0.5, Limit: 3}, check.Config{})
	require.Equal(t, healthy.TraceHash, idle.TraceHash)
}

// TestBugDropAckedMessage: a send acknowledged but never stored is lost for
// both groups (delivery), and its offset was handed to another message too
// (linearizability).
func TestBugDropAckedMessage(t *testing.T) {
	res := runBug(t, 1, bugs.Switches{DropAckedMessage: true, Limit: 3}, check.Config{})
	requireFailedExactly(t, res, "delivery", "linearizable")
	require.Equal(t, 3, res.Lost(), "each of the three drops is lost to the verifier")
	require.Equal(t, 3.0, res.Metric("delivery", "lost:"+bugSpec().Group), "the regular group misses them too")
	lin := checker(t, res.Report, "linearizable")
	require.Positive(t, lin.Counts["offset_reused"])
}

// TestBugSwapOffsets: two messages read at each other's offsets are wrong
// values at those offsets (linearizability) and out of queue order
// (ordering); nothing is lost, so delivery passes.
func TestBugSwapOffsets(t *testing.T) {
	res := runBug(t, 1, bugs.Switches{SwapOffsets: true}, check.Config{})
	requireFailedExactly(t, res, "linearizable", "ordering")
	require.Equal(t, check.Pass, checker(t, res.Report, "delivery").Verdict)
	require.Equal(t, int64(2), checker(t, res.Report, "linearizable").Counts["wrong_value"])
}

// TestBugDuplicateDelivery: RocketMQ promises at least once, so by default
// a duplicate is measured, not failed; a run that forbids duplicates
// (max_dup_ratio: 0) fails on delivery.
func TestBugDuplicateDelivery(t *testing.T) {
	sw := bugs.Switches{DuplicateDelivery: true, Limit: 2}
	lenient := runBug(t, 1, sw, check.Config{})
	require.True(t, lenient.Passed(), "%s", lenient.Report.Explain(5))
	require.Equal(t, int64(2), checker(t, lenient.Report, "delivery").Counts["duplicates"])

	zero := 0.0
	strict := check.Config{Expect: check.Expectations{MaxDupRatio: &zero}}
	healthy := runBug(t, 1, bugs.Switches{}, strict)
	require.True(t, healthy.Passed(), "a healthy broker delivers each message once here: %s", healthy.Report.Explain(5))
	res := runBug(t, 1, sw, strict)
	requireFailedExactly(t, res, "delivery")
	require.Zero(t, res.Lost())
}

// TestBugProbabilisticIsDeterministic: a probabilistic switch strikes at
// moments drawn from the broker's seeded stream, so a seed replays the
// same broken run.
func TestBugProbabilisticIsDeterministic(t *testing.T) {
	sw := bugs.Switches{DropAckedMessage: true, Prob: 0.05, Limit: 4}
	a := runBug(t, 3, sw, check.Config{})
	b := runBug(t, 3, sw, check.Config{})
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, a.Lost(), b.Lost())
	require.Equal(t, 4, a.Lost(), "300 sends give a 5%% switch its 4 strikes")
	requireFailedExactly(t, a, "delivery", "linearizable")
}

// TestBugSwitchesPerIncarnation: a restarted broker is a new incarnation
// with fresh strike counts, so a one-shot drop strikes once before a crash
// and once after; SYNC_FLUSH loses nothing else across the crash.
func TestBugSwitchesPerIncarnation(t *testing.T) {
	s := bugSpec()
	s.Faults = []Fault{{Kind: Crash, Node: BrokerName(0), At: 1500 * time.Millisecond, For: 500 * time.Millisecond}}
	res, err := Run(1, s, Options{BrokerBugs: bugs.Switches{DropAckedMessage: true}})
	require.NoError(t, err)
	require.Empty(t, res.Problems)
	require.Equal(t, 2, res.Lost(), "%s", res.Report.Explain(5))
	requireFailedExactly(t, res, "delivery", "linearizable")
}

// TestBugVerdictsAcrossSeeds: each switch trips the same checkers whatever
// the seed's timings.
func TestBugVerdictsAcrossSeeds(t *testing.T) {
	zero := 0.0
	strict := check.Config{Expect: check.Expectations{MaxDupRatio: &zero}}
	cases := []struct {
		sw     bugs.Switches
		failed []string
	}{
		{bugs.Switches{}, nil},
		{bugs.Switches{DropAckedMessage: true}, []string{"delivery", "linearizable"}},
		{bugs.Switches{SwapOffsets: true}, []string{"linearizable", "ordering"}},
		{bugs.Switches{DuplicateDelivery: true}, []string{"delivery"}},
	}
	for seed := uint64(2); seed <= 4; seed++ {
		for _, c := range cases {
			res, err := Run(seed, bugSpec(), Options{BrokerBugs: c.sw, Check: strict})
			require.NoError(t, err)
			require.Empty(t, res.Problems)
			require.ElementsMatch(t, c.failed, res.Report.Failed, "seed %d %+v: %s", seed, c.sw, res.Report.Explain(5))
		}
	}
}
