package mq

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// orderlySpec is a short orderly run on the core clients: two producers
// with sharding keys hashed to queues, two orderly consumers, one of them
// crashed and restarted mid-run.
func orderlySpec() Spec {
	s := DefaultSpec()
	s.Clients = CoreClients
	s.Orderly = true
	s.ShardingKeys = 4
	s.Duration = 10 * time.Second
	s.Drain = time.Minute
	s.Faults = []Fault{{Kind: Crash, Node: ConsumerName(1), At: 4 * time.Second, For: 2 * time.Second}}
	return s
}

// TestOrderlyCore: per sharding key, the orderly group sees every message
// in send order with no gaps, through a consumer crash; the ordering
// checker did judge keys.
func TestOrderlyCore(t *testing.T) {
	for _, seed := range []uint64{1, 2, 3} {
		res, err := Run(seed, orderlySpec(), Options{})
		require.NoError(t, err)
		require.True(t, res.Passed(), "seed %d: %v %s", seed, res.Problems, res.Report.Explain(5))
		require.Positive(t, res.Metric("ordering", "keys"), "seed %d: no sharding key was judged", seed)
		require.Positive(t, res.Metric("delivery", "acknowledged"), "seed %d", seed)
	}
}

// TestStrictOrderKeepsKeysOnTheirQueues: with the topic in
// ORDER_TOPIC_CONFIG on two brokers, a broker crash makes the keys of its
// queues fail to send instead of moving to the other broker, so per key
// the orderly group still sees send order with no gaps.
func TestStrictOrderKeepsKeysOnTheirQueues(t *testing.T) {
	s := orderlySpec()
	s.Brokers = 2
	s.StrictOrder = true
	s.Duration = 12 * time.Second
	s.Faults = []Fault{{Kind: Crash, Node: BrokerName(0), At: 4 * time.Second, For: 3 * time.Second}}
	for _, seed := range []uint64{1, 2} {
		res, err := Run(seed, s, Options{})
		require.NoError(t, err)
		require.True(t, res.Passed(), "seed %d: %v %s", seed, res.Problems, res.Report.Explain(5))
		require.Positive(t, res.Metric("ordering", "keys"), "seed %d: no sharding key was judged", seed)
		require.Zero(t, res.Metric("ordering", "key_reorder"), "seed %d", seed)
		require.Zero(t, res.Metric("ordering", "key_gap"), "seed %d", seed)
	}
	s.Orderly = false
	require.ErrorContains(t, s.Validate(), "strict order is for orderly runs")
}

// TestOrderlyNeedsOrderedSends: an orderly spec refuses message kinds that
// would reorder a queue, and the raw clients.
func TestOrderlyNeedsOrderedSends(t *testing.T) {
	s := orderlySpec()
	s.Mix = []MessageKind{Normal, Delay}
	require.ErrorContains(t, s.Validate(), "break the order")
	s = orderlySpec()
	s.Clients = RawClients
	require.ErrorContains(t, s.Validate(), "core clients")
}

// TestBroadcastCore: in broadcasting mode every consumer instance receives
// every acknowledged message, through one consumer's crash (it resumes
// from the offsets on its own disk).
func TestBroadcastCore(t *testing.T) {
	s := DefaultSpec()
	s.Clients = CoreClients
	s.Broadcast = true
	s.Duration = 10 * time.Second
	s.Drain = time.Minute
	s.Faults = []Fault{{Kind: Crash, Node: ConsumerName(1), At: 4 * time.Second, For: 2 * time.Second}}
	for _, seed := range []uint64{1, 2} {
		res, err := Run(seed, s, Options{})
		require.NoError(t, err)
		require.True(t, res.Passed(), "seed %d: %v %s", seed, res.Problems, res.Report.Explain(5))
		acked := res.Metric("delivery", "acknowledged")
		require.Positive(t, acked, "seed %d", seed)
		// Each instance received each message: the regular group's
		// receives cover every acknowledged message once per instance.
		perInstance := map[string]map[string]bool{}
		for _, op := range res.Ops {
			if op.F == "receive" && op.Group == s.Group {
				if perInstance[op.Process] == nil {
					perInstance[op.Process] = map[string]bool{}
				}
				perInstance[op.Process][op.Key] = true
			}
		}
		require.Len(t, perInstance, s.Consumers, "seed %d", seed)
		for inst, keys := range perInstance {
			require.GreaterOrEqual(t, float64(len(keys)), acked, "seed %d: %s", seed, inst)
		}
	}
}
