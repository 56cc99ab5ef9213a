package server

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"rocketsim/broker/subscription"
	"rocketsim/broker/topic"
	"rocketsim/remoting"
)

// handleCreateTopic serves UPDATE_AND_CREATE_TOPIC (17).
func (b *Broker) handleCreateTopic(req *remoting.Request) {
	name := req.Cmd.Ext("topic")
	if err := topic.ValidateName(name); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if name == b.cfg.BrokerClusterName {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("the topic[%s] is conflict with system reserved words.", name))
		return
	}
	c := topic.NewConfig(name)
	var bad []string
	num := func(key string, dst *int) {
		if v := req.Cmd.Ext(key); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil {
				bad = append(bad, fmt.Sprintf("%s=%q", key, v))
				return
			}
			*dst = n
		}
	}
	num("readQueueNums", &c.ReadQueueNums)
	num("writeQueueNums", &c.WriteQueueNums)
	num("perm", &c.Perm)
	num("topicSysFlag", &c.TopicSysFlag)
	if v := req.Cmd.Ext("topicFilterType"); v != "" {
		c.TopicFilterType = v
	}
	c.Order = req.Cmd.ExtBool("order")
	if len(bad) > 0 {
		b.replyCode(req, remoting.RespSystemError, "bad values: "+strings.Join(bad, ", "))
		return
	}
	if err := c.Validate(); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if err := b.topics.Update(c); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.topicsChanged()
	b.replyCode(req, remoting.RespSuccess, "")
}

// handleGetAllTopicConfig serves GET_ALL_TOPIC_CONFIG (21): the
// TopicConfigSerializeWrapper.
func (b *Broker) handleGetAllTopicConfig(req *remoting.Request) {
	body, err := b.topics.EncodeCompact()
	b.replyEncoded(req, body, err)
}

// handleDeleteTopic serves DELETE_TOPIC_IN_BROKER (215): the topic's
// configuration, consume queues and consumer offsets go; its records stay in
// the commit log until retention removes them.
func (b *Broker) handleDeleteTopic(req *remoting.Request) {
	name := req.Cmd.Ext("topic")
	if err := topic.ValidateName(name); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if b.topics.IsSystem(name) {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("the topic[%s] is a system topic and cannot be deleted", name))
		return
	}
	if _, err := b.topics.Delete(name); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if err := b.store.DeleteTopic(name); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.offsets.DeleteTopic(name)
	b.topicsChanged()
	b.replyCode(req, remoting.RespSuccess, "")
}

// groupBodyMax bounds a subscription group body.
const groupBodyMax = 1 << 20

// handleUpdateGroup serves UPDATE_AND_CREATE_SUBSCRIPTIONGROUP (200); the
// body is a SubscriptionGroupConfig.
func (b *Broker) handleUpdateGroup(req *remoting.Request) {
	if len(req.Cmd.Body) > groupBodyMax {
		b.replyCode(req, remoting.RespSystemError, "subscription group body too large")
		return
	}
	var g subscription.Group
	if err := json.Unmarshal(req.Cmd.Body, &g); err != nil {
		b.replyCode(req, remoting.RespSystemError, fmt.Sprintf("subscription group body: %v", err))
		return
	}
	// Fields the body leaves out take SubscriptionGroupConfig's defaults.
	def := subscription.NewGroup(g.GroupName)
	var raw map[string]json.RawMessage
	_ = json.Unmarshal(req.Cmd.Body, &raw)
	for key, set := range map[string]func(){
		"consumeEnable":                  func() { g.ConsumeEnable = def.ConsumeEnable },
		"consumeBroadcastEnable":         func() { g.ConsumeBroadcastEnable = def.ConsumeBroadcastEnable },
		"retryQueueNums":                 func() { g.RetryQueueNums = def.RetryQueueNums },
		"retryMaxTimes":                  func() { g.RetryMaxTimes = def.RetryMaxTimes },
		"whichBrokerWhenConsumeSlowly":   func() { g.WhichBrokerWhenConsumeSlowly = def.WhichBrokerWhenConsumeSlowly },
		"notifyConsumerIdsChangedEnable": func() { g.NotifyConsumerIdsChangedEnable = def.NotifyConsumerIdsChangedEnable },
	} {
		if _, ok := raw[key]; !ok {
			set() // each default is independent of the others: order does not matter
		}
	}
	if err := g.Validate(); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if err := b.groups.Update(g); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.replyCode(req, remoting.RespSuccess, "")
}

// handleGetAllGroups serves GET_ALL_SUBSCRIPTIONGROUP_CONFIG (201).
func (b *Broker) handleGetAllGroups(req *remoting.Request) {
	body, err := b.groups.Encode()
	b.replyEncoded(req, body, err)
}

// handleDeleteGroup serves DELETE_SUBSCRIPTIONGROUP (207); with
// removeOffset=true the group's committed offsets go too.
func (b *Broker) handleDeleteGroup(req *remoting.Request) {
	name := req.Cmd.Ext("groupName")
	if _, err := b.groups.Delete(name); err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	if req.Cmd.ExtBool("removeOffset") {
		b.offsets.DeleteGroup(name)
	}
	b.replyCode(req, remoting.RespSuccess, "")
}
