package transaction

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
)

func TestPrepareHalf(t *testing.T) {
	props := message.FormatProperties(map[string]string{message.PropertyTranPrepared: "true",
		PropertyProducerGroup: "g", message.PropertyDelayLevel: "3", message.PropertyUniqKey: "U"})
	require.True(t, IsHalf(props))
	require.True(t, IsHalf(message.FormatProperties(map[string]string{message.PropertyTranPrepared: "TRUE"})))
	require.False(t, IsHalf(message.FormatProperties(map[string]string{message.PropertyTranPrepared: "false"})))
	require.False(t, IsHalf(""))
	m := &store.Message{Topic: "Orders", QueueID: 3, Properties: props,
		SysFlag: message.FlagTransPrepared | message.FlagCompressed}
	PrepareHalf(m)
	require.Equal(t, HalfTopic, m.Topic)
	require.Equal(t, int32(0), m.QueueID)
	require.Equal(t, message.FlagCompressed, m.SysFlag, "transaction type reset, other bits kept")
	got := message.ParseProperties(m.Properties)
	require.Equal(t, map[string]string{message.PropertyTranPrepared: "true", PropertyProducerGroup: "g",
		message.PropertyUniqKey: "U", message.PropertyRealTopic: "Orders", message.PropertyRealQueueID: "3"}, got)
}

func TestParseEnd(t *testing.T) {
	ext := map[string]string{"producerGroup": "g", "tranStateTableOffset": "7", "commitLogOffset": "1234",
		"commitOrRollback": "8", "fromTransactionCheck": "true", "msgId": "M", "transactionId": "T"}
	r, err := ParseEnd(ext)
	require.NoError(t, err)
	require.Equal(t, EndRequest{ProducerGroup: "g", TranStateTableOffset: 7, CommitLogOffset: 1234,
		CommitOrRollback: StateCommit, FromTransactionCheck: true, MsgID: "M", TransactionID: "T"}, r)
	for k, v := range map[string]string{"producerGroup": "", "tranStateTableOffset": "x",
		"commitLogOffset": "", "commitOrRollback": "4"} {
		bad := map[string]string{}
		for kk, vv := range ext {
			bad[kk] = vv
		}
		bad[k] = v
		_, err := ParseEnd(bad)
		require.Error(t, err, "%s=%q", k, v)
	}
}

// END is checked against the half message it names (Java
// checkPrepareMessage): group, queue offset, commit log offset, and that it
// is a half message at all. A refused END changes nothing.
func TestEndValidates(t *testing.T) {
	e := newEnv(t, 5, fastOpt)
	tx := e.send(0, "A", unknown, rollback, 0)
	e.w.RunFor(100 * time.Millisecond)
	require.True(t, tx.halfOK)
	n, _ := e.value()
	var errs []error
	collect := func(err error) { errs = append(errs, err) }
	base := EndRequest{ProducerGroup: testGroup, TranStateTableOffset: tx.halfOff, CommitLogOffset: tx.halfPhy,
		CommitOrRollback: StateCommit}
	wrongGroup := base
	wrongGroup.ProducerGroup = "other"
	wrongOff := base
	wrongOff.TranStateTableOffset++
	n.svc.End(wrongGroup, collect)
	n.svc.End(wrongOff, collect)
	notHalf := base
	n.st.Put(&store.Message{Topic: "P", QueueID: 0, Body: []byte("plain"), Properties: message.FormatProperties(
		map[string]string{PropertyProducerGroup: testGroup}), BornHost: message.AddrV4(10, 0, 0, 2, 4000)},
		func(r store.PutResult) {
			require.Equal(t, store.PutOK, r.Status)
			notHalf.CommitLogOffset, notHalf.TranStateTableOffset = r.PhysicalOffset, r.QueueOffset
		})
	e.w.RunFor(100 * time.Millisecond)
	n.svc.End(notHalf, collect)
	missing := base
	missing.CommitLogOffset = 1 << 40
	n.svc.End(missing, collect)
	require.Len(t, errs, 4)
	require.ErrorIs(t, errs[0], ErrMismatch)
	require.ErrorIs(t, errs[1], ErrMismatch)
	require.ErrorIs(t, errs[2], ErrMismatch)
	require.ErrorIs(t, errs[3], ErrHalfNotFound)
	unknownEnd := base
	unknownEnd.CommitOrRollback = StateUnknown
	n.svc.End(unknownEnd, collect)
	require.Len(t, errs, 5)
	require.NoError(t, errs[4], "UNKNOWN is accepted and does nothing")
	require.Equal(t, int64(0), n.st.MaxOffsetInQueue(OpTopic, 0))
	require.Empty(t, e.delivered("T", 1))
	e.w.RunFor(10 * time.Second)
	require.Equal(t, 1, tx.checks, "still unresolved: the check-back asked")
	require.False(t, errors.Is(errs[4], ErrStopped))
}

// A producer's late END for the original half message, arriving after
// check-back re-put a copy and asked about it, resolves the transaction
// once: the copy's answer and the original's END share the UNIQ_KEY.
func TestLateEndAfterCheckCopy(t *testing.T) {
	e := newEnv(t, 6, fastOpt)
	e.checkAnswerDelay = 3 * time.Second // the check answer comes after the late END
	tx := e.send(0, "A", unknown, commit, 0)
	e.w.At(3500*time.Millisecond, func() { e.end(tx, nil, commit) }) // after the first check (t=2s... 4s)
	e.w.RunFor(20 * time.Second)
	require.Empty(t, e.endErrs)
	require.Equal(t, map[string]int{"A": 1}, e.delivered("T", 1))
	require.GreaterOrEqual(t, tx.checks, 1)
	n, _ := e.value()
	require.Positive(t, n.svc.Stats.Duplicates, "the check answer found the transaction resolved")
	half, _ := n.svc.Progress()
	require.Equal(t, n.st.MaxOffsetInQueue(HalfTopic, 0), half, "the copy passed as resolved")
}

// CHECK_IMMUNITY_TIME_IN_SECONDS holds a message's first check back
// without holding back the checks of the messages after it.
func TestCheckImmunity(t *testing.T) {
	e := newEnv(t, 7, fastOpt)
	var immune *tx
	e.w.At(0, func() {
		n, _ := e.value()
		immune = &tx{uniq: "IMM", first: unknown, onCheck: rollback}
		e.txs["IMM"] = immune
		props := message.FormatProperties(map[string]string{message.PropertyUniqKey: "IMM", message.PropertyTranPrepared: "true",
			PropertyProducerGroup: testGroup, PropertyCheckImmunity: "9"})
		m := &store.Message{Topic: "T", QueueID: 1, Body: []byte("x"), Properties: props, BornTimestamp: n.rt.Now().UnixMilli(),
			BornHost: message.AddrV4(10, 0, 0, 2, 4000)}
		PrepareHalf(m)
		n.st.Put(m, func(store.PutResult) {})
	})
	later := e.send(100*time.Millisecond, "LATER", unknown, commit, 0)
	e.w.RunFor(7 * time.Second)
	require.Zero(t, immune.checks, "checked inside its immunity")
	require.Equal(t, 1, later.checks, "held back by an immune message before it")
	require.Equal(t, map[string]int{"LATER": 1}, e.delivered("T", 1))
	e.w.RunFor(6 * time.Second)
	require.Equal(t, 1, immune.checks)
	n, _ := e.value()
	half, _ := n.svc.Progress()
	require.Equal(t, n.st.MaxOffsetInQueue(HalfTopic, 0), half)
}

// After a graceful restart the resolved transactions are known from the op
// log and the progress offsets: nothing is checked or committed again.
func TestRestartRecoversResolutions(t *testing.T) {
	e := newEnv(t, 8, Options{TimeOut: time.Second, CheckInterval: 10 * time.Second, CheckMax: 15})
	for i := 0; i < 10; i++ {
		e.send(time.Duration(i)*10*time.Millisecond, txName(i), []outcome{commit, rollback}[i%2], commit, 50*time.Millisecond)
	}
	e.w.RunFor(time.Second)
	e.node.Stop()
	e.node.Start()
	e.w.RunFor(30 * time.Second)
	for _, tx := range e.txs {
		require.Zero(t, tx.checks)
	}
	require.Len(t, e.delivered("T", 1), 5)
	n, _ := e.value()
	half, op := n.svc.Progress()
	require.Equal(t, int64(10), half)
	require.Equal(t, int64(10), op)
}
