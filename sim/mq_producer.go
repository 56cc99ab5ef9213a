package main

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/broker/store/message"
	"rocketsim/jepsen/history"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/scenario"
)

// mqTarget is a broker a client talks to.
type mqTarget struct {
	name, addr string
}

// mqProducer sends numbered messages round-robin over the writable queues
// of the topic's route (from the name server) with RocketMQ's SEND_MESSAGE,
// as the Go client does (v1 header), and records each send in the history.
// It uses only its runtime.
type mqProducer struct {
	rt       runtime.Runtime
	p        scenario.MQParams
	ep       *remoting.Endpoint
	route    *mqRouter
	h        *mqHistory
	session  uint64
	n        int
	inflight int
	tick     runtime.Timer
	stopped  bool
}

// mqProducerGroup is the producers' group name.
const mqProducerGroup = "sim-producer"

func newMQProducer(p scenario.MQParams, namesrv string, h *mqHistory) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		pr := &mqProducer{rt: rt, p: p, h: h, session: rt.Rand().Uint64()}
		pr.ep = remoting.NewEndpoint(rt, remoting.Options{})
		pr.route = newMQRouter(rt, pr.ep, namesrv, p.Topic, p.Queues, true, p.Timeout, nil)
		pr.tick = rt.AfterFunc(p.Interval, pr.onTick)
		return pr, nil
	}
}

// Stop closes the endpoint: sends in flight complete as unknown.
func (pr *mqProducer) Stop() {
	pr.stopped = true
	pr.tick.Stop()
	pr.route.stop()
	pr.ep.Close()
}

func (pr *mqProducer) onTick() {
	if pr.stopped {
		return
	}
	pr.tick = pr.rt.AfterFunc(pr.p.Interval, pr.onTick)
	// Without a route there is nowhere to send, as a real client's
	// "No route info of this topic": it tries again on the next tick.
	if pr.inflight < pr.p.Window && len(pr.route.write) > 0 {
		pr.send()
	}
}

func (pr *mqProducer) send() {
	n := pr.n
	pr.n++
	ref := pr.route.write[n%len(pr.route.write)]
	queue, b := ref.id, ref.broker
	key := fmt.Sprintf("%s-%016x-%d", pr.rt.Name(), pr.session, n)
	body := make([]byte, pr.p.Body)
	copy(body, key)
	now := pr.rt.Now()
	req := remoting.NewRequest(remoting.ReqSendMessage, map[string]string{
		"producerGroup": mqProducerGroup, "topic": pr.p.Topic, "defaultTopic": "TBW102",
		"defaultTopicQueueNums": strconv.Itoa(pr.p.Queues), "queueId": strconv.Itoa(queue),
		"sysFlag": "0", "bornTimestamp": strconv.FormatInt(now.UnixMilli(), 10), "flag": "0",
		"properties":     message.FormatProperties(map[string]string{message.PropertyKeys: key}),
		"reconsumeTimes": "0", "unitMode": "false", "maxReconsumeTimes": "0",
	})
	req.Body = body
	op := pr.h.invoke(pr.rt.Name(), history.Op{
		F: history.FSend, Time: now.UnixNano(), Topic: pr.p.Topic,
		Queue: &history.Queue{Broker: b.name, ID: queue}, Key: key, BodyDigest: digest(body),
	})
	conn := pr.ep.ConnTo(b.addr)
	err := pr.ep.Invoke(conn, req, pr.p.Timeout, func(resp *remoting.Command, err error) {
		pr.inflight--
		pr.done(op, conn, resp, err)
	})
	if err != nil {
		// Not sent at all: the broker cannot have stored it.
		pr.h.complete(op, history.Fail, pr.rt.Now(), func(o *history.Op) { o.Error = err.Error() })
		return
	}
	pr.inflight++
}

// done records a send's outcome. Only SUCCESS is ok; the statuses where the
// message may be stored (flush or replication timeouts) and every transport
// failure are unknown; any other answer is a refusal, a definite failure.
func (pr *mqProducer) done(op mqOp, conn runtime.Conn, resp *remoting.Command, err error) {
	now := pr.rt.Now()
	if err != nil {
		if errors.Is(err, remoting.ErrTimeout) && !pr.stopped {
			// Frames on a connection arrive in order or not at all: one
			// overdue answer means the connection is stalled. Drop it so
			// the next send dials afresh.
			pr.rt.Log().Info("mq producer: send timed out, closing the connection", slog.Any("err", err))
			conn.Close()
		}
		pr.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = err.Error() })
		return
	}
	switch resp.Code {
	case remoting.RespSuccess:
		off, perr := strconv.ParseInt(resp.Ext("queueOffset"), 10, 64)
		if perr != nil {
			pr.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = "SUCCESS without a queueOffset" })
			return
		}
		pr.h.complete(op, history.OK, now, func(o *history.Op) { o.Offset = history.Int64(off); o.MsgID = resp.Ext("msgId") })
	case remoting.RespFlushDiskTimeout, remoting.RespSlaveNotAvailable, remoting.RespFlushSlaveTimeout:
		pr.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = remoting.ResponseName(resp.Code) })
	default:
		pr.h.complete(op, history.Fail, now, func(o *history.Op) {
			o.Error = fmt.Sprintf("%s: %s", remoting.ResponseName(resp.Code), resp.Remark)
		})
	}
}
