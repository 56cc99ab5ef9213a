package transaction

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

var fastOpt = Options{TimeOut: time.Second, CheckInterval: 2 * time.Second, CheckMax: 15}

// Committed transactions are delivered once, rolled-back ones never, and
// unknown ones are resolved by check-back either way.
func TestCommitRollbackAndCheckBack(t *testing.T) {
	e := newEnv(t, 1, fastOpt)
	kinds := []struct{ first, onCheck outcome }{
		{commit, commit}, {rollback, rollback}, {unknown, commit}, {unknown, rollback},
	}
	for i := 0; i < 40; i++ {
		k := kinds[i%len(kinds)]
		e.send(time.Duration(i)*50*time.Millisecond, txName(i), k.first, k.onCheck, 100*time.Millisecond)
	}
	e.w.RunFor(30 * time.Second)
	require.Empty(t, e.endErrs)
	got := e.delivered("T", 1)
	for _, tx := range e.txs {
		require.True(t, tx.halfOK)
		want := 0
		if tx.first == commit || (tx.first == unknown && tx.onCheck == commit) {
			want = 1
		}
		require.Equal(t, want, got[tx.uniq], "%s (END %d, check %d) delivered %d times", tx.uniq, tx.first, tx.onCheck, got[tx.uniq])
		if tx.first == unknown {
			require.Equal(t, 1, tx.checks, "%s checked %d times", tx.uniq, tx.checks)
		} else {
			require.Zero(t, tx.checks, "%s resolved by its END but checked", tx.uniq)
		}
	}
	n, _ := e.value()
	half, op := n.svc.Progress()
	require.Equal(t, n.st.MaxOffsetInQueue(HalfTopic, 0), half, "every half message passed")
	require.Equal(t, n.st.MaxOffsetInQueue(OpTopic, 0), op, "every op passed")
	require.Equal(t, int64(40), n.st.MaxOffsetInQueue(OpTopic, 0), "one op per transaction")
	require.Equal(t, half, n.offs.Query(SysGroup, HalfTopic, 0), "progress committed as SysGroup's offset")
	require.Equal(t, int64(20), n.svc.Stats.Commits)
	require.Equal(t, int64(20), n.svc.Stats.Rollbacks)

	// A committed message keeps RocketMQ's shape.
	res := n.st.GetMessage("T", 1, 0, 1, nil)
	require.Equal(t, store.Found, res.Status)
	r, err := message.Decode(res.Records[0], true)
	require.NoError(t, err)
	props := message.ParseProperties(r.Properties)
	require.Equal(t, "T", props[message.PropertyRealTopic])
	require.Equal(t, "1", props[message.PropertyRealQueueID])
	require.Equal(t, "true", props[message.PropertyTranPrepared])
	require.Equal(t, testGroup, props[PropertyProducerGroup])
	tx := e.txs[props[message.PropertyUniqKey]]
	require.Equal(t, tx.halfPhy, r.PreparedTransactionOffset)
	require.Equal(t, "body-"+tx.uniq, string(r.Body))
}

// END replayed (twice at once, again later, again after a restart, and as
// a check answer for the original offsets) writes the commit once.
func TestEndReplayIsIdempotent(t *testing.T) {
	e := newEnv(t, 2, fastOpt)
	tx := e.send(0, "A", commit, commit, 10*time.Millisecond)
	rb := e.send(0, "B", rollback, rollback, 10*time.Millisecond)
	e.w.At(15*time.Millisecond, func() { e.end(tx, nil, commit); e.end(rb, nil, commit) }) // while the first is in flight
	e.w.At(time.Second, func() { e.end(tx, nil, commit); e.end(tx, nil, rollback); e.end(rb, nil, commit) })
	e.w.At(2*time.Second, e.node.Crash)
	e.w.At(3*time.Second, e.node.Start)
	e.w.At(4*time.Second, func() { e.end(tx, nil, commit); e.end(rb, nil, commit) })
	e.w.RunFor(10 * time.Second)
	require.Empty(t, e.endErrs)
	require.Equal(t, map[string]int{"A": 1}, e.delivered("T", 1))
	n, _ := e.value()
	require.Positive(t, n.svc.Stats.Duplicates)
	require.Zero(t, tx.checks+rb.checks, "resolved transactions are never checked")
}

// A crash between the durable commit and its op: the op never reaches the
// log. After the restart the producer's END is replayed and check-back asks
// again; the index shows the commit, so it is not written twice.
func TestCrashBetweenCommitAndOp(t *testing.T) {
	e := newEnv(t, 3, fastOpt)
	dropOps := true
	e.wrapPut = func(n *testNode, m *store.Message, done func(store.PutResult)) {
		if m.Topic == OpTopic && dropOps {
			return // the process dies before the op is written
		}
		n.st.Put(m, done)
	}
	tx := e.send(0, "A", commit, commit, 10*time.Millisecond)
	e.w.At(500*time.Millisecond, e.node.PowerLoss)
	e.w.At(time.Second, func() { dropOps = false; e.node.Start() })
	e.w.At(1200*time.Millisecond, func() { e.end(tx, nil, commit) })
	e.w.RunFor(10 * time.Second)
	require.Empty(t, e.endErrs)
	require.Equal(t, map[string]int{"A": 1}, e.delivered("T", 1))
	n, _ := e.value()
	require.Equal(t, int64(1), n.svc.Stats.CommitsFoundInIndex)
	require.Zero(t, tx.checks, "the replayed END resolved it before any check")
	half, _ := n.svc.Progress()
	require.Equal(t, int64(1), half)
}

// A producer that never answers: after CheckMax checks the half message
// goes to TRANS_CHECK_MAX_TIME_TOPIC and is never delivered. Rounds while
// no producer of the group is connected do not count.
func TestDiscardAfterCheckMax(t *testing.T) {
	opt := fastOpt
	opt.CheckMax = 3
	e := newEnv(t, 4, opt)
	e.noProducer = true
	tx := e.send(0, "A", unknown, unknown, 0)
	e.send(0, "B", unknown, unknown, 0)
	e.w.RunFor(20 * time.Second)
	n, _ := e.value()
	require.Zero(t, n.svc.Stats.Checks, "nobody to ask")
	require.Zero(t, n.svc.Stats.Discarded, "rounds without a producer are not counted")
	require.Positive(t, n.svc.Stats.CheckNoProducer)
	e.noProducer = false
	e.w.RunFor(30 * time.Second)
	require.Empty(t, e.delivered("T", 1))
	require.Equal(t, map[string]int{"A": 1, "B": 1}, e.delivered(CheckMaxTimeTopic, 0))
	require.Equal(t, int64(2), n.svc.Stats.Discarded)
	require.Equal(t, int64(6), n.svc.Stats.Checks)
	require.Equal(t, 3, tx.checks)
	half, _ := n.svc.Progress()
	require.Equal(t, n.st.MaxOffsetInQueue(HalfTopic, 0), half)
	// The discarded copy carries its check count.
	res := n.st.GetMessage(CheckMaxTimeTopic, 0, 0, 1, nil)
	r, err := message.Decode(res.Records[0], true)
	require.NoError(t, err)
	v, _ := message.Property(r.Properties, PropertyCheckTimes)
	require.Equal(t, "3", v)
}
