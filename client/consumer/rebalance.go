package consumer

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"slices"

	"rocketsim/client"
	"rocketsim/client/route"
	"rocketsim/remoting"
)

// Rebalance recomputes this member's queues for every subscribed topic. A
// rebalance asked for while one runs runs once more after it.
func (c *Consumer) Rebalance() {
	if !c.running {
		return
	}
	if c.rebalancing {
		c.rebalanceAgain = true
		return
	}
	c.rebalancing = true
	c.Stats.Rebalances++
	c.rebalanceTopic(c.topics(), 0)
}

func (c *Consumer) rebalanceTopic(topics []string, i int) {
	if i == len(topics) || !c.running {
		c.rebalancing = false
		if c.rebalanceAgain && c.running {
			c.rebalanceAgain = false
			c.Rebalance()
		}
		return
	}
	topic := topics[i]
	next := func() { c.rebalanceTopic(topics, i+1) }
	r := c.routes.Get(topic)
	if r == nil {
		// No route yet (the topic may be created by a first send); the
		// fetch's OnChange triggers another rebalance when it appears.
		c.routes.Fetch(topic, func(*route.Route, error) {})
		next()
		return
	}
	all := r.SubscribeQueues()
	if static, ok := c.static[topic]; ok {
		c.assign(topic, static)
		next()
		return
	}
	if c.opts.Model == Broadcasting {
		c.assign(topic, all)
		next()
		return
	}
	c.consumerList(r, func(members []string, err error) {
		if err != nil {
			c.log.Info("rebalance: no consumer list", slog.String("topic", topic), slog.Any("err", err))
			next()
			return
		}
		slices.Sort(members)
		c.assign(topic, c.opts.Strategy(c.id.ClientID(), all, members))
		next()
	})
}

// consumerList asks one master of r for the group's members
// (GET_CONSUMER_LIST_BY_GROUP), picked at random so the load spreads; a
// slave when no master is in the route (Java selectBrokerAddr): consumers
// heartbeat to slaves too, and while masters are down the group still
// splits the queues it reads from the slaves.
func (c *Consumer) consumerList(r *route.Route, done func([]string, error)) {
	addrs := r.MasterAddrs()
	if len(addrs) == 0 {
		addrs = r.AllAddrs()
	}
	if len(addrs) == 0 {
		done(nil, fmt.Errorf("topic %s has no broker", r.Topic))
		return
	}
	addr := addrs[c.rt.Rand().IntN(len(addrs))]
	req := remoting.NewRequest(remoting.ReqGetConsumerListByGroup, map[string]string{"consumerGroup": c.opts.Group})
	err := c.ep.Invoke(c.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
		if err != nil {
			done(nil, err)
			return
		}
		if resp.Code != remoting.RespSuccess {
			done(nil, fmt.Errorf("%s: %s %s", addr, remoting.ResponseName(resp.Code), resp.Remark))
			return
		}
		var body struct {
			ConsumerIDList []string `json:"consumerIdList"`
		}
		if err := json.Unmarshal(resp.Body, &body); err != nil {
			done(nil, fmt.Errorf("%s: consumer list body: %w", addr, err))
			return
		}
		done(body.ConsumerIDList, nil)
	})
	if err != nil {
		done(nil, err)
	}
}

// assign makes queues the member's share of topic: drops queues no longer
// in it, starts the new ones.
func (c *Consumer) assign(topic string, queues []client.Queue) {
	want := map[client.Queue]bool{}
	for _, q := range queues {
		want[q] = true
	}
	c.assigned[topic] = want
	for _, q := range c.ownedQueues() {
		if q.Topic != topic || want[q] {
			continue
		}
		c.removeQueue(q)
	}
	for _, q := range queues {
		if c.pqs[q] == nil && !c.adding[q] {
			c.addQueue(q)
		}
	}
}

// removeQueue stops pulling q, commits its offset and, for orderly
// consumers, releases its lock. An orderly queue in the middle of a
// handler call is kept until the next rebalance, so two members never
// consume it at once.
func (c *Consumer) removeQueue(q client.Queue) {
	pq := c.pqs[q]
	if c.opts.Orderly && pq.consuming {
		return
	}
	pq.dropped = true
	delete(c.pqs, q)
	c.log.Debug("queue released", slog.String("queue", q.String()))
	c.offsets.persist(q, func() {
		if c.opts.Orderly {
			c.unlock(q.BrokerName, []client.Queue{q}, func() {})
		}
	})
	if c.opts.Model == Broadcasting {
		return
	}
	c.offsets.forget(q)
}

// addQueue locks q (orderly), finds where to start, then starts pulling.
func (c *Consumer) addQueue(q client.Queue) {
	c.adding[q] = true
	abort := func(why string, err error) {
		delete(c.adding, q)
		c.log.Info("queue not added", slog.String("queue", q.String()), slog.String("why", why), slog.Any("err", err))
	}
	start := func() {
		c.offsets.start(q, func(off int64, err error) {
			if err != nil {
				abort("no start offset", err)
				return
			}
			delete(c.adding, q)
			if !c.running || !c.assigned[q.Topic][q] || c.pqs[q] != nil {
				if c.opts.Orderly {
					c.unlock(q.BrokerName, []client.Queue{q}, func() {})
				}
				return
			}
			pq := newProcessQueue(q, off)
			if c.opts.Orderly {
				pq.locked, pq.lockedAt = true, c.rt.Monotonic()
			}
			c.pqs[q] = pq
			c.log.Debug("queue taken", slog.String("queue", q.String()), slog.Int64("offset", off))
			c.pull(pq)
		})
	}
	if !c.opts.Orderly {
		start()
		return
	}
	c.lock(q.BrokerName, []client.Queue{q}, func(locked map[client.Queue]bool, err error) {
		if err != nil || !locked[q] {
			abort("lock not granted", err)
			return
		}
		start()
	})
}
