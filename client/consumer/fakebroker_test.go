package consumer_test

import (
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/client"
	"rocketsim/client/consumer"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// fakeBroker is a name server and broker in one node that knows no
// consumer offset, so the consumer must decide where to start; it records
// the first pull offset per queue and the timestamp it was asked about.
type fakeBroker struct {
	addr      string
	members   []string
	firstPull map[string]int64
	searched  int64
}

func (f *fakeBroker) Stop() {}

func newFakeBroker(host string) (*fakeBroker, runtime.NewNode) {
	f := &fakeBroker{addr: host + ":9876", firstPull: map[string]int64{}}
	return f, func(rt runtime.Runtime) (runtime.Node, error) {
		ep := remoting.NewEndpoint(rt, remoting.Options{})
		if _, err := rt.Listen(f.addr, ep.Accept); err != nil {
			return nil, err
		}
		ok := func(req *remoting.Request, ext map[string]string, body []byte) {
			resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
			for k, v := range ext {
				resp.SetExt(k, v)
			}
			resp.Body = body
			_ = req.Reply(resp)
		}
		ep.Handle(remoting.ReqGetRouteInfoByTopic, func(req *remoting.Request) {
			r := routes.TopicRoute{
				QueueDatas:  []routes.QueueData{{BrokerName: "fake", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6}},
				BrokerDatas: []routes.BrokerData{{Cluster: "c", BrokerName: "fake", Addrs: map[int64]string{0: f.addr}}},
			}
			ok(req, nil, wire.EncodeTopicRoute(r, true))
		})
		ep.Handle(remoting.ReqHeartBeat, func(req *remoting.Request) {
			var hb struct {
				ClientID string `json:"clientID"`
			}
			_ = json.Unmarshal(req.Cmd.Body, &hb)
			if len(f.members) == 0 {
				f.members = []string{hb.ClientID}
			}
			ok(req, nil, nil)
		})
		ep.Handle(remoting.ReqGetConsumerListByGroup, func(req *remoting.Request) {
			body, _ := json.Marshal(map[string][]string{"consumerIdList": f.members})
			ok(req, nil, body)
		})
		ep.Handle(remoting.ReqQueryConsumerOffset, func(req *remoting.Request) {
			_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespQueryNotFound, "not found"))
		})
		ep.Handle(remoting.ReqGetMaxOffset, func(req *remoting.Request) { ok(req, map[string]string{"offset": "7"}, nil) })
		ep.Handle(remoting.ReqSearchOffsetByTimestamp, func(req *remoting.Request) {
			f.searched, _ = req.Cmd.ExtInt64("timestamp")
			ok(req, map[string]string{"offset": "3"}, nil)
		})
		ep.Handle(remoting.ReqUpdateConsumerOffset, func(req *remoting.Request) { ok(req, nil, nil) })
		ep.Handle(remoting.ReqPullMessage, func(req *remoting.Request) {
			off, _ := req.Cmd.ExtInt64("queueOffset")
			topic := req.Cmd.Ext("topic")
			if _, seen := f.firstPull[topic]; !seen {
				f.firstPull[topic] = off
			}
			rt.AfterFunc(time.Second, func() {
				resp := remoting.NewResponse(req.Cmd, remoting.RespPullNotFound, "")
				resp.SetExt("nextBeginOffset", strconv.FormatInt(off, 10))
				resp.SetExt("minOffset", "0")
				resp.SetExt("maxOffset", strconv.FormatInt(off, 10))
				_ = req.Reply(resp)
			})
		})
		return f, nil
	}
}

func TestStartOffsetWhenGroupHasNone(t *testing.T) {
	ts := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		from consumer.ConsumeFrom
		want int64
	}{
		{consumer.ConsumeFromLastOffset, 7},
		{consumer.ConsumeFromFirstOffset, 0},
		{consumer.ConsumeFromTimestamp, 3},
	} {
		t.Run(tc.from.String(), func(t *testing.T) {
			w := simrt.New(1, simrt.Options{})
			f, nn := newFakeBroker("10.9.0.1")
			w.AddNode("fake", simrt.NodeConfig{Host: "10.9.0.1"}, nn).Start()
			cn := w.AddNode("cons", simrt.NodeConfig{Host: "10.9.0.2"}, func(rt runtime.Runtime) (runtime.Node, error) {
				c, err := consumer.New(rt, consumer.Options{Group: "g", NameServers: []string{f.addr},
					ConsumeFrom: tc.from, ConsumeTimestamp: ts})
				if err != nil {
					return nil, err
				}
				if err := c.Subscribe("T", "*", func(_ []*client.MessageExt, done func(consumer.Result)) { done(consumer.Success) }); err != nil {
					return nil, err
				}
				return nodeOf{c}, c.Start()
			})
			cn.Start()
			require.NoError(t, cn.Err())
			require.True(t, w.RunUntil(func() bool { return len(f.firstPull) == 2 }, time.Minute), "pulls %v", f.firstPull)
			require.Equal(t, tc.want, f.firstPull["T"])
			require.Equal(t, int64(0), f.firstPull["%RETRY%g"], "retry topics start at 0")
			if tc.from == consumer.ConsumeFromTimestamp {
				require.Equal(t, ts.UnixMilli(), f.searched)
			}
		})
	}
}

type nodeOf struct{ c *consumer.Consumer }

func (n nodeOf) Stop() { n.c.Shutdown(nil) }
