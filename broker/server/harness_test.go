package server_test

import (
	"encoding/json"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	"rocketsim/broker/server"
	"rocketsim/broker/store/message"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

const (
	nsHost     = "10.0.0.1"
	brokerHost = "10.0.0.2"
	clientHost = "10.0.0.3"
	brokerAddr = brokerHost + ":10911"
	nsAddr     = nsHost + ":9876"
)

// rawClient is a client node that speaks remoting by hand, so each test
// controls every header a request carries.
type rawClient struct {
	rt runtime.Runtime
	ep *remoting.Endpoint
	// requests are broker-to-client requests received (NOTIFY_CONSUMER_IDS_CHANGED ...).
	requests []*remoting.Command
}

func (c *rawClient) Stop() {}

// env is a simulated name server, broker and raw client.
type env struct {
	t      *testing.T
	w      *simrt.World
	ns     *simrt.Node
	broker *simrt.Node
	cli    *simrt.Node
}

// brokerConfig is the broker's test configuration; mod may change keys.
func brokerConfig(t *testing.T, kv map[string]string) config.Config {
	base := map[string]string{
		"brokerClusterName":          "DefaultCluster",
		"brokerName":                 "broker-a",
		"namesrvAddr":                nsAddr,
		"brokerIP1":                  brokerHost,
		"listenPort":                 "10911",
		"storePathRootDir":           "store",
		"flushDiskType":              "SYNC_FLUSH",
		"autoCreateTopicEnable":      "true",
		"defaultTopicQueueNums":      "4",
		"enablePropertyFilter":       "true",
		"mappedFileSizeCommitLog":    strconv.Itoa(16 << 20),
		"mappedFileSizeConsumeQueue": strconv.Itoa(20 * 1000),
	}
	for k, v := range kv {
		base[k] = v
	}
	cfg, _, err := config.LoadMap(base, "test", config.Host{Name: "broker-a", IP: brokerHost})
	require.NoError(t, err)
	return *cfg
}

func newEnv(t *testing.T, seed uint64, kv map[string]string) *env {
	e := &env{t: t, w: simrt.New(seed, simrt.Options{})}
	nscfg := nsserver.DefaultConfig()
	nscfg.BindAddress = nsHost
	e.ns = e.w.AddNode("namesrv", simrt.NodeConfig{Host: nsHost}, nsserver.New(nscfg))
	e.broker = e.w.AddNode("broker-a", simrt.NodeConfig{Host: brokerHost}, server.New(brokerConfig(t, kv)))
	e.cli = e.w.AddNode("client", simrt.NodeConfig{Host: clientHost}, func(rt runtime.Runtime) (runtime.Node, error) {
		c := &rawClient{rt: rt}
		c.ep = remoting.NewEndpoint(rt, remoting.Options{})
		for _, code := range []int16{remoting.ReqNotifyConsumerIdsChanged, remoting.ReqResetConsumerClientOffset, remoting.ReqCheckTransactionState} {
			c.ep.Handle(code, func(req *remoting.Request) { c.requests = append(c.requests, req.Cmd) })
		}
		return c, nil
	})
	e.ns.Start()
	e.broker.Start()
	e.cli.Start()
	require.NoError(t, e.broker.Err())
	e.w.RunFor(time.Second)
	return e
}

func (e *env) b() *server.Broker { return e.broker.Value().(*server.Broker) }
func (e *env) c() *rawClient     { return e.cli.Value().(*rawClient) }

// call is an invocation in flight.
type call struct {
	resp *remoting.Command
	err  error
	done bool
}

// start sends a request from the raw client to addr without waiting.
func (e *env) start(addr string, cmd *remoting.Command, timeout time.Duration) *call {
	cl := &call{}
	c := e.c()
	c.rt.Post(func() {
		if err := c.ep.Invoke(c.ep.ConnTo(addr), cmd, timeout, func(resp *remoting.Command, err error) {
			cl.resp, cl.err, cl.done = resp, err, true
		}); err != nil {
			cl.err, cl.done = err, true
		}
	})
	return cl
}

// invoke sends a request to the broker and runs the world until it is
// answered.
func (e *env) invoke(code int16, ext map[string]string, body []byte) *remoting.Command {
	e.t.Helper()
	cmd := remoting.NewRequest(code, ext)
	cmd.Body = body
	cl := e.start(brokerAddr, cmd, 40*time.Second)
	require.True(e.t, e.w.RunUntil(func() bool { return cl.done }, 45*time.Second), "no answer to %s", remoting.RequestName(code))
	require.NoError(e.t, cl.err)
	return cl.resp
}

func props(kv ...string) string {
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return message.FormatProperties(m)
}

// send sends one message with the v1 header, as the Go client does.
func (e *env) send(topic string, queueID int, body string, kv ...string) *remoting.Command {
	e.t.Helper()
	return e.invoke(remoting.ReqSendMessage, map[string]string{
		"producerGroup": "pg", "topic": topic, "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": strconv.Itoa(queueID), "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "0",
		"properties": props(kv...), "reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0",
	}, []byte(body))
}

// heartbeat registers the raw client as a consumer of group subscribed to
// topic with expr (TAG) and as a producer of "pg".
func (e *env) heartbeat(clientID, group, topic, expr, typ string) *remoting.Command {
	e.t.Helper()
	sub := map[string]any{"topic": topic, "subString": expr, "tagsSet": []string{}, "codeSet": []string{},
		"subVersion": 1, "expressionType": typ, "classFilterMode": false}
	hb := map[string]any{
		"clientID":        clientID,
		"producerDataSet": []map[string]any{{"groupName": "pg"}},
		"consumerDataSet": []map[string]any{{
			"groupName": group, "consumeType": "CONSUME_PASSIVELY", "messageModel": "CLUSTERING",
			"consumeFromWhere": "CONSUME_FROM_LAST_OFFSET", "unitMode": false,
			"subscriptionDataSet": []any{sub},
		}},
	}
	body, err := json.Marshal(hb)
	require.NoError(e.t, err)
	return e.invoke(remoting.ReqHeartBeat, nil, body)
}

func pullExt(group, topic string, queueID int, offset int64, sysFlag int, suspend time.Duration) map[string]string {
	return map[string]string{
		"consumerGroup": group, "topic": topic, "queueId": strconv.Itoa(queueID),
		"queueOffset": strconv.FormatInt(offset, 10), "maxMsgNums": "32", "sysFlag": strconv.Itoa(sysFlag),
		"commitOffset": "0", "suspendTimeoutMillis": strconv.FormatInt(suspend.Milliseconds(), 10),
		"subscription": "", "subVersion": "0", "expressionType": "TAG",
	}
}

// decodeRecords splits a pull body into records.
func decodeRecords(t *testing.T, body []byte) []message.Record {
	t.Helper()
	var out []message.Record
	for len(body) > 0 {
		r, err := message.Decode(body, true)
		require.NoError(t, err)
		out = append(out, r)
		body = body[r.StoreSize:]
	}
	return out
}

func code(c *remoting.Command) string {
	return fmt.Sprintf("%s (%d) %q", remoting.ResponseName(c.Code), c.Code, c.Remark)
}

// invokeNS sends a request from the raw client to the name server.
func (e *env) invokeNS(code int16, ext map[string]string) *remoting.Command {
	e.t.Helper()
	cl := e.start(nsAddr, remoting.NewRequest(code, ext), 10*time.Second)
	require.True(e.t, e.w.RunUntil(func() bool { return cl.done }, 15*time.Second))
	require.NoError(e.t, cl.err)
	return cl.resp
}
