package mq

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/history"
)

// TestFaultsStrikeAndRevert runs every fault kind and checks that each one
// was felt by the clients and then undone: sends to an isolated or downed
// broker stop succeeding and succeed again after, a crashed producer's
// sends end, and the run still ends with both groups drained.
func TestFaultsStrikeAndRevert(t *testing.T) {
	spec := faultySpec()
	res, err := Run(3, spec, lossReported())
	require.NoError(t, err)
	t.Logf("%s", res.Report.Summary())
	require.Empty(t, res.Problems)
	require.Zero(t, res.Metric("delivery", "unexpected"))
	require.Positive(t, res.Metric("stats", "sends-info")+res.Metric("stats", "sends-fail"), "faults left every send untouched")

	// Acknowledged sends per broker per second of true time.
	acks := map[string]map[int64]int{}
	lastProducer2 := int64(-1)
	for _, op := range res.Ops {
		if op.F != history.FSend {
			continue
		}
		if strings.HasPrefix(op.Process, ProducerName(2)+"/") && op.Type == history.Invoke {
			lastProducer2 = max(lastProducer2, op.SimTime)
		}
		if op.Type != history.OK {
			continue
		}
		b := op.Queue.Broker
		if acks[b] == nil {
			acks[b] = map[int64]int{}
		}
		acks[b][op.SimTime/int64(time.Second)]++
	}
	// Each broker is down or cut off for at least a second, so some
	// second of the workload phase has no acknowledged send to it; and
	// it acknowledges again in the last seconds of the phase.
	for i := range spec.Brokers {
		b := BrokerName(i)
		quiet := false
		for s := int64(1); s < int64(spec.Duration/time.Second); s++ {
			quiet = quiet || acks[b][s] == 0
		}
		require.True(t, quiet, "%s never stopped acknowledging", b)
		require.Positive(t, acks[b][int64(spec.Duration/time.Second)-1], "%s did not come back", b)
	}
	// producer-2 crashed at 8 s and is restarted only by the recovery
	// phase, after which producers no longer send.
	require.Less(t, lastProducer2, int64(8*time.Second)+int64(spec.Interval)*2)
}

// TestBrokerClockJumps: server wall clocks jumping back and forth (store
// timestamps, the name server's broker expiry read them) cost nothing under
// SYNC_FLUSH: every checker passes at its strictest, with raw and with core
// clients, through a crash taken while a broker's clock is off.
func TestBrokerClockJumps(t *testing.T) {
	s := shortSpec()
	s.Brokers = 2
	s.Duration = 15 * time.Second
	s.Faults = []Fault{
		{Kind: ClockJump, Node: BrokerName(0), At: 2 * time.Second, By: -30 * time.Second, For: 6 * time.Second},
		{Kind: ClockJump, Node: BrokerName(1), At: 3 * time.Second, By: time.Hour, For: 5 * time.Second},
		{Kind: Crash, Node: BrokerName(0), At: 5 * time.Second, For: time.Second},
		{Kind: ClockJump, Node: NamesrvName, At: 4 * time.Second, By: 3 * time.Minute},
	}
	for _, clients := range []ClientKind{RawClients, CoreClients} {
		s.Clients = clients
		res, err := Run(2, s, Options{})
		require.NoError(t, err)
		require.True(t, res.Passed(), "%s: %v %s", clients, res.Problems, res.Report.Explain(5))
	}
}

// TestClockSkew: nodes whose clocks disagree by up to a second (the
// checkers told so) change nothing: strict pass with both client kinds
// through a broker crash.
func TestClockSkew(t *testing.T) {
	s := shortSpec()
	s.ClockSkew = 500 * time.Millisecond
	s.Faults = []Fault{{Kind: Crash, Node: BrokerName(0), At: 4 * time.Second, For: time.Second}}
	for _, clients := range []ClientKind{RawClients, CoreClients} {
		s.Clients = clients
		res, err := Run(9, s, Options{})
		require.NoError(t, err)
		require.True(t, res.Passed(), "%s: %v %s", clients, res.Problems, res.Report.Explain(5))
		// The skew reached the clients' timestamps: each node's wall
		// clock stands at its own offset from true time.
		lo, hi := int64(1<<62), int64(-1<<62)
		for _, op := range res.Ops {
			off := op.Time - op.SimTime
			lo, hi = min(lo, off), max(hi, off)
		}
		require.Greater(t, hi-lo, int64(100*time.Millisecond), "%s: every client's clock agrees", clients)
	}
}
