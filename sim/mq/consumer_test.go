package mq

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/history"
)

// TestClusteringSplitsQueues: without faults each message of the regular
// group goes to exactly one instance, the owner of its queue, and no
// instance reads another's queue.
func TestClusteringSplitsQueues(t *testing.T) {
	s := shortSpec()
	s.Brokers, s.Consumers = 2, 3
	res, err := Run(2, s, Options{})
	require.NoError(t, err)
	require.True(t, res.Passed(), res.Report.Explain(5))
	require.Zero(t, res.Metric("delivery", "duplicates"))

	owner := map[string]string{} // queue -> instance
	perInstance := map[string]int{}
	for _, op := range res.Ops {
		if op.F != history.FReceive || op.Group != s.Group {
			continue
		}
		q := op.QueueKey()
		if o, ok := owner[q]; ok {
			require.Equal(t, o, op.Process, "queue %s read by two instances", q)
		}
		owner[q] = op.Process
		perInstance[op.Process]++
	}
	require.Len(t, owner, s.Brokers*s.Queues, "every queue is read")
	require.Len(t, perInstance, s.Consumers, "every instance reads")
}

// TestConsumerResumesFromCommittedOffset: a consumer instance that crashes
// and restarts resumes its queues at the group's committed offsets, so it
// redelivers only what it had not yet committed (at least once), not
// everything from offset 0, and nothing is lost.
func TestConsumerResumesFromCommittedOffset(t *testing.T) {
	s := shortSpec()
	s.Duration = 20 * time.Second
	s.Faults = []Fault{{Kind: Crash, Node: ConsumerName(0), At: 12 * time.Second, Jitter: time.Second, For: 2 * time.Second}}
	res, err := Run(4, s, Options{})
	require.NoError(t, err)
	require.True(t, res.Passed(), res.Report.Explain(5))

	// consumer-0's deliveries; the crash shows as the longest silence.
	var ops []history.Op
	for _, op := range res.Ops {
		if op.F == history.FReceive && strings.HasPrefix(op.Process, ConsumerName(0)) {
			ops = append(ops, op)
		}
	}
	gapAt, gap := 0, int64(0)
	for i := 1; i < len(ops); i++ {
		if d := ops[i].SimTime - ops[i-1].SimTime; d > gap {
			gapAt, gap = i, d
		}
	}
	require.GreaterOrEqual(t, gap, int64(1500*time.Millisecond), "consumer-0 never went silent: no crash")
	seen := map[string]bool{}
	for _, op := range ops[:gapAt] {
		seen[op.Key] = true
	}
	after, repeats := len(ops)-gapAt, 0
	for _, op := range ops[gapAt:] {
		if seen[op.Key] {
			repeats++
		}
	}
	require.Positive(t, after, "consumer-0 never consumed after its restart")
	// Its queues held about 300 messages by 12 s; starting over would
	// repeat them all. Resuming repeats at most the last uncommitted pull
	// of each queue.
	require.LessOrEqual(t, repeats, 2*pullBatch, "consumer-0 started over instead of resuming")
	t.Logf("consumer-0: %d deliveries after the restart, %d of them repeats", after, repeats)
}

// TestTagSubscription: a group subscribed to some tags receives every
// acknowledged message with those tags and nothing else, through a broker
// crash; the verification group still reads every message.
func TestTagSubscription(t *testing.T) {
	s := shortSpec()
	s.Tags = []string{"TagA", "TagB", "TagC", ""}
	s.Subscription = "TagA||TagC"
	s.Faults = []Fault{{Kind: Crash, Node: BrokerName(0), At: 4 * time.Second, Jitter: 2 * time.Second, For: time.Second}}
	res, err := Run(6, s, Options{})
	require.NoError(t, err)
	require.True(t, res.Passed(), res.Report.Explain(5))
	byGroup := map[string]map[string]int{}
	for _, op := range res.Ops {
		if op.F == history.FReceive {
			if byGroup[op.Group] == nil {
				byGroup[op.Group] = map[string]int{}
			}
			byGroup[op.Group][op.Tags]++
		}
	}
	require.Positive(t, byGroup[s.Group]["TagA"])
	require.Positive(t, byGroup[s.Group]["TagC"])
	require.Zero(t, byGroup[s.Group]["TagB"])
	require.Zero(t, byGroup[s.Group][""])
	for _, tag := range s.Tags {
		require.Positive(t, byGroup[VerifyGroup][tag], "verifier missed tag %q", tag)
	}
}
