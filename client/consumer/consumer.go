package consumer

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"rocketsim/broker/filter"
	"rocketsim/client"
	"rocketsim/client/route"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// ErrRunning is returned by Subscribe after Start.
var ErrRunning = errors.New("consumer already started")

// subscription is one subscribed topic.
type subscription struct {
	data    filter.SubscriptionData
	tags    map[string]bool // nil: every tag
	handler Handler
}

// Consumer is the push consumer core. All methods run on the loop.
type Consumer struct {
	rt     runtime.Runtime
	opts   Options
	id     client.Identity
	ep     *remoting.Endpoint
	routes *route.Client
	log    *slog.Logger

	subs map[string]*subscription
	// static holds topics assigned by Assign instead of rebalancing.
	static map[string][]client.Queue
	// pqs are the queues this member owns and pulls.
	pqs map[client.Queue]*processQueue
	// assigned is the latest allocation per topic; adding holds queues
	// whose start offset or lock is being fetched.
	assigned map[string]map[client.Queue]bool
	adding   map[client.Queue]bool
	offsets  *offsetStore

	rebalancing, rebalanceAgain bool
	timers                      map[string]runtime.Timer
	running                     bool
	startedAt                   int64 // wall clock ms at Start

	// Stats counts what happened, for tests and reports.
	Stats Stats
}

// Stats are the consumer's counters.
type Stats struct {
	Pulls, PullErrors, Consumed, SentBack, SendBackFailed, Rebalances int
}

// New builds a consumer on rt; Subscribe, then Start.
func New(rt runtime.Runtime, opts Options) (*Consumer, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	c := &Consumer{
		rt: rt, opts: opts,
		subs: map[string]*subscription{}, pqs: map[client.Queue]*processQueue{},
		assigned: map[string]map[client.Queue]bool{}, adding: map[client.Queue]bool{},
		timers: map[string]runtime.Timer{}, static: map[string][]client.Queue{},
	}
	c.id = client.NewIdentity(rt, opts.ClientIP, opts.PID, opts.InstanceName)
	if opts.Model == Clustering && (opts.InstanceName == "" || opts.InstanceName == "DEFAULT") {
		// As the Go client's ChangeInstanceNameToPID: "pid#<random>", so
		// two clustering consumers in one process are two members.
		c.id.Instance = strconv.Itoa(c.id.PID) + "#" + strconv.FormatUint(rt.Rand().Uint64()>>1, 10)
	}
	c.log = rt.Log().With(slog.String("consumer", opts.Group))
	c.ep = remoting.NewEndpoint(rt, remoting.Options{})
	c.routes = route.New(rt, c.ep, opts.NameServers)
	c.offsets = newOffsetStore(c)
	c.ep.Handle(remoting.ReqNotifyConsumerIdsChanged, func(req *remoting.Request) {
		if !req.Cmd.IsOneway() {
			_ = req.Reply(remoting.NewResponse(req.Cmd, remoting.RespSuccess, ""))
		}
		c.log.Debug("consumer ids changed", slog.String("group", req.Cmd.Ext("consumerGroup")))
		if c.running {
			c.Rebalance()
		}
	})
	c.ep.Handle(remoting.ReqResetConsumerClientOffset, c.handleReset)
	return c, nil
}

// ClientID is the id the consumer heartbeats with.
func (c *Consumer) ClientID() string { return c.id.ClientID() }

// Endpoint is the consumer's remoting endpoint.
func (c *Consumer) Endpoint() *remoting.Endpoint { return c.ep }

// Subscribe adds topic with a TAG expression ("*", "a || b") consumed by h.
func (c *Consumer) Subscribe(topic, expr string, h Handler) error {
	return c.SubscribeType(topic, expr, filter.TypeTag, h)
}

// SubscribeType adds topic with an expression of type typ (TAG or SQL92).
func (c *Consumer) SubscribeType(topic, expr, typ string, h Handler) error {
	if c.running {
		return ErrRunning
	}
	if h == nil {
		return fmt.Errorf("subscribe %s: nil handler", topic)
	}
	sd, err := filter.NewSubscription(topic, expr, typ, c.rt.Now().UnixMilli())
	if err != nil {
		return fmt.Errorf("subscribe %s %q: %w", topic, expr, err)
	}
	s := &subscription{data: *sd, handler: h}
	if filter.IsTagType(typ) && len(sd.TagsSet) > 0 {
		s.tags = map[string]bool{}
		for _, t := range sd.TagsSet {
			s.tags[t] = true
		}
	}
	c.subs[topic] = s
	return nil
}

// Assign consumes exactly queues of topic (all of one topic) with h instead
// of taking a share by rebalancing, as a lite pull consumer's assign does.
// Offsets are still committed for the group.
func (c *Consumer) Assign(topic, expr string, queues []client.Queue, h Handler) error {
	if err := c.Subscribe(topic, expr, h); err != nil {
		return err
	}
	for _, q := range queues {
		if q.Topic != topic {
			return fmt.Errorf("assign %s: queue %s of another topic", topic, q)
		}
	}
	qs := slices.Clone(queues)
	slices.SortFunc(qs, client.CompareQueues)
	c.static[topic] = qs
	return nil
}

// Seek makes the next pull of an owned queue start at offset, dropping what
// was pulled and not consumed; the group's offset moves there too.
func (c *Consumer) Seek(q client.Queue, offset int64) error {
	pq := c.pqs[q]
	if pq == nil {
		return fmt.Errorf("seek: %s is not owned by this consumer", q)
	}
	pq.dropped = true
	npq := newProcessQueue(q, offset)
	npq.locked, npq.lockedAt = pq.locked, pq.lockedAt
	c.pqs[q] = npq
	c.offsets.table[q] = offset
	c.offsets.dirty[q] = true
	c.pull(npq)
	return nil
}

// Start heartbeats, rebalances and starts pulling. Topics without a route
// yet are retried at every rebalance.
func (c *Consumer) Start() error {
	if c.running {
		return ErrRunning
	}
	if len(c.subs) == 0 {
		return fmt.Errorf("consumer %s: no subscription", c.opts.Group)
	}
	if c.opts.Model == Clustering {
		retry := client.RetryTopic(c.opts.Group)
		if _, ok := c.subs[retry]; !ok {
			sd, err := filter.NewSubscription(retry, filter.SubAll, filter.TypeTag, c.rt.Now().UnixMilli())
			if err != nil {
				panic(err) // "*" always parses
			}
			c.subs[retry] = &subscription{data: *sd}
		}
	}
	if err := c.offsets.load(); err != nil {
		return err
	}
	c.running = true
	c.startedAt = c.rt.Now().UnixMilli()
	c.routes.OnChange = func(topic string, _ *route.Route) {
		if c.running && c.subs[topic] != nil {
			c.heartbeat(nil)
			c.Rebalance()
		}
	}
	c.routes.Start()
	for _, t := range c.topics() {
		c.routes.Watch(t)
	}
	c.every("heartbeat", c.opts.HeartbeatInterval, func() {
		c.heartbeat(nil)
		if runtime.Buggify(c.rt, "consumer/rebalance-extra") {
			// A rebalance at any moment is legal: brokers ask for one
			// whenever the group's members change.
			c.Rebalance()
		}
	})
	c.every("rebalance", c.opts.RebalanceInterval, c.Rebalance)
	c.every("persist", c.opts.PersistInterval, func() {
		if runtime.Buggify(c.rt, "consumer/persist-late") {
			// Offsets committed a round late: a crash or a rebalance now
			// redelivers more (at least once, as RocketMQ promises).
			return
		}
		c.offsets.persistAll(nil)
	})
	if c.opts.Orderly {
		c.every("lock", LockIntervalDefault, c.lockAll)
	}
	// Routes first, then a heartbeat (so the brokers know our subscriptions
	// before we pull), then the first rebalance.
	pending := len(c.topics())
	for _, t := range c.topics() {
		c.routes.Fetch(t, func(*route.Route, error) {
			pending--
			if pending == 0 && c.running {
				c.heartbeat(c.Rebalance)
			}
		})
	}
	return nil
}

// every runs fn every d while the consumer runs; name keys its timer.
func (c *Consumer) every(name string, d time.Duration, fn func()) {
	c.timers[name] = c.rt.AfterFunc(d, func() {
		if !c.running {
			return
		}
		fn()
		c.every(name, d, fn)
	})
}

// Shutdown stops pulling, commits offsets, unlocks orderly queues and calls
// done (which may be nil) once the brokers answered or timed out.
func (c *Consumer) Shutdown(done func()) {
	if !c.running {
		if done != nil {
			done()
		}
		return
	}
	c.running = false
	c.routes.Stop()
	names := make([]string, 0, len(c.timers))
	for name := range c.timers {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		c.timers[name].Stop()
	}
	for _, q := range c.ownedQueues() {
		c.pqs[q].dropped = true
	}
	c.offsets.persistAll(func() {
		finish := func() {
			c.unregister(func() {
				c.ep.Close()
				if done != nil {
					done()
				}
			})
		}
		if c.opts.Orderly {
			c.unlockAll(finish)
			return
		}
		finish()
	})
}

// topics are the subscribed topics, sorted.
func (c *Consumer) topics() []string {
	out := make([]string, 0, len(c.subs))
	for t := range c.subs {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// ownedQueues are the queues with a process queue, sorted.
func (c *Consumer) ownedQueues() []client.Queue {
	out := make([]client.Queue, 0, len(c.pqs))
	for q := range c.pqs {
		out = append(out, q)
	}
	slices.SortFunc(out, client.CompareQueues)
	return out
}

// Owned returns the queues this member currently pulls, sorted.
func (c *Consumer) Owned() []client.Queue { return c.ownedQueues() }

// heartbeat data shapes (Java HeartbeatData).
type heartbeatBody struct {
	ClientID        string         `json:"clientID"`
	ProducerDataSet []struct{}     `json:"producerDataSet"`
	ConsumerDataSet []consumerData `json:"consumerDataSet"`
}

type consumerData struct {
	GroupName           string                    `json:"groupName"`
	ConsumeType         string                    `json:"consumeType"`
	MessageModel        string                    `json:"messageModel"`
	ConsumeFromWhere    string                    `json:"consumeFromWhere"`
	SubscriptionDataSet []filter.SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool                      `json:"unitMode"`
}

// heartbeat sends the group's subscriptions to every broker of every
// subscribed topic's route; then, when every broker answered or failed, it
// runs then (may be nil).
func (c *Consumer) heartbeat(then func()) {
	cd := consumerData{
		GroupName: c.opts.Group, ConsumeType: "CONSUME_PASSIVELY",
		MessageModel: c.opts.Model.String(), ConsumeFromWhere: c.opts.ConsumeFrom.String(),
	}
	for _, t := range c.topics() {
		cd.SubscriptionDataSet = append(cd.SubscriptionDataSet, c.subs[t].data)
	}
	body, err := json.Marshal(heartbeatBody{ClientID: c.id.ClientID(), ProducerDataSet: []struct{}{}, ConsumerDataSet: []consumerData{cd}})
	if err != nil {
		panic(err) // fixed shapes
	}
	var addrs []string
	for _, t := range c.topics() {
		if r := c.routes.Get(t); r != nil {
			addrs = append(addrs, r.AllAddrs()...)
		}
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	pending := len(addrs) + 1
	step := func() {
		pending--
		if pending == 0 && then != nil {
			then()
		}
	}
	for _, addr := range addrs {
		req := remoting.NewRequest(remoting.ReqHeartBeat, nil)
		req.Body = body
		addr := addr
		if err := c.ep.Invoke(c.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
			if err != nil {
				c.log.Debug("heartbeat failed", slog.String("broker", addr), slog.Any("err", err))
			}
			step()
		}); err != nil {
			step()
		}
	}
	step()
}

// unregister tells every broker the member left (UNREGISTER_CLIENT), so
// the broker notifies the rest of the group at once instead of after the
// channel expires; then runs done.
func (c *Consumer) unregister(done func()) {
	var addrs []string
	for _, t := range c.topics() {
		if r := c.routes.Get(t); r != nil {
			addrs = append(addrs, r.AllAddrs()...)
		}
	}
	slices.Sort(addrs)
	addrs = slices.Compact(addrs)
	pending := len(addrs) + 1
	step := func() {
		pending--
		if pending == 0 {
			done()
		}
	}
	for _, addr := range addrs {
		req := remoting.NewRequest(remoting.ReqUnregisterClient, map[string]string{
			"clientID": c.id.ClientID(), "consumerGroup": c.opts.Group})
		if err := c.ep.Invoke(c.ep.ConnTo(addr), req, RequestTimeout, func(*remoting.Command, error) { step() }); err != nil {
			step()
		}
	}
	step()
}
