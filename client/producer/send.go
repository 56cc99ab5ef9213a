package producer

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"

	"rocketsim/broker/store/message"
	"rocketsim/client"
	"rocketsim/client/route"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

var (
	// ErrBadMessage: the message cannot be sent as it is (no topic, empty
	// or too large body, a batch mixing topics or carrying a delay).
	ErrBadMessage = errors.New("bad message")
	// ErrSendTimeout: the send did not finish within SendTimeout, retries
	// included.
	ErrSendTimeout = errors.New("send timed out")
	// ErrNoQueue: the route has no writable queue with a master.
	ErrNoQueue = errors.New("no writable queue")
	// ErrUncertain wraps a send error when some attempt's request reached
	// the wire and got no answer (timeout, connection lost): the broker may
	// have stored the message. Without it, a failed send certainly stored
	// nothing. Test with errors.Is.
	ErrUncertain = errors.New("outcome unknown: the message may have been stored")
)

// propertiesMax is Java's bound on the properties string (its length is an
// int16 in the stored record).
const propertiesMax = 32767

// sendOp is one message (or batch) on its way, across its attempts.
type sendOp struct {
	p        *Producer
	msg      *client.Message
	batch    []*client.Message
	body     []byte
	sysFlag  int32
	sel      Selector
	oneway   bool
	start    time.Duration
	deadline time.Duration
	attempts int
	// max is the number of attempts allowed (1 + RetryTimes).
	max        int
	lastBroker string
	lastErr    error
	// uncertain is set once an attempt's request was sent and its answer
	// never came.
	uncertain bool
	done      func(*SendResult, error)
}

// Send sends msg and calls done once, on the loop, with the result or an
// error. It retries up to RetryTimes on another broker after a failure.
// The message gets a UNIQ_KEY property if it has none.
func (p *Producer) Send(msg *client.Message, done func(*SendResult, error)) {
	p.send(msg, nil, p.opts.Selector, false, done)
}

// SendSelect sends msg to the queue sel picks (Hash for ordered messages,
// Manual for a fixed queue). Retries go through sel again, so an ordered
// message stays on its queue.
func (p *Producer) SendSelect(msg *client.Message, sel Selector, done func(*SendResult, error)) {
	p.send(msg, nil, sel, false, done)
}

// SendOneway sends msg once without waiting for the broker; done reports
// only errors found before the message left (no route, bad message), or nil.
func (p *Producer) SendOneway(msg *client.Message, done func(error)) {
	p.send(msg, nil, p.opts.Selector, true, func(_ *SendResult, err error) { done(err) })
}

// SendBatch sends msgs, all of one topic, as one SEND_BATCH_MESSAGE: the
// broker stores them together in one queue, in order.
func (p *Producer) SendBatch(msgs []*client.Message, done func(*SendResult, error)) {
	if len(msgs) == 0 || len(msgs) > BatchCountMax {
		done(nil, fmt.Errorf("%w: batch of %d messages (1..%d)", ErrBadMessage, len(msgs), BatchCountMax))
		return
	}
	p.send(nil, msgs, p.opts.Selector, false, done)
}

func (p *Producer) send(msg *client.Message, batch []*client.Message, sel Selector, oneway bool, done func(*SendResult, error)) {
	if !p.running {
		done(nil, ErrShutdown)
		return
	}
	now := p.rt.Monotonic()
	op := &sendOp{p: p, msg: msg, batch: batch, sel: sel, oneway: oneway, start: now,
		deadline: now + p.opts.SendTimeout, max: 1 + p.opts.RetryTimes, done: done}
	if oneway {
		op.max = 1
	}
	if err := op.prepare(); err != nil {
		done(nil, err)
		return
	}
	op.attempt()
}

// prepare validates the message and builds the body once for all attempts.
func (op *sendOp) prepare() error {
	p := op.p
	if op.batch != nil {
		topic := op.batch[0].Topic
		for i, m := range op.batch {
			if m.Topic != topic {
				return fmt.Errorf("%w: batch mixes topics %q and %q", ErrBadMessage, topic, m.Topic)
			}
			if m.Property(client.PropertyDelayLevel) != "" {
				return fmt.Errorf("%w: batch message %d has a delay level", ErrBadMessage, i)
			}
			if strings.HasPrefix(m.Topic, client.RetryGroupTopicPrefix) {
				return fmt.Errorf("%w: batch to retry topic %s", ErrBadMessage, m.Topic)
			}
			if err := p.check(m); err != nil {
				return err
			}
			if m.UniqKey() == "" {
				m.SetProperty(client.PropertyUniqKey, p.ids.Next(p.rt.Now()))
			}
		}
		op.msg = &client.Message{Topic: topic}
		op.body = EncodeBatch(op.batch)
		if len(op.body) > p.opts.MessageSizeMax {
			return fmt.Errorf("%w: batch body of %d bytes over %d", ErrBadMessage, len(op.body), p.opts.MessageSizeMax)
		}
		return nil
	}
	m := op.msg
	if err := p.check(m); err != nil {
		return err
	}
	if m.UniqKey() == "" {
		m.SetProperty(client.PropertyUniqKey, p.ids.Next(p.rt.Now()))
	}
	op.body = m.Body
	if len(m.Body) >= p.opts.CompressOver {
		z, err := client.Compress(m.Body, p.opts.CompressLevel)
		if err != nil {
			return err
		}
		op.body, op.sysFlag = z, SysFlagCompressed
	}
	if m.Property(client.PropertyTransactionPrep) == "true" {
		op.sysFlag |= SysFlagTransactionPrepared
	}
	return nil
}

func (p *Producer) check(m *client.Message) error {
	switch {
	case m == nil:
		return fmt.Errorf("%w: nil message", ErrBadMessage)
	case m.Topic == "":
		return fmt.Errorf("%w: no topic", ErrBadMessage)
	case len(m.Body) == 0:
		return fmt.Errorf("%w: empty body (topic %s)", ErrBadMessage, m.Topic)
	case len(m.Body) > p.opts.MessageSizeMax:
		return fmt.Errorf("%w: body of %d bytes over %d (topic %s)", ErrBadMessage, len(m.Body), p.opts.MessageSizeMax, m.Topic)
	case propertiesLen(m.Properties) > propertiesMax:
		return fmt.Errorf("%w: properties over %d bytes (topic %s)", ErrBadMessage, propertiesMax, m.Topic)
	}
	return nil
}

// formatProperties is message.FormatProperties for a send: the same bytes,
// built in one allocation of the exact size with the keys sorted on the
// stack (a message has a handful of properties).
func formatProperties(props map[string]string) string {
	if len(props) > propertyKeysOnStack {
		return message.FormatProperties(props)
	}
	var buf [propertyKeysOnStack]string
	keys := buf[:0]
	for k := range props {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var b strings.Builder
	b.Grow(propertiesLen(props))
	for _, k := range keys {
		b.WriteString(k)
		b.WriteByte(message.NameValueSeparator)
		b.WriteString(props[k])
		b.WriteByte(message.PropertySeparator)
	}
	return b.String()
}

// propertyKeysOnStack is how many property keys formatProperties sorts on
// its stack; a message with more takes message.FormatProperties.
const propertyKeysOnStack = 16

// propertiesLen is len(message.FormatProperties(props)), counted without
// building the string: the send formats the properties once, later.
func propertiesLen(props map[string]string) int {
	n := 0
	for k, v := range props {
		n += len(k) + len(v) + 2 // two separators
	}
	return n
}

// attempt makes one try, or ends the send when time or attempts ran out.
func (op *sendOp) attempt() {
	p := op.p
	if !p.running {
		op.finish(nil, ErrShutdown)
		return
	}
	now := p.rt.Monotonic()
	if now >= op.deadline {
		op.finish(nil, fmt.Errorf("%w after %d attempts (%v): last error: %v", ErrSendTimeout, op.attempts, p.opts.SendTimeout, op.lastErr))
		return
	}
	op.attempts++
	p.routes.PublishRoute(op.msg.Topic, func(r *route.Route, err error) {
		if err != nil {
			op.finish(nil, fmt.Errorf("send to %s: %w", op.msg.Topic, err))
			return
		}
		queues := r.PublishQueues()
		if len(queues) == 0 {
			op.finish(nil, fmt.Errorf("send to %s: %w", op.msg.Topic, ErrNoQueue))
			return
		}
		var q client.Queue
		if op.sel != nil {
			q = op.sel.Select(op.msg, queues)
		} else {
			q = p.pickQueue(op.msg.Topic, queues, op.lastBroker)
		}
		addr := r.MasterAddr(q.BrokerName)
		if addr == "" {
			addr = p.routes.MasterAddr(q.BrokerName)
		}
		op.sendTo(q, addr)
	})
}

func (op *sendOp) sendTo(q client.Queue, addr string) {
	p := op.p
	h := Header{
		Group: p.opts.Group, Topic: q.Topic, QueueID: q.QueueID, SysFlag: op.sysFlag,
		BornTimestamp: p.rt.Now().UnixMilli(), Flag: op.msg.Flag, BrokerName: q.BrokerName,
	}
	var req *remoting.Command
	if op.batch != nil {
		h.Batch = true
		req = RequestV2(remoting.ReqSendBatchMessage, h, op.body)
	} else {
		h.Properties = formatProperties(op.msg.Properties)
		req = RequestV1(h, op.body)
	}
	conn := p.ep.ConnTo(addr)
	if op.oneway {
		err := p.ep.InvokeOneway(conn, req)
		op.finish(nil, err)
		return
	}
	began := p.rt.Monotonic()
	if began >= op.deadline { // the route lookup used up the time
		op.finish(nil, fmt.Errorf("%w after %d attempts (%v): last error: %v", ErrSendTimeout, op.attempts, p.opts.SendTimeout, op.lastErr))
		return
	}
	err := p.ep.Invoke(conn, req, op.deadline-began, func(resp *remoting.Command, err error) {
		latency := p.rt.Monotonic() - began
		if err != nil {
			op.uncertain = true
			op.failed(q, latency, fmt.Errorf("send to %s (%s): %w", q, addr, err), true)
			return
		}
		status, stored := statusOf(resp.Code)
		if !stored {
			be := &BrokerError{Code: resp.Code, Remark: resp.Remark, Broker: q.BrokerName}
			op.failed(q, latency, be, be.retriable())
			return
		}
		if p.opts.LatencyFaultEnable {
			p.faults.update(q.BrokerName, latency, false, p.rt.Monotonic())
		}
		res := op.result(q, status, resp)
		if status != SendOK && p.opts.RetryAnotherBrokerWhenNotStoreOK && op.attempts < op.max {
			op.lastBroker, op.lastErr = q.BrokerName, fmt.Errorf("broker %s: %s", q.BrokerName, status)
			op.attempt()
			return
		}
		op.finish(res, nil)
	})
	if err != nil {
		// Refused before it reached the wire (too many pending, closed).
		op.failed(q, 0, fmt.Errorf("send to %s (%s): %w", q, addr, err), true)
	}
}

// failed records a failed attempt and retries on another broker when the
// error allows it and attempts remain.
func (op *sendOp) failed(q client.Queue, latency time.Duration, err error, retry bool) {
	p := op.p
	if p.opts.LatencyFaultEnable {
		p.faults.update(q.BrokerName, latency, true, p.rt.Monotonic())
	}
	op.lastBroker, op.lastErr = q.BrokerName, err
	if retry && op.attempts < op.max {
		p.log.Debug("send failed, retrying", slog.String("queue", q.String()), slog.Any("err", err))
		op.attempt()
		return
	}
	op.finish(nil, err)
}

func (op *sendOp) result(q client.Queue, status SendStatus, resp *remoting.Command) *SendResult {
	res := &SendResult{
		Status: status, Queue: q,
		OffsetMsgID:   resp.Ext("msgId"),
		TransactionID: resp.Ext("transactionId"),
		RegionID:      resp.Ext("MSG_REGION"),
		TraceOn:       resp.Ext("TRACE_ON") != "false",
	}
	if res.RegionID == "" {
		res.RegionID = "DefaultRegion"
	}
	if qid, err := strconv.Atoi(resp.Ext("queueId")); err == nil {
		res.Queue.QueueID = qid
	}
	res.QueueOffset, _ = resp.ExtInt64("queueOffset")
	if op.batch != nil {
		keys := make([]string, len(op.batch))
		for i, m := range op.batch {
			keys[i] = m.UniqKey()
		}
		res.MsgID = strings.Join(keys, ",")
	} else {
		res.MsgID = op.msg.UniqKey()
	}
	return res
}

func (op *sendOp) finish(res *SendResult, err error) {
	if op.done == nil {
		panic("producer: send finished twice")
	}
	done := op.done
	op.done = nil
	if err != nil && op.uncertain && !errors.Is(err, ErrUncertain) {
		err = fmt.Errorf("%w: %w", ErrUncertain, err)
	}
	done(res, err)
}

// pickQueue is the default queue choice: round robin over the topic's
// queues, skipping the broker that failed the previous attempt and, with
// LatencyFaultEnable, brokers the fault table says to avoid.
func (p *Producer) pickQueue(topic string, queues []client.Queue, lastBroker string) client.Queue {
	idx := p.roundRobin[topic]
	n := len(queues)
	if n > 0 && runtime.Buggify(p.rt, "producer/queue-jump") {
		// Java's producer starts its round robin at a random queue: no
		// one may rely on where a normal message lands.
		idx = p.rt.Rand().IntN(n)
	}
	now := p.rt.Monotonic()
	pick := func(ok func(q client.Queue) bool) (client.Queue, bool) {
		for i := 0; i < n; i++ {
			q := queues[(idx+i)%n]
			if ok(q) {
				p.roundRobin[topic] = idx + i + 1
				return q, true
			}
		}
		return client.Queue{}, false
	}
	if p.opts.LatencyFaultEnable {
		if q, ok := pick(func(q client.Queue) bool {
			return q.BrokerName != lastBroker && p.faults.available(q.BrokerName, now)
		}); ok {
			return q
		}
		if q, ok := pick(func(q client.Queue) bool { return p.faults.available(q.BrokerName, now) }); ok {
			return q
		}
		if best := p.faults.leastBad(); best != "" && best != lastBroker {
			if q, ok := pick(func(q client.Queue) bool { return q.BrokerName == best }); ok {
				return q
			}
		}
	}
	if q, ok := pick(func(q client.Queue) bool { return q.BrokerName != lastBroker }); ok {
		return q
	}
	q, _ := pick(func(client.Queue) bool { return true })
	return q
}
