package consumer

import (
	"encoding/json"
	"fmt"
	"log/slog"

	"rocketsim/client"
	"rocketsim/remoting"
)

// wireQueue is a queue as LOCK_BATCH_MQ and UNLOCK_BATCH_MQ bodies carry it
// (Java MessageQueue).
type wireQueue struct {
	Topic      string `json:"topic"`
	BrokerName string `json:"brokerName"`
	QueueID    int    `json:"queueId"`
}

type lockBody struct {
	ConsumerGroup string      `json:"consumerGroup"`
	ClientID      string      `json:"clientId"`
	MQSet         []wireQueue `json:"mqSet"`
}

func (c *Consumer) lockRequest(code int16, queues []client.Queue) *remoting.Command {
	b := lockBody{ConsumerGroup: c.opts.Group, ClientID: c.id.ClientID(), MQSet: []wireQueue{}}
	for _, q := range queues {
		b.MQSet = append(b.MQSet, wireQueue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID})
	}
	body, err := json.Marshal(b)
	if err != nil {
		panic(err) // fixed shape
	}
	req := remoting.NewRequest(code, nil)
	req.Body = body
	return req
}

// lock asks brokerName's master to lock queues for this member and reports
// which it holds.
func (c *Consumer) lock(brokerName string, queues []client.Queue, done func(map[client.Queue]bool, error)) {
	addr := c.routes.MasterAddr(brokerName)
	if addr == "" {
		done(nil, fmt.Errorf("lock: no master for %s", brokerName))
		return
	}
	err := c.ep.Invoke(c.ep.ConnTo(addr), c.lockRequest(remoting.ReqLockBatchMQ, queues), LockTimeout, func(resp *remoting.Command, err error) {
		if err != nil {
			done(nil, err)
			return
		}
		if resp.Code != remoting.RespSuccess {
			done(nil, fmt.Errorf("lock on %s: %s %s", addr, remoting.ResponseName(resp.Code), resp.Remark))
			return
		}
		var body struct {
			LockOKMQSet []wireQueue `json:"lockOKMQSet"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			done(nil, fmt.Errorf("lock on %s: body: %w", addr, err))
			return
		}
		ok := map[client.Queue]bool{}
		for _, q := range body.LockOKMQSet {
			ok[client.Queue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID}] = true
		}
		done(ok, nil)
	})
	if err != nil {
		done(nil, err)
	}
}

// unlock releases queues on brokerName's master; done runs when it
// answered or failed.
func (c *Consumer) unlock(brokerName string, queues []client.Queue, done func()) {
	addr := c.routes.MasterAddr(brokerName)
	if addr == "" {
		done()
		return
	}
	err := c.ep.Invoke(c.ep.ConnTo(addr), c.lockRequest(remoting.ReqUnlockBatchMQ, queues), LockTimeout, func(*remoting.Command, error) { done() })
	if err != nil {
		done()
	}
}

// byBroker groups the owned queues by broker name, in sorted order.
func (c *Consumer) byBroker() ([]string, map[string][]client.Queue) {
	m := map[string][]client.Queue{}
	var names []string
	for _, q := range c.ownedQueues() {
		if m[q.BrokerName] == nil {
			names = append(names, q.BrokerName)
		}
		m[q.BrokerName] = append(m[q.BrokerName], q)
	}
	return names, m
}

// lockAll renews the locks of every owned queue; a queue whose renewal is
// refused stops being consumed until a later renewal succeeds.
func (c *Consumer) lockAll() {
	names, m := c.byBroker()
	for _, name := range names {
		queues := m[name]
		c.lock(name, queues, func(ok map[client.Queue]bool, err error) {
			if err != nil {
				c.log.Info("lock renewal failed", slog.String("broker", name), slog.Any("err", err))
				return
			}
			now := c.rt.Monotonic()
			for _, q := range queues {
				pq := c.pqs[q]
				if pq == nil {
					continue
				}
				if ok[q] {
					pq.locked, pq.lockedAt = true, now
					c.consumeOrderly(pq)
				} else {
					pq.locked = false
				}
			}
		})
	}
}

// unlockAll releases every owned queue's lock, then runs done.
func (c *Consumer) unlockAll(done func()) {
	names, m := c.byBroker()
	pending := len(names) + 1
	step := func() {
		pending--
		if pending == 0 {
			done()
		}
	}
	for _, name := range names {
		c.unlock(name, m[name], step)
	}
	step()
}
