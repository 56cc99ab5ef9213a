package route

import (
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	"rocketsim/client"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

const (
	// RefreshInterval is how often watched routes are re-read
	// (rocketmq-client-go _PullNameServerInterval, Java
	// pollNameServerInterval).
	RefreshInterval = 30 * time.Second
	// RequestTimeout bounds one route query to one name server (Java
	// mqClientApiTimeout).
	RequestTimeout = 3 * time.Second
	// WaitersMax bounds the callbacks waiting for one topic's query; past
	// it a caller fails at once rather than piling up behind a slow name
	// server.
	WaitersMax = 10000
)

var (
	// ErrTopicNotExist: the name server answered TOPIC_NOT_EXIST.
	ErrTopicNotExist = errors.New("topic route not found on the name server")
	// ErrNoNameServer: no name server answered.
	ErrNoNameServer = errors.New("no name server answered")
	// ErrTooManyWaiters: WaitersMax callbacks already wait for the topic.
	ErrTooManyWaiters = errors.New("too many route queries waiting")
)

// Client queries and caches topic routes. All methods run on the node's loop.
type Client struct {
	rt    runtime.Runtime
	ep    *remoting.Endpoint
	addrs []string
	// next is the name server tried first; it moves on after a failure so a
	// dead name server is skipped by the following queries.
	next int

	routes  map[string]*Route
	watched map[string]bool
	waiters map[string][]func(*Route, error)
	timer   runtime.Timer
	stopped bool

	// OnChange, when set, runs after a topic's cached route changed.
	OnChange func(topic string, r *Route)
}

// New returns a route client over ep that asks the name servers at addrs
// ("host:port"). It starts at a random name server, drawn from rt.Rand(), so
// many clients spread over them.
func New(rt runtime.Runtime, ep *remoting.Endpoint, addrs []string) *Client {
	c := &Client{
		rt: rt, ep: ep, addrs: slices.Clone(addrs),
		routes: map[string]*Route{}, watched: map[string]bool{}, waiters: map[string][]func(*Route, error){},
	}
	if len(addrs) > 0 {
		c.next = rt.Rand().IntN(len(addrs))
	}
	return c
}

// Start arms the periodic refresh of watched routes.
func (c *Client) Start() {
	c.stopped = false
	c.arm()
}

// Stop cancels the periodic refresh.
func (c *Client) Stop() {
	c.stopped = true
	if c.timer != nil {
		c.timer.Stop()
	}
}

func (c *Client) arm() {
	c.timer = c.rt.AfterFunc(RefreshInterval, func() {
		if c.stopped {
			return
		}
		c.Refresh()
		c.arm()
	})
}

// Watch adds topic to the routes refreshed periodically.
func (c *Client) Watch(topic string) { c.watched[topic] = true }

// Refresh re-reads every watched route now, in topic order.
func (c *Client) Refresh() {
	topics := make([]string, 0, len(c.watched))
	for t := range c.watched {
		topics = append(topics, t)
	}
	slices.Sort(topics)
	for _, t := range topics {
		c.Fetch(t, func(*Route, error) {})
	}
}

// Get returns the cached route of topic, or nil.
func (c *Client) Get(topic string) *Route { return c.routes[topic] }

// Topics returns the topics with a cached route, sorted.
func (c *Client) Topics() []string {
	out := make([]string, 0, len(c.routes))
	for t := range c.routes {
		out = append(out, t)
	}
	slices.Sort(out)
	return out
}

// BrokerAddrs returns every broker address in every cached route, sorted:
// where heartbeats go.
func (c *Client) BrokerAddrs(mastersOnly bool) []string {
	var out []string
	for _, t := range c.Topics() {
		if mastersOnly {
			out = append(out, c.routes[t].MasterAddrs()...)
		} else {
			out = append(out, c.routes[t].AllAddrs()...)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// MasterAddr finds brokerName's master in any cached route.
func (c *Client) MasterAddr(brokerName string) string {
	for _, t := range c.Topics() {
		if a := c.routes[t].MasterAddr(brokerName); a != "" {
			return a
		}
	}
	return ""
}

// Fetch queries topic's route from the name servers and caches it. done
// runs once, on the loop, with the route or an error wrapping
// ErrTopicNotExist or ErrNoNameServer. Concurrent fetches of one topic share
// one query.
func (c *Client) Fetch(topic string, done func(*Route, error)) {
	if len(c.addrs) == 0 {
		done(nil, fmt.Errorf("route %s: %w: none configured", topic, ErrNoNameServer))
		return
	}
	w := c.waiters[topic]
	if len(w) >= WaitersMax {
		done(nil, fmt.Errorf("route %s: %w", topic, ErrTooManyWaiters))
		return
	}
	c.waiters[topic] = append(w, done)
	if len(w) == 0 {
		c.query(topic, 0)
	}
}

// query asks the name server tried-th after c.next.
func (c *Client) query(topic string, tried int) {
	addr := c.addrs[c.next%len(c.addrs)]
	req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": topic})
	fail := func(err error) {
		c.next = (c.next + 1) % len(c.addrs)
		if tried+1 < len(c.addrs) {
			c.query(topic, tried+1)
			return
		}
		c.finish(topic, nil, fmt.Errorf("route %s: %w: last %s: %w", topic, ErrNoNameServer, addr, err))
	}
	err := c.ep.Invoke(c.ep.ConnTo(addr), req, RequestTimeout, func(resp *remoting.Command, err error) {
		if err != nil {
			fail(err)
			return
		}
		switch resp.Code {
		case remoting.RespSuccess:
			data, err := wire.DecodeTopicRoute(resp.Body)
			if err != nil || len(resp.Body) == 0 {
				fail(fmt.Errorf("bad route body from %s: %v", addr, err))
				return
			}
			r := (&Route{Topic: topic, Data: data}).seal()
			c.store(topic, r)
			c.finish(topic, r, nil)
		case remoting.RespTopicNotExist:
			c.finish(topic, nil, fmt.Errorf("route %s: %w", topic, ErrTopicNotExist))
		default:
			fail(fmt.Errorf("%s: %s %s", addr, remoting.ResponseName(resp.Code), resp.Remark))
		}
	})
	if err != nil {
		fail(err)
	}
}

func (c *Client) store(topic string, r *Route) {
	old := c.routes[topic]
	c.routes[topic] = r
	if old != nil && old.Default == r.Default &&
		string(wire.EncodeTopicRoute(old.Data, true)) == string(wire.EncodeTopicRoute(r.Data, true)) {
		return
	}
	c.rt.Log().Debug("route changed", slog.String("topic", topic), slog.Bool("default", r.Default))
	if c.OnChange != nil {
		c.OnChange(topic, r)
	}
}

func (c *Client) finish(topic string, r *Route, err error) {
	w := c.waiters[topic]
	delete(c.waiters, topic)
	for _, fn := range w {
		fn(r, err)
	}
}

// PublishRoute returns a route with queues to send topic's messages to: the
// cached route when it has publish queues, else a fresh one, else TBW102's
// route capped at client.DefaultTopicQueueNums, so the broker auto-creates
// the topic on the first send. It watches topic.
func (c *Client) PublishRoute(topic string, done func(*Route, error)) {
	if !c.watched[topic] { // a lookup, not a map write, on every send
		c.Watch(topic)
	}
	if r := c.routes[topic]; r != nil && len(r.PublishQueues()) > 0 {
		done(r, nil)
		return
	}
	c.Fetch(topic, func(r *Route, err error) {
		if err == nil && len(r.PublishQueues()) > 0 {
			done(r, nil)
			return
		}
		if err != nil && !errors.Is(err, ErrTopicNotExist) {
			// Keep using a route we had (e.g. a default one) while the
			// name servers are unreachable.
			if old := c.routes[topic]; old != nil && len(old.PublishQueues()) > 0 {
				done(old, nil)
				return
			}
		}
		c.Fetch(client.DefaultTopic, func(def *Route, derr error) {
			if derr != nil {
				if err == nil {
					err = fmt.Errorf("route %s: no writable queue", topic)
				}
				done(nil, fmt.Errorf("%w (default topic: %w)", err, derr))
				return
			}
			r := asDefault(topic, def.Data)
			if old := c.routes[topic]; old == nil || old.Default {
				c.store(topic, r)
			}
			done(r, nil)
		})
	})
}
