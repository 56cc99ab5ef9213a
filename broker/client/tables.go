package client

import (
	"cmp"
	"maps"
	"slices"
	"time"

	"rocketsim/broker/filter"
)

// Channel is one client connection as a group sees it (Java ClientChannelInfo).
type Channel struct {
	ConnID   uint64
	ClientID string
	Addr     string
	Language string
	Version  int16
	// LastUpdate is the node's monotonic time of the last heartbeat.
	LastUpdate time.Duration
}

// Subscription is one topic a consumer group subscribes to, compiled.
type Subscription struct {
	Data filter.SubscriptionData
	// Filter is the compiled subscription; nil when Err is set.
	Filter *filter.Filter
	// Err says why the expression does not compile; pulls answer it.
	Err error
}

// ConsumerGroup is one consumer group's live members and subscriptions
// (Java ConsumerGroupInfo).
type ConsumerGroup struct {
	Name             string
	ConsumeType      string
	MessageModel     string
	ConsumeFromWhere string
	channels         map[uint64]*Channel
	subs             map[string]*Subscription
}

// Subscription returns the group's subscription to topic.
func (g *ConsumerGroup) Subscription(topic string) (*Subscription, bool) {
	s, ok := g.subs[topic]
	return s, ok
}

// Topics returns the subscribed topics, sorted.
func (g *ConsumerGroup) Topics() []string { return slices.Sorted(maps.Keys(g.subs)) }

// Channels returns the group's connections by connection id.
func (g *ConsumerGroup) Channels() []*Channel {
	out := make([]*Channel, 0, len(g.channels))
	for _, id := range slices.Sorted(maps.Keys(g.channels)) {
		out = append(out, g.channels[id])
	}
	return out
}

// ClientIDs returns the distinct client ids of the group, sorted: what
// GET_CONSUMER_LIST_BY_GROUP answers.
func (g *ConsumerGroup) ClientIDs() []string {
	seen := map[string]bool{}
	for _, c := range g.channels {
		seen[c.ClientID] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// Tables are the producer and consumer tables of a broker.
type Tables struct {
	enablePropertyFilter bool
	consumers            map[string]*ConsumerGroup
	producers            map[string]map[uint64]*Channel
	// lastSeen is each connection's last heartbeat, for expiry.
	lastSeen map[uint64]time.Duration
}

// New returns empty tables; enablePropertyFilter decides whether SQL92
// subscriptions compile.
func New(enablePropertyFilter bool) *Tables {
	return &Tables{
		enablePropertyFilter: enablePropertyFilter,
		consumers:            map[string]*ConsumerGroup{},
		producers:            map[string]map[uint64]*Channel{},
		lastSeen:             map[uint64]time.Duration{},
	}
}

// Consumer returns a consumer group's live state.
func (t *Tables) Consumer(group string) (*ConsumerGroup, bool) {
	g, ok := t.consumers[group]
	return g, ok
}

// ConsumerGroups returns the names of the groups with live members, sorted.
func (t *Tables) ConsumerGroups() []string { return slices.Sorted(maps.Keys(t.consumers)) }

// Producers returns a producer group's connections by id.
func (t *Tables) Producers(group string) []*Channel {
	m := t.producers[group]
	out := make([]*Channel, 0, len(m))
	for _, id := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[id])
	}
	return out
}

// ProducerGroups returns the producer groups with live members, sorted.
func (t *Tables) ProducerGroups() []string { return slices.Sorted(maps.Keys(t.producers)) }

// RegisterProducer records a heartbeat of a producer group member.
func (t *Tables) RegisterProducer(group string, ch Channel) {
	m, ok := t.producers[group]
	if !ok {
		m = map[uint64]*Channel{}
		t.producers[group] = m
	}
	c := ch
	m[ch.ConnID] = &c
	t.lastSeen[ch.ConnID] = ch.LastUpdate
}

// RegisterConsumer records a heartbeat of a consumer group member. It
// reports whether the group changed in a way its members must hear of: a new
// connection, or a subscription added or dropped (Java's r1 || r2).
func (t *Tables) RegisterConsumer(cd ConsumerData, ch Channel) bool {
	g, ok := t.consumers[cd.GroupName]
	if !ok {
		g = &ConsumerGroup{Name: cd.GroupName, channels: map[uint64]*Channel{}, subs: map[string]*Subscription{}}
		t.consumers[cd.GroupName] = g
	}
	g.ConsumeType, g.MessageModel, g.ConsumeFromWhere = cd.ConsumeType, cd.MessageModel, cd.ConsumeFromWhere
	t.lastSeen[ch.ConnID] = ch.LastUpdate
	changed := false
	if old, ok := g.channels[ch.ConnID]; !ok || old.ClientID != ch.ClientID {
		changed = true
	}
	c := ch
	g.channels[ch.ConnID] = &c

	present := map[string]bool{}
	for _, sd := range cd.SubscriptionDataSet {
		present[sd.Topic] = true
		old, ok := g.subs[sd.Topic]
		if ok && sd.SubVersion <= old.Data.SubVersion {
			continue
		}
		if !ok {
			changed = true
		}
		s := &Subscription{Data: sd}
		s.Filter, s.Err = filter.Compile(sd, t.enablePropertyFilter)
		g.subs[sd.Topic] = s
	}
	for _, topic := range slices.Sorted(maps.Keys(g.subs)) {
		if !present[topic] {
			delete(g.subs, topic)
			changed = true
		}
	}
	return changed
}

// UnregisterConsumer removes one connection from a consumer group (the
// UNREGISTER_CLIENT request); it reports whether it was a member.
func (t *Tables) UnregisterConsumer(group string, connID uint64) bool {
	g, ok := t.consumers[group]
	if !ok {
		return false
	}
	if _, ok := g.channels[connID]; !ok {
		return false
	}
	delete(g.channels, connID)
	if len(g.channels) == 0 {
		delete(t.consumers, group)
	}
	return true
}

// UnregisterProducer removes one connection from a producer group.
func (t *Tables) UnregisterProducer(group string, connID uint64) {
	if m, ok := t.producers[group]; ok {
		delete(m, connID)
		if len(m) == 0 {
			delete(t.producers, group)
		}
	}
}

// ConnClosed forgets a connection everywhere and returns the consumer groups
// that lost a member, sorted, so the broker can tell the rest.
func (t *Tables) ConnClosed(connID uint64) []string {
	delete(t.lastSeen, connID)
	for _, name := range slices.Sorted(maps.Keys(t.producers)) {
		t.UnregisterProducer(name, connID)
	}
	var lost []string
	for _, name := range slices.Sorted(maps.Keys(t.consumers)) {
		if t.UnregisterConsumer(name, connID) {
			lost = append(lost, name)
		}
	}
	return lost
}

// Expired returns the connections whose last heartbeat is older than
// timeout at monotonic time now, by id. The broker closes them, and their
// close removes them from the tables.
func (t *Tables) Expired(now, timeout time.Duration) []uint64 {
	var out []uint64
	for id, seen := range t.lastSeen {
		if now-seen > timeout {
			out = append(out, id)
		}
	}
	slices.SortFunc(out, cmp.Compare[uint64])
	return out
}
