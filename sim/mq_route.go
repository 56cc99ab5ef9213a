package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// mqRouteRefresh is how often a client asks the name server for the
// topic's route. The Go client asks every 30 s; a shorter period lets a
// scenario of a minute or two see clients follow brokers that come and go.
const mqRouteRefresh = 5 * time.Second

// mqDefaultTopic is the template topic a producer's first send names, so
// the broker auto-creates the topic (autoCreateTopicEnable).
const mqDefaultTopic = "TBW102"

// mqQueueRef is one message queue of the route, with its broker's address.
type mqQueueRef struct {
	broker mqTarget
	id     int
}

// mqRouter keeps a client's view of the topic's route, as RocketMQ clients
// do: asked of the name server at start and then periodically; the last
// good answer stays in use while the name server is unreachable. Before the
// topic exists, a producer routes by the template topic TBW102 and the
// broker creates the topic on the first send.
type mqRouter struct {
	rt       runtime.Runtime
	ep       *remoting.Endpoint
	namesrv  string
	topic    string
	queues   int  // the producer's defaultTopicQueueNums
	producer bool // fall back to TBW102's route
	timeout  time.Duration
	write    []mqQueueRef
	read     []mqQueueRef
	onChange func()
	timer    runtime.Timer
	stopped  bool
}

func newMQRouter(rt runtime.Runtime, ep *remoting.Endpoint, namesrv, topic string, queues int, producer bool, timeout time.Duration, onChange func()) *mqRouter {
	r := &mqRouter{rt: rt, ep: ep, namesrv: namesrv, topic: topic, queues: queues, producer: producer, timeout: timeout, onChange: onChange}
	r.refresh()
	return r
}

func (r *mqRouter) stop() {
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
}

func (r *mqRouter) refresh() {
	if r.stopped {
		return
	}
	r.timer = r.rt.AfterFunc(mqRouteRefresh, r.refresh)
	r.ask(r.topic)
}

func (r *mqRouter) ask(topic string) {
	req := remoting.NewRequest(remoting.ReqGetRouteInfoByTopic, map[string]string{"topic": topic})
	conn := r.ep.ConnTo(r.namesrv)
	err := r.ep.Invoke(conn, req, r.timeout, func(resp *remoting.Command, err error) {
		if r.stopped {
			return
		}
		if err != nil {
			if errors.Is(err, remoting.ErrTimeout) {
				conn.Close() // stalled: dial afresh next time
			}
			return // keep the last route
		}
		switch {
		case resp.Code == remoting.RespSuccess:
			route, err := wire.DecodeTopicRoute(resp.Body)
			if err != nil {
				r.rt.Log().Error("mq: undecodable route", "topic", topic, "err", err)
				return
			}
			r.set(route, topic != r.topic)
		case resp.Code == remoting.RespTopicNotExist && topic == r.topic && r.producer:
			r.ask(mqDefaultTopic)
		}
	})
	if err != nil {
		return // the next refresh tries again
	}
}

// set installs a route. From the template topic, a producer writes
// min(queues, the template's write queues) queues on each broker, as the
// Go client does before the topic exists.
func (r *mqRouter) set(route routes.TopicRoute, template bool) {
	addrs := map[string]string{}
	for _, b := range route.BrokerDatas {
		if a, ok := b.Addrs[0]; ok {
			addrs[b.BrokerName] = a
		}
	}
	var write, read []mqQueueRef
	for _, q := range route.QueueDatas {
		addr, ok := addrs[q.BrokerName]
		if !ok {
			continue // no master
		}
		t := mqTarget{name: q.BrokerName, addr: addr}
		nw := q.WriteQueueNums
		if template {
			nw = min(nw, r.queues)
		}
		if q.Perm&routes.PermWrite != 0 {
			for i := range nw {
				write = append(write, mqQueueRef{t, i})
			}
		}
		if q.Perm&routes.PermRead != 0 && !template {
			for i := range q.ReadQueueNums {
				read = append(read, mqQueueRef{t, i})
			}
		}
	}
	byName := func(a, b mqQueueRef) int {
		return cmpOr(strings.Compare(a.broker.name, b.broker.name), a.id-b.id)
	}
	slices.SortFunc(write, byName)
	slices.SortFunc(read, byName)
	changed := !slices.Equal(write, r.write) || (!template && !slices.Equal(read, r.read))
	r.write = write
	if !template {
		r.read = read
	}
	if changed && r.onChange != nil {
		r.onChange()
	}
}

func cmpOr(a, b int) int {
	if a != 0 {
		return a
	}
	return b
}

func (q mqQueueRef) String() string { return fmt.Sprintf("%s/%d", q.broker.name, q.id) }
