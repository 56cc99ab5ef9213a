package mq

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"rocketsim/broker/store/message"
	"rocketsim/jepsen/history"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// target is one queue of one broker: of the spec's topic, or, when dlqOf
// is set, of that group's dead-letter topic. A dead-letter reader records
// each message as dead-lettered by group dlqOf, and counts a queue whose
// topic does not exist (nothing was ever dead-lettered on that broker) as
// caught up.
type target struct {
	broker, addr string
	queue        int
	dlqOf        string
}

// producerGroup is the producers' group name on the wire.
const producerGroup = "sim-producer"

// rawProducer sends numbered messages round-robin over every broker's queues
// with SEND_MESSAGE and the v1 header, as the Go client does, and records
// each send. A send's key is unique across incarnations (the node name, a
// session drawn from the node's seeded stream, and a counter), so a restarted
// producer never reuses one.
type rawProducer struct {
	rt       runtime.Runtime
	spec     Spec
	targets  []target
	h        *recorder
	ep       *remoting.Endpoint
	session  uint64
	n        int
	inflight int
	tick     runtime.Timer
	stopped  bool
}

func newProducer(spec Spec, targets []target, h *recorder) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) {
		p := &rawProducer{rt: rt, spec: spec, targets: targets, h: h, session: rt.Rand().Uint64()}
		p.ep = remoting.NewEndpoint(rt, remoting.Options{})
		p.tick = rt.AfterFunc(p.spec.gap(p.rt), p.onTick)
		return p, nil
	}
}

// Stop closes the endpoint: sends in flight complete as unknown.
func (p *rawProducer) Stop() {
	p.stopped = true
	p.tick.Stop()
	p.ep.Close()
}

// gap is the next wait between sends: uniform in [Interval/2, 3*Interval/2)
// from the node's seeded stream.
func (s Spec) gap(rt runtime.Runtime) time.Duration {
	return s.Interval/2 + time.Duration(rt.Rand().Int64N(int64(s.Interval)))
}

// tag is message n's tag ("" for none).
func (s Spec) tag(n int) string {
	if len(s.Tags) == 0 {
		return ""
	}
	return s.Tags[n%len(s.Tags)]
}

func (p *rawProducer) onTick() {
	if p.stopped {
		return
	}
	p.tick = p.rt.AfterFunc(p.spec.gap(p.rt), p.onTick)
	if p.inflight < p.spec.Window {
		p.send()
	}
}

func (p *rawProducer) send() {
	n := p.n
	p.n++
	t := p.targets[n%len(p.targets)]
	key := fmt.Sprintf("%s-%016x-%d", p.rt.Name(), p.session, n)
	tags := p.spec.tag(n)
	props := map[string]string{message.PropertyKeys: key}
	if tags != "" {
		props[message.PropertyTags] = tags
	}
	body := make([]byte, p.spec.Body)
	copy(body, key)
	now := p.rt.Now()
	req := remoting.NewRequest(remoting.ReqSendMessage, map[string]string{
		"producerGroup": producerGroup, "topic": p.spec.Topic, "defaultTopic": "TBW102",
		"defaultTopicQueueNums": strconv.Itoa(p.spec.Queues), "queueId": strconv.Itoa(t.queue),
		"sysFlag": "0", "bornTimestamp": strconv.FormatInt(now.UnixMilli(), 10), "flag": "0",
		"properties": message.FormatProperties(props), "reconsumeTimes": "0",
		"unitMode": "false", "batch": "false", "maxReconsumeTimes": "0",
	})
	req.Body = body
	op := p.h.invoke(p.rt.Name(), history.Op{
		F: history.FSend, Time: now.UnixNano(), Topic: p.spec.Topic,
		Queue: &history.Queue{Broker: t.broker, ID: t.queue}, Key: key,
		BodyDigest: history.Digest(body), Tags: tags,
	})
	conn := p.ep.ConnTo(t.addr)
	err := p.ep.Invoke(conn, req, p.spec.Timeout, func(resp *remoting.Command, err error) {
		p.inflight--
		p.done(op, conn, resp, err)
	})
	if err != nil {
		// Never left the client: the broker cannot have stored it.
		p.h.complete(op, history.Fail, p.rt.Now(), func(o *history.Op) { o.Error = err.Error() })
		return
	}
	p.inflight++
}

// done records a send's outcome: SUCCESS is ok; a transport error or a
// status under which the message may be stored (flush or replication
// timeouts) is unknown; any other answer is a refusal, a definite failure.
func (p *rawProducer) done(op pending, conn runtime.Conn, resp *remoting.Command, err error) {
	now := p.rt.Now()
	if err != nil {
		if errors.Is(err, remoting.ErrTimeout) && !p.stopped {
			// Frames on a connection arrive in order or not at all, so an
			// overdue answer means the connection is stalled: drop it, and
			// the next send dials afresh.
			p.rt.Log().Info("mq producer: send timed out; closing the connection", slog.Any("err", err))
			conn.Close()
		}
		p.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = err.Error() })
		return
	}
	switch resp.Code {
	case remoting.RespSuccess:
		off, perr := strconv.ParseInt(resp.Ext("queueOffset"), 10, 64)
		if perr != nil {
			p.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = "SUCCESS without a queueOffset" })
			return
		}
		p.h.complete(op, history.OK, now, func(o *history.Op) {
			o.Offset = history.Int64(off)
			o.MsgID = resp.Ext("msgId")
		})
	case remoting.RespFlushDiskTimeout, remoting.RespSlaveNotAvailable, remoting.RespFlushSlaveTimeout:
		p.h.complete(op, history.Info, now, func(o *history.Op) { o.Error = remoting.ResponseName(resp.Code) })
	default:
		p.h.complete(op, history.Fail, now, func(o *history.Op) {
			o.Error = fmt.Sprintf("%s: %s", remoting.ResponseName(resp.Code), resp.Remark)
		})
	}
}
