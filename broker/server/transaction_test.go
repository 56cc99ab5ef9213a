package server_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/store/message"
	"rocketsim/remoting"
)

func (e *env) sendHalf(body string) *remoting.Command {
	e.t.Helper()
	return e.invoke(remoting.ReqSendMessage, map[string]string{
		"producerGroup": "tpg", "topic": "TX", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": "1", "sysFlag": "4", "bornTimestamp": "1700000000000", "flag": "0",
		"properties": props("TRAN_MSG", "true", "PGROUP", "tpg", "UNIQ_KEY", "U-"+body),
	}, []byte(body))
}

func (e *env) endTxn(half *remoting.Command, state int) *remoting.Command {
	e.t.Helper()
	_, phy, err := message.ParseID(half.Ext("msgId"))
	require.NoError(e.t, err)
	return e.invoke(remoting.ReqEndTransaction, map[string]string{
		"producerGroup": "tpg", "tranStateTableOffset": half.Ext("queueOffset"),
		"commitLogOffset": strconv.FormatInt(phy, 10), "commitOrRollback": strconv.Itoa(state),
		"fromTransactionCheck": "false", "msgId": "x", "transactionId": "x",
	}, nil)
}

func visible(e *env) []string {
	var out []string
	res := e.b().Store().GetMessage("TX", 1, 0, 32, nil)
	for _, r := range res.Records {
		rec, err := message.Decode(r, true)
		require.NoError(e.t, err)
		out = append(out, string(rec.Body))
	}
	return out
}

func TestTransactionCommitRollbackAndCheckBack(t *testing.T) {
	e := newEnv(t, 24, map[string]string{"transactionTimeOut": "1000", "transactionCheckInterval": "2000"})
	hb, err := json.Marshal(map[string]any{"clientID": "p1", "producerDataSet": []map[string]any{{"groupName": "tpg"}}})
	require.NoError(t, err)
	require.Equal(t, remoting.RespSuccess, e.invoke(remoting.ReqHeartBeat, nil, hb).Code)

	commit := e.sendHalf("commit-me")
	require.Equal(t, remoting.RespSuccess, commit.Code, code(commit))
	require.Equal(t, "1", commit.Ext("queueId"), "the response names the queue the producer chose")
	rollback := e.sendHalf("roll-me-back")
	require.Equal(t, remoting.RespSuccess, rollback.Code, code(rollback))
	require.Empty(t, visible(e), "half messages are invisible")

	r := e.endTxn(commit, 8)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	r = e.endTxn(rollback, 12)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, []string{"commit-me"}, visible(e))
	r = e.endTxn(commit, 8) // a repeated commit writes nothing
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, []string{"commit-me"}, visible(e))

	// A half message nobody ends is checked back with its producer.
	before := len(e.c().requests)
	pending := e.sendHalf("ask-me")
	require.Equal(t, remoting.RespSuccess, pending.Code)
	e.w.RunFor(6 * time.Second)
	var check *remoting.Command
	for _, cmd := range e.c().requests[before:] {
		if cmd.Code == remoting.ReqCheckTransactionState {
			check = cmd
			break
		}
	}
	require.NotNil(t, check, "CHECK_TRANSACTION_STATE sent to the producer")
	require.Equal(t, "U-ask-me", check.Ext("msgId"))
	rec, err := message.Decode(check.Body, true)
	require.NoError(t, err)
	require.Equal(t, "TX", rec.Topic, "the body carries the real topic")
	require.Equal(t, "ask-me", string(rec.Body))
	// The producer answers commit, as the Go client does, from the check's header.
	r = e.invoke(remoting.ReqEndTransaction, map[string]string{
		"producerGroup": "tpg", "tranStateTableOffset": check.Ext("tranStateTableOffset"),
		"commitLogOffset": check.Ext("commitLogOffset"), "commitOrRollback": "8",
		"fromTransactionCheck": "true", "msgId": check.Ext("msgId"), "transactionId": check.Ext("transactionId"),
	}, nil)
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	require.Equal(t, []string{"commit-me", "ask-me"}, visible(e))

	// rejectTransactionMessage refuses half messages.
	e2 := newEnv(t, 25, map[string]string{"rejectTransactionMessage": "true"})
	r = e2.sendHalf("no")
	require.Equal(t, remoting.RespNoPermission, r.Code, code(r))
}
