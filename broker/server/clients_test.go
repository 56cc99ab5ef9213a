package server_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
	"rocketsim/runtime"
)

// invokeOn sends a request on a given connection of the raw client.
func (e *env) invokeOn(conn func(c *rawClient) runtime.Conn, code int16, ext map[string]string, body []byte) *remoting.Command {
	e.t.Helper()
	cl := &call{}
	c := e.c()
	c.rt.Post(func() {
		cmd := remoting.NewRequest(code, ext)
		cmd.Body = body
		if err := c.ep.Invoke(conn(c), cmd, 10*time.Second, func(resp *remoting.Command, err error) {
			cl.resp, cl.err, cl.done = resp, err, true
		}); err != nil {
			cl.err, cl.done = err, true
		}
	})
	require.True(e.t, e.w.RunUntil(func() bool { return cl.done }, 15*time.Second))
	require.NoError(e.t, cl.err)
	return cl.resp
}

func heartbeatBody(t *testing.T, clientID, group, topic string) []byte {
	body, err := json.Marshal(map[string]any{
		"clientID": clientID,
		"consumerDataSet": []map[string]any{{
			"groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
			"consumeFromWhere": "CONSUME_FROM_LAST_OFFSET",
			"subscriptionDataSet": []any{map[string]any{"topic": topic, "subString": "*", "subVersion": 1,
				"expressionType": "TAG", "codeSet": []string{}, "tagsSet": []string{}}},
		}},
	})
	require.NoError(t, err)
	return body
}

func consumerIDs(t *testing.T, e *env, group string) []string {
	r := e.invoke(remoting.ReqGetConsumerListByGroup, map[string]string{"consumerGroup": group}, nil)
	if r.Code != remoting.RespSuccess {
		return nil
	}
	var body struct {
		ConsumerIDList []string `json:"consumerIdList"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	return body.ConsumerIDList
}

func TestHeartbeatMembershipNotifyAndClose(t *testing.T) {
	e := newEnv(t, 7, nil)
	require.Equal(t, remoting.RespSuccess, e.send("HB", 0, "x").Code) // creates the topic
	var second runtime.Conn
	main := func(c *rawClient) runtime.Conn { return c.ep.ConnTo(brokerAddr) }
	other := func(c *rawClient) runtime.Conn {
		if second == nil {
			second = c.ep.Dial(brokerAddr)
		}
		return second
	}
	r := e.invokeOn(main, remoting.ReqHeartBeat, nil, heartbeatBody(t, "c1", "g", "HB"))
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	_, ok := e.b().Topics().Get("%RETRY%g")
	require.True(t, ok, "the group's retry topic is created on heartbeat")
	require.Equal(t, []string{"c1"}, consumerIDs(t, e, "g"))
	notified := len(e.c().requests)

	r = e.invokeOn(other, remoting.ReqHeartBeat, nil, heartbeatBody(t, "c2", "g", "HB"))
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	e.w.RunFor(100 * time.Millisecond)
	require.Equal(t, []string{"c1", "c2"}, consumerIDs(t, e, "g"))
	got := e.c().requests[notified:]
	require.Len(t, got, 2, "both members hear of the new one")
	for _, cmd := range got {
		require.Equal(t, remoting.ReqNotifyConsumerIdsChanged, cmd.Code)
		require.Equal(t, "g", cmd.Ext("consumerGroup"))
	}
	// A repeated heartbeat changes nothing and notifies nobody.
	notified = len(e.c().requests)
	e.invokeOn(other, remoting.ReqHeartBeat, nil, heartbeatBody(t, "c2", "g", "HB"))
	e.w.RunFor(100 * time.Millisecond)
	require.Len(t, e.c().requests, notified)

	// Closing c2's connection removes it at once and tells c1.
	c := e.c()
	c.rt.Post(func() { _ = second.Close() })
	e.w.RunFor(time.Second)
	require.Equal(t, []string{"c1"}, consumerIDs(t, e, "g"))
	require.Len(t, e.c().requests, notified+1)
}

func TestIdleClientExpires(t *testing.T) {
	e := newEnv(t, 8, nil)
	require.Equal(t, remoting.RespSuccess, e.heartbeat("c1", "g", "HB", "*", "TAG").Code)
	require.Equal(t, []string{"c1"}, consumerIDs(t, e, "g")) // this call keeps the connection busy, not alive
	e.w.RunFor(100 * time.Second)
	_, ok := e.b().Clients().Consumer("g")
	require.True(t, ok, "still within 120 s of its heartbeat")
	e.w.RunFor(35 * time.Second)
	_, ok = e.b().Clients().Consumer("g")
	require.False(t, ok, "no heartbeat for 120 s: expired (scan every 10 s)")
	require.Nil(t, consumerIDs(t, e, "g"))
}

func lockBody(t *testing.T, client string, queues ...int) []byte {
	var mqs []map[string]any
	for _, q := range queues {
		mqs = append(mqs, map[string]any{"topic": "OT", "brokerName": "broker-a", "queueId": q})
	}
	b, err := json.Marshal(map[string]any{"consumerGroup": "og", "clientId": client, "mqSet": mqs})
	require.NoError(t, err)
	return b
}

func locked(t *testing.T, r *remoting.Command) []int {
	require.Equal(t, remoting.RespSuccess, r.Code, code(r))
	var body struct {
		LockOKMQSet []struct {
			Topic      string `json:"topic"`
			BrokerName string `json:"brokerName"`
			QueueID    int    `json:"queueId"`
		} `json:"lockOKMQSet"`
	}
	require.NoError(t, json.Unmarshal(r.Body, &body))
	out := []int{}
	for _, q := range body.LockOKMQSet {
		out = append(out, q.QueueID)
	}
	return out
}

func TestQueueLocksExpireAndRenew(t *testing.T) {
	e := newEnv(t, 9, nil)
	require.Equal(t, []int{0, 1}, locked(t, e.invoke(remoting.ReqLockBatchMQ, nil, lockBody(t, "c1", 0, 1))))
	require.Equal(t, []int{2}, locked(t, e.invoke(remoting.ReqLockBatchMQ, nil, lockBody(t, "c2", 0, 1, 2))))
	e.w.RunFor(40 * time.Second)
	require.Equal(t, []int{0}, locked(t, e.invoke(remoting.ReqLockBatchMQ, nil, lockBody(t, "c1", 0)))) // renews q0 only
	e.w.RunFor(25 * time.Second)
	// 65 s after c1 took q1 without renewing it: expired, c2 takes it; q0 was renewed 25 s ago.
	require.Equal(t, []int{1, 2}, locked(t, e.invoke(remoting.ReqLockBatchMQ, nil, lockBody(t, "c2", 0, 1, 2))))
	// Unlock releases only the caller's own queues.
	require.Equal(t, remoting.RespSuccess, e.invoke(remoting.ReqUnlockBatchMQ, nil, lockBody(t, "c2", 0)).Code)
	require.Equal(t, []int{}, locked(t, e.invoke(remoting.ReqLockBatchMQ, nil, lockBody(t, "c3", 0))))
	require.Equal(t, remoting.RespSuccess, e.invoke(remoting.ReqUnlockBatchMQ, nil, lockBody(t, "c1", 0)).Code)
	require.Equal(t, []int{0}, locked(t, e.invoke(remoting.ReqLockBatchMQ, nil, lockBody(t, "c3", 0))))
}
