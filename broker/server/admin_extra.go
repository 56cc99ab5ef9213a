package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"rocketsim/properties"
	"rocketsim/remoting"
)

// These serve Java's mqadmin and the dashboard; rocketmq-client-go never
// sends them.

// handleGetAllConsumerOffset serves GET_ALL_CONSUMER_OFFSET (43): the
// consumer offset table as consumerOffset.json holds it.
func (b *Broker) handleGetAllConsumerOffset(req *remoting.Request) {
	b.replyBody(req, b.offsets.Encode())
}

// handleGetAllDelayOffset serves GET_ALL_DELAY_OFFSET (45): the schedule
// service's progress as delayOffset.json holds it.
func (b *Broker) handleGetAllDelayOffset(req *remoting.Request) {
	offs := b.sched.Offsets()
	var buf bytes.Buffer
	buf.WriteString(`{"offsetTable":{`)
	for i, level := range slices.Sorted(maps.Keys(offs)) {
		if i > 0 {
			buf.WriteByte(',')
		}
		fmt.Fprintf(&buf, "%d:%d", level, offs[level])
	}
	buf.WriteString("}}")
	b.replyBody(req, buf.Bytes())
}

// handleGetTopicConfig serves GET_TOPIC_CONFIG (351): one TopicConfig.
func (b *Broker) handleGetTopicConfig(req *remoting.Request) {
	name := req.Cmd.Ext("topic")
	tc, ok := b.topics.Get(name)
	if !ok {
		b.replyCode(req, remoting.RespTopicNotExist, fmt.Sprintf("No topic in this broker. topic: %s", name))
		return
	}
	body, err := json.Marshal(struct {
		TopicConfig any `json:"topicConfig"`
	}{tc})
	if err != nil {
		panic(fmt.Sprintf("encoding a topic config: %v", err)) // plain struct
	}
	b.replyBody(req, body)
}

// producerConnection is Java's ProducerConnection.
type producerConnection struct {
	ConnectionSet []connection `json:"connectionSet"`
}

// handleProducerConnections serves GET_PRODUCER_CONNECTION_LIST (204).
func (b *Broker) handleProducerConnections(req *remoting.Request) {
	group := req.Cmd.Ext("producerGroup")
	chs := b.clients.Producers(group)
	if len(chs) == 0 {
		b.replyCode(req, remoting.RespSystemError, "the producer group["+group+"] not exist")
		return
	}
	pc := producerConnection{ConnectionSet: []connection{}}
	for _, ch := range chs {
		pc.ConnectionSet = append(pc.ConnectionSet, connection{ClientAddr: ch.Addr, ClientID: ch.ClientID,
			Language: ch.Language, Version: ch.Version})
	}
	body, _ := json.Marshal(pc)
	b.replyBody(req, body)
}

// handleConsumedBy serves QUERY_TOPIC_CONSUME_BY_WHO (300): the groups with
// offsets for the topic or online subscribers of it.
func (b *Broker) handleConsumedBy(req *remoting.Request) {
	name := req.Cmd.Ext("topic")
	groups := map[string]bool{}
	for _, g := range b.offsets.Groups(name) {
		groups[g] = true
	}
	for _, g := range b.clients.ConsumerGroups() {
		if cg, ok := b.clients.Consumer(g); ok {
			if _, sub := cg.Subscription(name); sub {
				groups[g] = true
			}
		}
	}
	body, _ := json.Marshal(struct {
		GroupList []string `json:"groupList"`
	}{slices.Sorted(maps.Keys(groups))})
	b.replyBody(req, body)
}

// handleGetBrokerConfig serves GET_BROKER_CONFIG (26): the effective
// configuration as properties text, with the topic table's data version.
func (b *Broker) handleGetBrokerConfig(req *remoting.Request) {
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	v := b.topics.Version()
	resp.SetExt("version", fmt.Sprintf(`{"counter":%s,"timestamp":%s}`,
		strconv.FormatInt(v.Counter, 10), strconv.FormatInt(v.Timestamp, 10)))
	resp.Body = []byte(properties.Dump(&b.cfg))
	b.reply(req, resp)
}
