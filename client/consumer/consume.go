package consumer

import (
	"log/slog"
	"maps"
	"strconv"

	"rocketsim/client"
	"rocketsim/client/producer"
	"rocketsim/remoting"
)

// innerProducerGroup is the producer group of send-back fallbacks (Java
// MixAll.CLIENT_INNER_PRODUCER_GROUP).
const innerProducerGroup = "CLIENT_INNER_PRODUCER"

// dispatch hands pq's new messages to the handler.
func (c *Consumer) dispatch(pq *processQueue) {
	if c.opts.Orderly {
		c.consumeOrderly(pq)
		return
	}
	var batch []*client.MessageExt
	for _, off := range pq.offsets() {
		if pq.dispatched[off] {
			continue
		}
		pq.dispatched[off] = true
		batch = append(batch, pq.msgs[off])
		if len(batch) == c.opts.ConsumeBatchMax {
			c.consumeConcurrently(pq, batch)
			batch = nil
		}
	}
	if len(batch) > 0 {
		c.consumeConcurrently(pq, batch)
	}
}

// handlerFor finds the handler of a message's (real) topic; retried
// messages of a topic without its own handler go to the first subscribed
// topic that has one.
func (c *Consumer) handlerFor(topic string) Handler {
	if s := c.subs[topic]; s != nil && s.handler != nil {
		return s.handler
	}
	for _, t := range c.topics() {
		if h := c.subs[t].handler; h != nil {
			return h
		}
	}
	return nil
}

// resetRetryTopic shows a retried message under the topic it was first
// sent to, as the official clients do.
func (c *Consumer) resetRetryTopic(m *client.MessageExt) {
	if rt := m.Property(client.PropertyRetryTopic); rt != "" && m.Topic == client.RetryTopic(c.opts.Group) {
		m.Topic = rt
	}
}

// invoke calls the handler with a once-only done.
func (c *Consumer) invoke(msgs []*client.MessageExt, then func(Result)) {
	for _, m := range msgs {
		c.resetRetryTopic(m)
	}
	h := c.handlerFor(msgs[0].Topic)
	if h == nil {
		panic("consumer: started without a handler") // Start refuses that
	}
	called := false
	h(msgs, func(r Result) {
		if called {
			panic("consumer: handler called done twice")
		}
		called = true
		then(r)
	})
}

func (c *Consumer) consumeConcurrently(pq *processQueue, msgs []*client.MessageExt) {
	if pq.dropped {
		return
	}
	c.invoke(msgs, func(r Result) {
		if r == Success || c.opts.Model == Broadcasting {
			// Broadcasting consumers drop failed messages: there is no
			// retry topic per member.
			c.commit(pq, msgs)
			return
		}
		for _, m := range msgs {
			m := m
			c.sendBack(m, 0, func(ok bool) {
				if ok {
					c.commit(pq, []*client.MessageExt{m})
					return
				}
				// Neither the broker nor the fallback took it: consume it
				// again here later.
				m.ReconsumeTimes++
				c.rt.AfterFunc(SendBackFailedDelay, func() {
					if !pq.dropped && c.running {
						c.consumeConcurrently(pq, []*client.MessageExt{m})
					}
				})
			})
		}
	})
}

// commit marks msgs consumed and moves the queue's offset.
func (c *Consumer) commit(pq *processQueue, msgs []*client.MessageExt) {
	c.Stats.Consumed += len(msgs)
	off := pq.remove(msgs)
	if !pq.dropped {
		c.offsets.update(pq.q, off)
	}
}

// consumeOrderly hands pq's lowest messages to the handler when the queue
// is locked and no batch of it is with the handler.
func (c *Consumer) consumeOrderly(pq *processQueue) {
	if pq.dropped || pq.consuming || pq.waking || !c.running || !pq.lockValid(c.rt.Monotonic()) {
		return
	}
	offs := pq.offsets()
	if len(offs) == 0 {
		return
	}
	var msgs []*client.MessageExt
	for _, off := range offs[:min(len(offs), c.opts.ConsumeBatchMax)] {
		msgs = append(msgs, pq.msgs[off])
	}
	pq.consuming = true
	c.invoke(msgs, func(r Result) {
		pq.consuming = false
		if pq.dropped {
			return
		}
		if r == Success {
			c.commit(pq, msgs)
			c.consumeOrderly(pq)
			return
		}
		c.retryOrderly(pq, msgs)
	})
}

// retryOrderly handles RetryLater on an orderly queue: messages that used
// up their retries go to the dead-letter queue (send-back with delay level
// -1); the others are consumed again after SuspendCurrentQueueTime, the
// queue waiting for them.
func (c *Consumer) retryOrderly(pq *processQueue, msgs []*client.MessageExt) {
	var over, again []*client.MessageExt
	for _, m := range msgs {
		if int(m.ReconsumeTimes) >= c.opts.MaxReconsumeTimes {
			over = append(over, m)
		} else {
			m.ReconsumeTimes++
			again = append(again, m)
		}
	}
	suspend := func() {
		pq.waking = true
		c.rt.AfterFunc(c.opts.SuspendCurrentQueueTime, func() {
			pq.waking = false
			c.consumeOrderly(pq)
		})
	}
	if len(over) == 0 {
		suspend()
		return
	}
	pending := len(over)
	failed := false
	for _, m := range over {
		m := m
		m.SetProperty(client.PropertyReconsumeTime, strconv.Itoa(int(m.ReconsumeTimes)))
		c.sendBack(m, -1, func(ok bool) {
			pending--
			if ok {
				c.commit(pq, []*client.MessageExt{m})
			} else {
				failed = true
				m.ReconsumeTimes++
			}
			if pending == 0 {
				if failed || len(again) > 0 {
					suspend()
					return
				}
				c.consumeOrderly(pq)
			}
		})
	}
}

// sendBack returns a failed message to the broker: CONSUMER_SEND_MSG_BACK,
// or, when the broker refuses it, a plain send to the group's retry topic.
// done reports whether either took it.
func (c *Consumer) sendBack(m *client.MessageExt, delayLevel int, done func(bool)) {
	if c.opts.OnSendBack != nil {
		outcome, finish := c.opts.OnSendBack(m), done
		done = func(ok bool) {
			outcome(ok)
			finish(ok)
		}
	}
	addr := c.routes.MasterAddr(m.BrokerName)
	if addr == "" {
		c.Stats.SendBackFailed++
		done(false)
		return
	}
	req := remoting.NewRequest(remoting.ReqConsumerSendMsgBack, map[string]string{
		"group":             c.opts.Group,
		"offset":            strconv.FormatInt(m.CommitLogOffset, 10),
		"delayLevel":        strconv.Itoa(delayLevel),
		"originMsgId":       m.MsgID,
		"originTopic":       m.Topic,
		"unitMode":          "false",
		"maxReconsumeTimes": strconv.Itoa(c.opts.MaxReconsumeTimes),
		"bname":             m.BrokerName,
	})
	err := c.ep.Invoke(c.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
		if err == nil && resp.Code == remoting.RespSuccess {
			c.Stats.SentBack++
			done(true)
			return
		}
		c.sendBackAsMessage(addr, m, done)
	})
	if err != nil {
		c.sendBackAsMessage(addr, m, done)
	}
}

// sendBackAsMessage is the fallback: SEND_MESSAGE to %RETRY%group with the
// retry properties, so the broker's retry/DLQ rule applies to it.
func (c *Consumer) sendBackAsMessage(addr string, m *client.MessageExt, done func(bool)) {
	props := maps.Clone(m.Properties)
	if props == nil {
		props = map[string]string{}
	}
	if props[client.PropertyOriginMessageID] == "" {
		props[client.PropertyOriginMessageID] = m.MsgID
	}
	props[client.PropertyRetryTopic] = m.Topic
	props[client.PropertyReconsumeTime] = strconv.Itoa(int(m.ReconsumeTimes) + 1)
	props[client.PropertyMaxReconsumeTimes] = strconv.Itoa(c.opts.MaxReconsumeTimes)
	props[client.PropertyDelayLevel] = strconv.Itoa(3 + int(m.ReconsumeTimes))
	delete(props, client.PropertyTransactionPrep)
	delete(props, client.PropertyMinOffset)
	delete(props, client.PropertyMaxOffset)
	msg := &client.Message{Topic: client.RetryTopic(c.opts.Group), Body: m.Body, Flag: m.Flag, Properties: props}
	req := producer.RequestV1(producer.Header{
		Group: innerProducerGroup, Topic: msg.Topic, QueueID: 0,
		BornTimestamp: m.BornTimestamp, Flag: m.Flag, Properties: formatProps(msg.Properties),
		ReconsumeTimes: m.ReconsumeTimes + 1, MaxReconsumeTimes: int32(c.opts.MaxReconsumeTimes),
		BrokerName: m.BrokerName,
	}, m.Body)
	err := c.ep.Invoke(c.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
		if err == nil && resp.Code == remoting.RespSuccess {
			c.Stats.SentBack++
			done(true)
			return
		}
		c.Stats.SendBackFailed++
		c.log.Info("send back failed", slog.String("msgId", m.MsgID), slog.Any("err", err))
		done(false)
	})
	if err != nil {
		c.Stats.SendBackFailed++
		done(false)
	}
}
