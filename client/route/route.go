// Package route is the clients' name-server client: it asks the name servers
// for topic routes (GET_ROUTEINFO_BY_TOPIC), rotating to the next name server
// when one fails, caches the routes, refreshes the watched ones every 30 s,
// and turns a route into the queues a producer may write and a consumer may
// read.
package route

import (
	"cmp"
	"slices"
	"strconv"
	"strings"

	"rocketsim/client"
	"rocketsim/namesrv/routes"
)

// Permission bits of a topic (Java PermName).
const (
	PermInherit = 1 << 0
	PermWrite   = 1 << 1
	PermRead    = 1 << 2
)

// MasterID is the broker id of a master; producers write only to masters.
const MasterID = 0

// Route is one topic's route as a client uses it.
type Route struct {
	Topic string
	Data  routes.TopicRoute
	// Default is set when the route is TBW102's, borrowed for a topic the
	// name servers do not know yet (queue counts capped at
	// client.DefaultTopicQueueNums); the broker auto-creates the topic on
	// the first send.
	Default bool

	// publish caches PublishQueues for a route the Client made: a
	// producer asks for them on every send, and building and sorting
	// them was 5-7% of a publishing client's CPU. Set once, by seal.
	publish []client.Queue
	sealed  bool
}

// seal fixes the route's derived lists. The Client seals every route it
// hands out; from then on Data must not change (nothing changes a route:
// a new answer from the name servers is a new Route).
func (r *Route) seal() *Route {
	r.publish = r.publishQueues()
	r.sealed = true
	return r
}

// MasterAddr is the master address of brokerName, "" when it has none.
func (r *Route) MasterAddr(brokerName string) string {
	for _, b := range r.Data.BrokerDatas {
		if b.BrokerName == brokerName {
			return b.Addrs[MasterID]
		}
	}
	return ""
}

// BrokerAddr returns an address of brokerName, preferring id, then the
// master, then the lowest id; "" when the broker is not in the route.
func (r *Route) BrokerAddr(brokerName string, id int64) string {
	for _, b := range r.Data.BrokerDatas {
		if b.BrokerName != brokerName {
			continue
		}
		if a := b.Addrs[id]; a != "" {
			return a
		}
		if a := b.Addrs[MasterID]; a != "" {
			return a
		}
		ids := make([]int64, 0, len(b.Addrs))
		for k := range b.Addrs {
			ids = append(ids, k)
		}
		slices.Sort(ids)
		if len(ids) > 0 {
			return b.Addrs[ids[0]]
		}
	}
	return ""
}

// AllAddrs is every broker address in the route, sorted.
func (r *Route) AllAddrs() []string {
	var out []string
	for _, b := range r.Data.BrokerDatas {
		for _, a := range b.Addrs {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// MasterAddrs is every master address in the route, sorted.
func (r *Route) MasterAddrs() []string {
	var out []string
	for _, b := range r.Data.BrokerDatas {
		if a := b.Addrs[MasterID]; a != "" {
			out = append(out, a)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// PublishQueues are the queues a producer may send to: writable queues of
// brokers that have a master, or, when the route carries an orderTopicConf
// ("brokerName:queueNums;..."), exactly the queues it lists. Sorted by broker
// name then queue id. The slice of a route from the Client is shared by
// every caller: read it, do not change it.
func (r *Route) PublishQueues() []client.Queue {
	if r.sealed {
		return r.publish
	}
	return r.publishQueues()
}

func (r *Route) publishQueues() []client.Queue {
	var out []client.Queue
	if conf := r.Data.OrderTopicConf; conf != "" {
		for _, item := range strings.Split(conf, ";") {
			name, nums, ok := strings.Cut(item, ":")
			n, err := strconv.Atoi(nums)
			if !ok || err != nil || n < 0 {
				// A malformed entry is skipped; the official client panics here.
				continue
			}
			for i := 0; i < n; i++ {
				out = append(out, client.Queue{Topic: r.Topic, BrokerName: name, QueueID: i})
			}
		}
		slices.SortFunc(out, client.CompareQueues)
		return out
	}
	for _, q := range r.Data.QueueDatas {
		if q.Perm&PermWrite == 0 || r.MasterAddr(q.BrokerName) == "" {
			continue
		}
		for i := 0; i < q.WriteQueueNums; i++ {
			out = append(out, client.Queue{Topic: r.Topic, BrokerName: q.BrokerName, QueueID: i})
		}
	}
	slices.SortFunc(out, client.CompareQueues)
	return out
}

// SubscribeQueues are the queues a consumer may read: readable queues of
// every broker in the route. Sorted by broker name then queue id.
func (r *Route) SubscribeQueues() []client.Queue {
	var out []client.Queue
	for _, q := range r.Data.QueueDatas {
		if q.Perm&PermRead == 0 {
			continue
		}
		for i := 0; i < q.ReadQueueNums; i++ {
			out = append(out, client.Queue{Topic: r.Topic, BrokerName: q.BrokerName, QueueID: i})
		}
	}
	slices.SortFunc(out, client.CompareQueues)
	return out
}

// asDefault returns TBW102's route reshaped for topic: queue counts capped
// at client.DefaultTopicQueueNums, as the official producers do before the
// broker has created the topic.
func asDefault(topic string, def routes.TopicRoute) *Route {
	d := def
	d.QueueDatas = slices.Clone(def.QueueDatas)
	for i := range d.QueueDatas {
		q := &d.QueueDatas[i]
		q.ReadQueueNums = min(q.ReadQueueNums, client.DefaultTopicQueueNums)
		q.WriteQueueNums = min(q.WriteQueueNums, client.DefaultTopicQueueNums)
	}
	slices.SortFunc(d.QueueDatas, func(a, b routes.QueueData) int { return cmp.Compare(a.BrokerName, b.BrokerName) })
	return (&Route{Topic: topic, Data: d, Default: true}).seal()
}
