package server

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"rocketsim/broker/client"
	"rocketsim/broker/lock"
	"rocketsim/broker/subscription"
	"rocketsim/broker/topic"
	"rocketsim/remoting"
)

// findGroup returns a consumer group's configuration, creating it when
// autoCreateSubscriptionGroup allows. A group that exists in memory but whose
// creation could not be persisted is returned (the next write persists it).
func (b *Broker) findGroup(name string) (subscription.Group, error) {
	g, _, err := b.groups.Find(name)
	if err == nil {
		return g, nil
	}
	if errors.Is(err, subscription.ErrNoGroup) || errors.Is(err, subscription.ErrBadName) {
		return g, err
	}
	b.log.Error("persisting a new subscription group", slog.String("group", name), slog.Any("err", err))
	if g2, ok := b.groups.Get(name); ok {
		return g2, nil
	}
	return g, err
}

// handleHeartbeat serves HEART_BEAT (34): it records the client's producer
// and consumer groups on this connection, creates each consumer group's
// retry topic, and tells a group's members when its membership or
// subscriptions changed.
func (b *Broker) handleHeartbeat(req *remoting.Request) {
	hb, err := client.DecodeHeartbeat(req.Cmd.Body)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	ch := client.Channel{ConnID: req.Conn.ID(), ClientID: hb.ClientID, Addr: req.Conn.RemoteAddr(),
		Language: req.Cmd.Language, Version: req.Cmd.Version, LastUpdate: b.rt.Monotonic()}
	var bad []string
	for _, cd := range hb.ConsumerDataSet {
		// Java registers the consumer even when its group has no config
		// (autoCreateSubscriptionGroup off): its pulls are the ones refused,
		// with SUBSCRIPTION_GROUP_NOT_EXIST.
		notify := true
		if g, err := b.findGroup(cd.GroupName); err == nil {
			notify = g.NotifyConsumerIdsChangedEnable
			if g.RetryQueueNums > 0 {
				_, created, err := b.topics.CreateInSendBack(topic.RetryTopic(cd.GroupName), g.RetryQueueNums, topic.PermReadWrite, 0)
				if created {
					b.topicsChanged()
				}
				if err != nil && !created {
					b.log.Warn("creating retry topic", slog.String("group", cd.GroupName), slog.Any("err", err))
				}
			}
		}
		if b.clients.RegisterConsumer(cd, ch) && notify {
			b.notifyConsumerIdsChanged(cd.GroupName)
		}
		if cg, ok := b.clients.Consumer(cd.GroupName); ok {
			for _, t := range cg.Topics() {
				if s, _ := cg.Subscription(t); s.Err != nil {
					bad = append(bad, fmt.Sprintf("group %s topic %s expression %q: %v", cd.GroupName, t, s.Data.SubString, s.Err))
				}
			}
		}
	}
	for _, pd := range hb.ProducerDataSet {
		b.clients.RegisterProducer(pd.GroupName, ch)
	}
	if len(bad) > 0 {
		// The rest of the heartbeat is registered; clients only log a
		// failed heartbeat, and pulls of the bad subscription answer
		// SUBSCRIPTION_PARSE_FAILED with the same words.
		b.replyCode(req, remoting.RespSubscriptionParseFailed, strings.Join(bad, "; "))
		return
	}
	b.replyCode(req, remoting.RespSuccess, "")
}

// handleUnregisterClient serves UNREGISTER_CLIENT (35).
func (b *Broker) handleUnregisterClient(req *remoting.Request) {
	if pg := req.Cmd.Ext("producerGroup"); pg != "" {
		b.clients.UnregisterProducer(pg, req.Conn.ID())
	}
	if cg := req.Cmd.Ext("consumerGroup"); cg != "" {
		if b.clients.UnregisterConsumer(cg, req.Conn.ID()) {
			b.notifyConsumerIdsChanged(cg)
		}
	}
	b.replyCode(req, remoting.RespSuccess, "")
}

// notifyConsumerIdsChanged sends NOTIFY_CONSUMER_IDS_CHANGED (40) oneway to
// every member of group, so they rebalance now rather than within 20 s.
func (b *Broker) notifyConsumerIdsChanged(group string) {
	if !b.cfg.NotifyConsumerIdsChangedEnable || b.stopped {
		return
	}
	if g, ok := b.groups.Get(group); ok && !g.NotifyConsumerIdsChangedEnable {
		return
	}
	cg, ok := b.clients.Consumer(group)
	if !ok {
		return
	}
	for _, ch := range cg.Channels() {
		c, ok := b.conns[ch.ConnID]
		if !ok {
			continue
		}
		cmd := remoting.NewRequest(remoting.ReqNotifyConsumerIdsChanged, map[string]string{"consumerGroup": group})
		if err := b.ep.InvokeOneway(c, cmd); err != nil {
			b.log.Debug("notify consumer ids changed", slog.String("client", ch.ClientID), slog.Any("err", err))
		}
	}
}

// consumerList is GetConsumerListByGroupResponseBody.
type consumerList struct {
	ConsumerIDList []string `json:"consumerIdList"`
}

// handleGetConsumerList serves GET_CONSUMER_LIST_BY_GROUP (38).
func (b *Broker) handleGetConsumerList(req *remoting.Request) {
	group := req.Cmd.Ext("consumerGroup")
	cg, ok := b.clients.Consumer(group)
	if !ok || len(cg.ClientIDs()) == 0 {
		b.replyCode(req, remoting.RespSystemError, "no consumer for this group, "+group)
		return
	}
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.Body, _ = json.Marshal(consumerList{ConsumerIDList: cg.ClientIDs()})
	b.reply(req, resp)
}

// lockBody is LockBatchRequestBody / UnlockBatchRequestBody.
type lockBody struct {
	ConsumerGroup  string       `json:"consumerGroup"`
	ClientID       string       `json:"clientId"`
	OnlyThisBroker bool         `json:"onlyThisBroker"`
	MQSet          []lock.Queue `json:"mqSet"`
}

// lockQueuesMax bounds the queues of one lock request: a group's whole
// assignment on one broker fits many times over.
const lockQueuesMax = 1 << 14

func decodeLockBody(body []byte) (lockBody, error) {
	var lb lockBody
	if err := json.Unmarshal(body, &lb); err != nil {
		return lb, fmt.Errorf("lock body: %w", err)
	}
	if lb.ConsumerGroup == "" || lb.ClientID == "" {
		return lb, errors.New("lock body: consumerGroup and clientId are required")
	}
	if len(lb.MQSet) > lockQueuesMax {
		return lb, fmt.Errorf("lock body: %d queues exceed %d", len(lb.MQSet), lockQueuesMax)
	}
	return lb, nil
}

// handleLockBatch serves LOCK_BATCH_MQ (41).
func (b *Broker) handleLockBatch(req *remoting.Request) {
	lb, err := decodeLockBody(req.Cmd.Body)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	locked := b.locks.TryLock(lb.ConsumerGroup, lb.ClientID, lb.MQSet, b.rt.Monotonic())
	if locked == nil {
		locked = []lock.Queue{}
	}
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.Body, _ = json.Marshal(struct {
		LockOKMQSet []lock.Queue `json:"lockOKMQSet"`
	}{locked})
	b.reply(req, resp)
}

// handleUnlockBatch serves UNLOCK_BATCH_MQ (42).
func (b *Broker) handleUnlockBatch(req *remoting.Request) {
	lb, err := decodeLockBody(req.Cmd.Body)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.locks.Unlock(lb.ConsumerGroup, lb.ClientID, lb.MQSet)
	b.replyCode(req, remoting.RespSuccess, "")
}
