package mq

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/bugs"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

// The features workload exercises what the plain workload does not:
// delayed messages, transactions that commit, roll back or wait for the
// check-back, and messages the listener always fails, so that the delay,
// transactions and retry checkers have something to judge. One broker with
// short delay levels and check intervals, the project's producer and push
// consumer cores (Spec.Mix), no faults.

// featMaxReconsume keeps a failing message's retries short: attempts at 0,
// +3 s and +4 s (delay levels 3 and 4 of featLevels), then the DLQ.
const featMaxReconsume = 2

// featLevels is the brokers' short delay table.
const featLevels = "1s 2s 3s 4s 5s 6s 7s 8s"

// featSpec is the features run: one producer cycling through every message
// kind for 3 s, one consumer.
func featSpec() Spec {
	s := DefaultSpec()
	s.Queues = 2
	s.Producers, s.Consumers = 1, 1
	s.Clients = CoreClients
	s.Interval = 100 * time.Millisecond
	s.Duration = 3 * time.Second
	s.Drain = time.Minute
	s.Mix = []MessageKind{Delay, Commit, Rollback, Failing, Normal, Unknown}
	s.MaxReconsumeTimes = featMaxReconsume
	// 8 s: longer than the consumer takes to start, so a message stored
	// without its delay is delivered visibly early.
	s.DelayLevel = 8
	s.BrokerConf = map[string]string{
		"messageDelayLevel":        featLevels,
		"transactionTimeOut":       "1000",
		"transactionCheckInterval": "1000",
		"transactionCheckMax":      "5",
	}
	return s
}

// runFeatures runs the features workload from seed against one broker with
// sw, and judges it.
func runFeatures(t *testing.T, seed uint64, sw bugs.Switches) (check.Report, []history.Op) {
	t.Helper()
	res, err := Run(seed, featSpec(), Options{BrokerBugs: sw})
	require.NoError(t, err)
	require.Empty(t, res.Problems, "seed %d", seed)
	t.Logf("%+v:\n%s", sw, res.Report.Summary())
	return res.Report, res.Ops
}

// featSeeds are the seeds every features test runs (a run takes ~20 ms).
var featSeeds = []uint64{1, 2, 3, 4, 5}

func TestFeaturesHealthyBrokerPasses(t *testing.T) {
	for _, seed := range featSeeds {
		rep, ops := runFeatures(t, seed, bugs.Switches{})
		require.Equal(t, check.Pass, rep.Verdict, "seed %d: %s", seed, rep.Explain(10))
		// The workload did exercise every feature: count what was sent of
		// each kind (by the decision its key carries) against what the
		// history shows of it.
		var sentDelayed, sentCommit, sentRollback, sentUnknown, sentFailing int
		var delayed, committed, rolledBack, checked, failedAcks, dead int
		delayedKeys := map[string]bool{}
		for _, op := range ops {
			switch {
			case op.F == history.FSend && op.Type == history.OK:
				switch {
				case op.DelayLevel > 0:
					sentDelayed++
				case op.Tags == FailTag:
					sentFailing++
				case strings.Contains(op.Key, suffixUnknown):
					sentUnknown++
				case strings.HasSuffix(op.Key, suffixCommit):
					sentCommit++
				case strings.HasSuffix(op.Key, suffixRollback):
					sentRollback++
				}
				if op.DelayLevel > 0 {
					delayedKeys[op.Key] = true
				}
			case op.F == history.FReceive && op.Group == VerifyGroup && delayedKeys[op.Key]:
				delayed++
			case op.F == history.FCommit:
				committed++
			case op.F == history.FRollback:
				rolledBack++
			case op.F == history.FCheck:
				checked++
			case op.F == history.FAck && op.Type == history.Fail:
				failedAcks++
			case op.F == history.FDLQ:
				dead++
			}
		}
		require.Positive(t, sentDelayed*sentCommit*sentRollback*sentUnknown*sentFailing, "every kind was sent")
		require.Equal(t, sentDelayed, delayed, "every delayed message reached the topic once")
		require.Equal(t, sentCommit, committed, "every commit decided at once")
		require.Equal(t, sentRollback, rolledBack, "every rollback decided at once")
		require.GreaterOrEqual(t, checked, sentUnknown, "every unknown transaction checked back")
		require.Equal(t, sentFailing*(1+featMaxReconsume), failedAcks, "every failing message gets 1+maxReconsumeTimes attempts")
		require.Equal(t, sentFailing, dead, "every failing message is in the DLQ, once")
	}
}

// requireFeatureBug runs the features workload with sw over featSeeds and
// asserts each run fails on exactly the checkers named, with count of the
// anomaly kind in the first of them.
func requireFeatureBug(t *testing.T, sw bugs.Switches, kind string, count int64, failed ...string) {
	t.Helper()
	for _, seed := range featSeeds {
		rep, _ := runFeatures(t, seed, sw)
		require.ElementsMatch(t, failed, rep.Failed, "seed %d: %s", seed, rep.Explain(10))
		require.Equal(t, count, checker(t, rep, failed[0]).Counts[kind], "seed %d", seed)
	}
}

// TestBugDeliverDelayEarly: a delayed message stored without its delay is
// delivered at once; the delay checker counts it early.
func TestBugDeliverDelayEarly(t *testing.T) {
	requireFeatureBug(t, bugs.Switches{DeliverDelayEarly: true}, "early_delivery", 1, "delay")
}

// TestBugDeliverRolledBack: a rollback turned into a commit is a rolled-back
// message delivered (transactions), which the delivery checker did not
// expect either.
func TestBugDeliverRolledBack(t *testing.T) {
	requireFeatureBug(t, bugs.Switches{DeliverRolledBack: true}, "rolled_back_delivered", 1, "transactions", "delivery")
}

// TestBugSkipRetry: a failed message sent to the DLQ with retries left is
// never retried; the workload reads the dead-letter queue, so the retry
// checker sees each one dead-lettered before its last attempt.
func TestBugSkipRetry(t *testing.T) {
	requireFeatureBug(t, bugs.Switches{SkipRetry: true, Limit: 2}, "premature_dlq", 2, "retry")
}
