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
