package mq

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/history"
)

// faultySpec has every fault kind the workload knows, on two brokers.
func faultySpec() Spec {
	s := DefaultSpec()
	s.Brokers = 2
	s.Producers = 3
	s.Duration = 12 * time.Second
	s.Drain = time.Minute
	s.FsyncMin, s.FsyncMax = 100*time.Microsecond, 2*time.Millisecond
	s.BrokerConf = map[string]string{"flushDiskType": "ASYNC_FLUSH"}
	s.Faults = []Fault{
		{Kind: Isolate, Node: BrokerName(1), At: time.Second, Jitter: time.Second, For: 2 * time.Second},
		{Kind: Crash, Node: BrokerName(0), At: 3 * time.Second, Jitter: 2 * time.Second, For: time.Second},
		{Kind: Pause, Node: ConsumerName(1), At: 4 * time.Second, For: 3 * time.Second},
		{Kind: PowerLoss, Node: BrokerName(1), At: 7 * time.Second, Jitter: 3 * time.Second, For: time.Second},
		{Kind: Crash, Node: ProducerName(2), At: 8 * time.Second},
	}
	return s
}

func historyBytes(t *testing.T, ops []history.Op) []byte {
	var b bytes.Buffer
	require.NoError(t, history.Write(&b, ops))
	return b.Bytes()
}

// TestSameSeedSameRun: a seed replays a run exactly, faults included: the
// same trace hash and a byte-identical history. Another seed differs.
func TestSameSeedSameRun(t *testing.T) {
	spec := faultySpec()
	a, err := Run(7, spec, lossReported())
	require.NoError(t, err)
	b, err := Run(7, spec, lossReported())
	require.NoError(t, err)
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, a.Events, b.Events)
	require.Equal(t, historyBytes(t, a.Ops), historyBytes(t, b.Ops))
	require.Equal(t, a.Report.Summary(), b.Report.Summary())

	c, err := Run(8, spec, lossReported())
	require.NoError(t, err)
	require.NotEqual(t, a.TraceHash, c.TraceHash)
}

// TestSameSeedSameRunCoreChaos: replay holds with the core clients, faults
// drawn from the seed and skewed clocks too.
func TestSameSeedSameRunCoreChaos(t *testing.T) {
	spec := chaosSpec(CoreClients)
	spec.Duration = 10 * time.Second
	spec.ClockSkew = 200 * time.Millisecond
	a, err := Run(11, spec, lossReported())
	require.NoError(t, err)
	b, err := Run(11, spec, lossReported())
	require.NoError(t, err)
	require.Equal(t, a.TraceHash, b.TraceHash)
	require.Equal(t, historyBytes(t, a.Ops), historyBytes(t, b.Ops))
	c, err := Run(12, spec, lossReported())
	require.NoError(t, err)
	require.NotEqual(t, a.TraceHash, c.TraceHash)
}
