package mq

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/history"
)

// TestCoreClientsUnderFaults runs the project's producer and push consumer
// cores against two SYNC_FLUSH brokers through an isolation, crashes, a
// pause and a power loss: every checker passes at its strictest, and the
// producers, routed by the name server, used both brokers. (The faults
// strike as TestFaultsStrikeAndRevert shows; the core producer's retries on
// the other broker often hide them from the history entirely.)
func TestCoreClientsUnderFaults(t *testing.T) {
	seeds := uint64(8)
	if testing.Short() {
		seeds = 3
	}
	spec := faultySpec()
	spec.BrokerConf = map[string]string{"flushDiskType": "SYNC_FLUSH"}
	spec.Clients = CoreClients
	for seed := uint64(1); seed <= seeds; seed++ {
		res, err := Run(seed, spec, Options{})
		require.NoError(t, err)
		require.True(t, res.Passed(), "seed %d: %v %s", seed, res.Problems, res.Report.Explain(5))
		perBroker := map[string]int{}
		for _, op := range res.Ops {
			if op.F == history.FSend && op.Type == history.OK {
				perBroker[op.Queue.Broker]++
			}
		}
		for i := range spec.Brokers {
			require.Positive(t, perBroker[BrokerName(i)], "seed %d: nothing acknowledged by %s", seed, BrokerName(i))
		}
	}
}

// TestCoreClientsOutliveTheNameServer: with the name server down for most of
// the run, the core clients keep producing and consuming on the routes they
// cached, through a broker crash, and lose nothing.
func TestCoreClientsOutliveTheNameServer(t *testing.T) {
	s := shortSpec()
	s.Brokers = 2
	s.Duration = 15 * time.Second
	s.Clients = CoreClients
	s.Faults = []Fault{
		{Kind: Crash, Node: NamesrvName, At: 2 * time.Second, For: 11 * time.Second},
		{Kind: Crash, Node: BrokerName(1), At: 6 * time.Second, For: time.Second},
	}
	res, err := Run(5, s, Options{})
	require.NoError(t, err)
	require.True(t, res.Passed(), "%v %s", res.Problems, res.Report.Explain(5))
	acked := 0
	for _, op := range res.Ops {
		if op.F == history.FSend && op.Type == history.OK && op.SimTime > int64(8*time.Second) && op.SimTime < int64(13*time.Second) {
			acked++
		}
	}
	require.Greater(t, acked, 300, "sends stalled while the name server was down")
}

// TestCoreBatchesUnderFaults: batches of eight through a broker crash and a
// power loss on SYNC_FLUSH are stored whole, in order, at consecutive
// offsets, and every acknowledged message is delivered.
func TestCoreBatchesUnderFaults(t *testing.T) {
	s := shortSpec()
	s.Clients = CoreClients
	s.Batch = 8
	s.Interval = 50 * time.Millisecond
	s.Brokers = 2
	s.Duration = 15 * time.Second
	s.Faults = []Fault{
		{Kind: Crash, Node: BrokerName(0), At: 3 * time.Second, Jitter: time.Second, For: time.Second},
		{Kind: PowerLoss, Node: BrokerName(1), At: 8 * time.Second, Jitter: 2 * time.Second, For: time.Second},
	}
	res, err := Run(3, s, Options{})
	require.NoError(t, err)
	require.True(t, res.Passed(), "%v %s", res.Problems, res.Report.Explain(5))
	require.Greater(t, res.Metric("delivery", "acknowledged"), 1000.0)
	// Each acknowledged batch (keys n/8 equal within one producer session)
	// sits in one queue at consecutive offsets, in send order.
	type batch struct {
		prefix string
		index  int
	}
	first := map[batch]history.Op{}
	checked := 0
	for _, op := range res.Ops {
		if op.F != history.FSend || op.Type != history.OK {
			continue
		}
		cut := strings.LastIndex(op.Key, "-")
		n, err := strconv.Atoi(op.Key[cut+1:])
		require.NoError(t, err)
		b := batch{op.Key[:cut], n / s.Batch}
		f, ok := first[b]
		if !ok {
			first[b] = op
			f = op
			f.Offset = history.Int64(op.OffsetValue() - int64(n%s.Batch))
			first[b] = f
		}
		require.Equal(t, f.QueueKey(), op.QueueKey(), "batch %v split across queues", b)
		require.Equal(t, f.OffsetValue()+int64(n%s.Batch), op.OffsetValue(), "batch %v not consecutive", b)
		checked++
	}
	require.Greater(t, checked, 1000)
}
