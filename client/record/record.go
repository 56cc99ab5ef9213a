// Package record writes what our clients observe as a history
// (jepsen/history) for the checkers: sends with their outcome, every message
// handed to a consumer's handler and the handler's verdict. It follows the
// history package's recording guide, so a simulated or real run with our
// clients is judged exactly like one with the official clients.
//
// Times are the client's own wall clock (runtime.Clock.Now); the simulator
// may add true time through SimTime.
package record

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"rocketsim/client"
	"rocketsim/client/consumer"
	"rocketsim/client/producer"
	"rocketsim/jepsen/history"
	"rocketsim/runtime"
)

// SlotsMax bounds the process slots of one recorder: sends in flight at once.
// Past it a send is refused rather than recorded ambiguously.
const SlotsMax = 1 << 16

// ErrTooManyInFlight is returned when SlotsMax sends are in flight.
var ErrTooManyInFlight = errors.New("record: too many sends in flight")

// Recorder records one client's events. Use it on the client's loop only.
type Recorder struct {
	rt   runtime.Runtime
	h    *history.Recorder
	name string
	// SimTime, when set, stamps events with the simulator's true time.
	SimTime func() time.Duration
	free    []int
	slots   int
}

// New records the events of the client called name into h.
func New(rt runtime.Runtime, h *history.Recorder, name string) *Recorder {
	return &Recorder{rt: rt, h: h, name: name}
}

func (r *Recorder) stamp(op *history.Op) {
	op.Time = r.rt.Now().UnixNano()
	if r.SimTime != nil {
		op.SimTime = int64(r.SimTime())
	}
}

// slot returns a free process slot: one in-flight operation per process.
func (r *Recorder) slot() (int, bool) {
	if n := len(r.free); n > 0 {
		s := r.free[n-1]
		r.free = r.free[:n-1]
		return s, true
	}
	if r.slots >= SlotsMax {
		return 0, false
	}
	r.slots++
	return r.slots, true
}

// Key is the message's first key, which checkers follow it by.
func Key(m *client.Message) string {
	k, _, _ := strings.Cut(m.Property(client.PropertyKeys), " ")
	return k
}

func sendOp(m *client.Message, process string) history.Op {
	op := history.Op{
		Process: process, Type: history.Invoke, F: history.FSend,
		Topic: m.Topic, Key: Key(m), BodyDigest: history.Digest(m.Body), Tags: m.Tag(),
		ShardingKey: m.ShardingKey(),
	}
	op.DelayLevel, _ = strconv.Atoi(m.Property(client.PropertyDelayLevel))
	return op
}

// Send sends msg with p (through sel, or p's default when nil) and records
// the invoke and its completion: ok with the offset on SEND_OK, info when
// the message may have been stored, fail when it certainly was not.
func (r *Recorder) Send(p *producer.Producer, msg *client.Message, sel producer.Selector, done func(*producer.SendResult, error)) error {
	s, ok := r.slot()
	if !ok {
		return ErrTooManyInFlight
	}
	op := sendOp(msg, r.name+"/"+itoaSlot(s))
	r.stamp(&op)
	inv := r.h.Invoke(op)
	complete := func(res *producer.SendResult, err error) {
		r.complete(inv, res, err)
		r.free = append(r.free, s)
		if done != nil {
			done(res, err)
		}
	}
	if sel != nil {
		p.SendSelect(msg, sel, complete)
	} else {
		p.Send(msg, complete)
	}
	return nil
}

// Handler wraps h so that every message handed to it is recorded as a
// receive and its verdict as an ack, for group. Broadcasting instances
// should use distinct recorder names: the instance is the process's part
// before "/".
func (r *Recorder) Handler(group string, h consumer.Handler) consumer.Handler {
	process := r.name + "/consumer"
	return func(msgs []*client.MessageExt, done func(consumer.Result)) {
		for _, m := range msgs {
			op := history.Op{
				Process: process, Type: history.OK, F: history.FReceive, Group: group,
				Topic: m.Topic, Queue: &history.Queue{Broker: m.BrokerName, ID: m.QueueID},
				Offset: history.Int64(m.QueueOffset), MsgID: m.MsgID, Key: Key(&m.Message),
				BodyDigest: history.Digest(m.Body), Reconsume: int(m.ReconsumeTimes),
				Tags: m.Tag(), ShardingKey: m.ShardingKey(),
			}
			r.stamp(&op)
			r.h.Add(op)
		}
		h(msgs, func(res consumer.Result) {
			typ := history.OK
			if res != consumer.Success {
				typ = history.Fail
			}
			for _, m := range msgs {
				op := history.Op{Process: process, Type: typ, F: history.FAck, Group: group,
					Topic: m.Topic, MsgID: m.MsgID, Key: Key(&m.Message), Reconsume: int(m.ReconsumeTimes)}
				r.stamp(&op)
				r.h.Add(op)
			}
			done(res)
		})
	}
}

func itoaSlot(s int) string { return strconv.Itoa(s) }

// complete records a send's completion: ok with the offset on SEND_OK,
// info when the message may have been stored, fail when it was not.
func (r *Recorder) complete(inv int64, res *producer.SendResult, err error) {
	typ := history.OK
	switch {
	case err != nil && errors.Is(err, producer.ErrUncertain):
		typ = history.Info
	case err != nil:
		typ = history.Fail
	case res.Status != producer.SendOK:
		typ = history.Info
	}
	var c history.Op
	r.stamp(&c)
	r.h.Complete(inv, typ, c.Time, func(o *history.Op) {
		o.SimTime = c.SimTime
		if err != nil {
			o.Error = err.Error()
			return
		}
		o.MsgID = res.MsgID
		o.Status = res.Status.String()
		o.Queue = &history.Queue{Broker: res.Queue.BrokerName, ID: res.Queue.QueueID}
		if res.Status == producer.SendOK {
			o.Offset = history.Int64(res.QueueOffset)
		}
	})
}

// DLQHandler is a handler for a reader of %DLQ%group: it records each
// message found as a dlq event of group and accepts it.
func (r *Recorder) DLQHandler(group string) consumer.Handler {
	process := r.name + "/dlq"
	return func(msgs []*client.MessageExt, done func(consumer.Result)) {
		for _, m := range msgs {
			op := history.Op{Process: process, Type: history.OK, F: history.FDLQ, Group: group,
				Topic: m.Property(client.PropertyRetryTopic), MsgID: m.MsgID, Key: Key(&m.Message),
				BodyDigest: history.Digest(m.Body), Reconsume: int(m.ReconsumeTimes)}
			r.stamp(&op)
			r.h.Add(op)
		}
		done(consumer.Success)
	}
}
