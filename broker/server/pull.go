package server

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"rocketsim/broker/client"
	"rocketsim/broker/filter"
	"rocketsim/broker/store"
	"rocketsim/broker/subscription"
	"rocketsim/broker/topic"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Pull sysFlag bits (Java PullSysFlag).
const (
	pullFlagCommitOffset = 1 << 0
	pullFlagSuspend      = 1 << 1
	pullFlagSubscription = 1 << 2
	pullFlagClassFilter  = 1 << 3 // the removed class filter: ignored
)

// SuspendMax caps how long a pull is held whatever the client asks: the
// official Go client asks 20 s and gives up after 30 s, Java clients ask 15 s
// (brokerSuspendMaxTimeMillis); holding at most 15 s answers both in time.
const SuspendMax = 15 * time.Second

// pullMsgNumsMax bounds maxMsgNums whatever the client asks; the store also
// bounds a pull by maxTransferCount/BytesOnMessageInMemory.
const pullMsgNumsMax = 1024

type pullHeader struct {
	group          string
	topic          string
	queueID        int32
	queueOffset    int64
	maxMsgNums     int
	sysFlag        int
	commitOffset   int64
	suspendTimeout time.Duration
	subscription   string
	subVersion     int64
	expressionType string
}

func parsePullHeader(cmd *remoting.Command) (pullHeader, error) {
	var h pullHeader
	var err error
	num := func(name string, required bool) int64 {
		v := cmd.Ext(name)
		if v == "" {
			if required && err == nil {
				err = fmt.Errorf("the custom field <%s> is null", name)
			}
			return 0
		}
		n, perr := strconv.ParseInt(v, 10, 64)
		if perr != nil && err == nil {
			err = fmt.Errorf("the custom field <%s> is not a number: %q", name, v)
		}
		return n
	}
	h.group = cmd.Ext("consumerGroup")
	h.topic = cmd.Ext("topic")
	h.queueID = int32(num("queueId", true))
	h.queueOffset = num("queueOffset", true)
	h.maxMsgNums = int(num("maxMsgNums", true))
	h.sysFlag = int(num("sysFlag", true))
	h.commitOffset = num("commitOffset", false)
	h.suspendTimeout = time.Duration(num("suspendTimeoutMillis", false)) * time.Millisecond
	h.subscription = cmd.Ext("subscription")
	h.subVersion = num("subVersion", false)
	h.expressionType = cmd.Ext("expressionType")
	if err == nil && (h.group == "" || h.topic == "") {
		err = fmt.Errorf("the custom fields <consumerGroup> and <topic> are required")
	}
	return h, err
}

// pullCall is one PULL_MESSAGE being served, perhaps across a hold.
type pullCall struct {
	req      *remoting.Request
	h        pullHeader
	deadline time.Duration // monotonic; zero until held
}

// handlePull serves PULL_MESSAGE (11).
func (b *Broker) handlePull(req *remoting.Request) {
	h, err := parsePullHeader(req.Cmd)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.pull(&pullCall{req: req, h: h}, true)
}

// pull runs a pull. first is the request's first run (Java's
// brokerAllowSuspend): only then is the piggy-backed offset committed. A run
// that finds nothing on a request with the suspend flag is held until a
// message arrives on the queue or its time runs out.
func (b *Broker) pull(p *pullCall, first bool) {
	resp, ok := b.pullOnce(p, first)
	if !ok {
		return // answered with an error
	}
	// Buggify: answer at once, as a broker with long polling off
	// (brokerAllowSuspend false) does; the client pulls again.
	if resp.Code == remoting.RespPullNotFound && p.h.sysFlag&pullFlagSuspend != 0 && !runtime.Buggify(b.rt, "broker/pull-no-hold") {
		now := b.rt.Monotonic()
		if first {
			wait := b.cfg.ShortPollingTimeMills
			if b.cfg.LongPollingEnable {
				wait = min(p.h.suspendTimeout, SuspendMax)
			}
			p.deadline = now + wait
		}
		if left := p.deadline - now; left > 0 {
			held := b.holds.Hold(p.h.topic, p.h.queueID, p.req.Conn.ID(), left, func(timedOut bool) {
				if timedOut {
					b.pullFinal(p)
					return
				}
				b.stats.PullsWoken++
				b.pull(p, false)
			})
			if held {
				b.stats.PullsHeld++
				return
			}
		}
	}
	b.reply(p.req, resp)
}

// pullFinal answers a held pull whose time ran out with whatever is there
// now (usually PULL_NOT_FOUND).
func (b *Broker) pullFinal(p *pullCall) {
	if resp, ok := b.pullOnce(p, false); ok {
		b.reply(p.req, resp)
	}
}

// pullOnce checks the request and reads the store. It answers errors itself
// (ok false); otherwise it returns the response to send, unsent.
func (b *Broker) pullOnce(p *pullCall, first bool) (*remoting.Command, bool) {
	req, h := p.req, &p.h
	fail := func(code int16, remark string) (*remoting.Command, bool) {
		b.replyCode(req, code, remark)
		return nil, false
	}
	if !topic.Readable(b.cfg.BrokerPermission) {
		return fail(remoting.RespNoPermission, fmt.Sprintf("the broker[%s] pulling message is forbidden", b.addr))
	}
	g, err := b.findGroup(h.group)
	if err != nil {
		return fail(remoting.RespSubscriptionGroupNotExist,
			fmt.Sprintf("subscription group [%s] does not exist: %v", h.group, err))
	}
	if !g.ConsumeEnable {
		return fail(remoting.RespNoPermission, "subscription group no permission, "+h.group)
	}
	tc, ok := b.topics.Get(h.topic)
	if !ok {
		return fail(remoting.RespTopicNotExist, fmt.Sprintf("topic[%s] not exist, apply first please!", h.topic))
	}
	if !topic.Readable(tc.Perm) {
		return fail(remoting.RespNoPermission, fmt.Sprintf("the topic[%s] pulling message is forbidden", h.topic))
	}
	if h.queueID < 0 || int(h.queueID) >= tc.ReadQueueNums {
		return fail(remoting.RespSystemError, fmt.Sprintf("queueId[%d] is illegal, topic:[%s] topicConfig.readQueueNums:[%d] consumer:[%s]",
			h.queueID, h.topic, tc.ReadQueueNums, req.Conn.RemoteAddr()))
	}
	f, code, remark := b.pullFilter(h, g)
	if f == nil {
		return fail(code, remark)
	}
	n := h.maxMsgNums
	if n <= 0 || n > pullMsgNumsMax {
		n = pullMsgNumsMax
	}
	if runtime.Buggify(b.rt, "broker/pull-one") {
		// Fewer messages than asked is always allowed (the store stops at
		// its byte limits too): the client must carry on from
		// nextBeginOffset.
		n = 1
	}
	res := b.store.GetMessage(h.topic, h.queueID, h.queueOffset, n, f)
	resp := remoting.NewResponse(req.Cmd, pullCode(res.Status, h.queueOffset), "")
	resp.SetExt("nextBeginOffset", strconv.FormatInt(res.NextBeginOffset, 10))
	resp.SetExt("minOffset", strconv.FormatInt(res.MinOffset, 10))
	resp.SetExt("maxOffset", strconv.FormatInt(res.MaxOffset, 10))
	suggest := int64(0) // MixAll.MASTER_ID
	if b.cfg.SlaveReadEnable {
		suggest = g.BrokerID
		if res.SuggestPullingFromSlave {
			suggest = g.WhichBrokerWhenConsumeSlowly
		}
	} else if !b.cfg.BrokerRole.IsMaster() {
		// Java's PullMessageProcessor: a slave that may not serve reads
		// answers PULL_RETRY_IMMEDIATELY, suggesting the master, with
		// the nextBeginOffset of what it found. A client that falls back
		// to the slave while the master is down (its only address in the
		// route) moves past those messages without them: RocketMQ 4.x
		// consumers read from a slave only with slaveReadEnable=true.
		resp.Code = remoting.RespPullRetryImmediately
	}
	resp.SetExt("suggestWhichBrokerId", strconv.FormatInt(suggest, 10))
	if resp.Code == remoting.RespSuccess {
		res.Records = b.bugPullRecords(h.topic, res.Records) // test-only switch, off in production
		resp.Body = res.Body()
		b.stats.GetMessages += int64(len(res.Records))
	}
	if first && h.sysFlag&pullFlagCommitOffset != 0 && b.cfg.BrokerRole.IsMaster() {
		b.offsets.Commit(h.group, h.topic, h.queueID, h.commitOffset)
	}
	return resp, true
}

// pullFilter finds the subscription a pull is served by: the one the
// request carries (sysFlag bit 2, pull consumers) or the one the group's
// heartbeat registered. On failure it returns the code and remark to answer.
func (b *Broker) pullFilter(h *pullHeader, g subscription.Group) (*filter.Filter, int16, string) {
	if h.sysFlag&pullFlagSubscription != 0 {
		sd, err := filter.NewSubscription(h.topic, h.subscription, h.expressionType, h.subVersion)
		if err != nil {
			return nil, remoting.RespSubscriptionParseFailed, "parse the consumer's subscription failed: " + err.Error()
		}
		f, err := filter.Compile(*sd, b.cfg.EnablePropertyFilter)
		if err != nil {
			return nil, filterErrorCode(err), fmt.Sprintf("parse the consumer's subscription[%s] failed: %v", h.subscription, err)
		}
		return f, 0, ""
	}
	cg, ok := b.clients.Consumer(h.group)
	if !ok {
		return nil, remoting.RespSubscriptionNotExist, fmt.Sprintf("the consumer's group info not exist, group: %s", h.group)
	}
	if !g.ConsumeBroadcastEnable && cg.MessageModel == client.Broadcasting {
		return nil, remoting.RespNoPermission, fmt.Sprintf("the consumer group[%s] can not consume by broadcast way", h.group)
	}
	s, ok := cg.Subscription(h.topic)
	if !ok {
		return nil, remoting.RespSubscriptionNotExist, fmt.Sprintf("the consumer's subscription not exist, group: %s topic: %s", h.group, h.topic)
	}
	if s.Data.SubVersion < h.subVersion {
		return nil, remoting.RespSubscriptionNotLatest, fmt.Sprintf("the consumer's subscription not latest, group: %s topic: %s", h.group, h.topic)
	}
	if s.Err != nil {
		return nil, filterErrorCode(s.Err), fmt.Sprintf("the consumer's subscription[%s] does not compile: %v", s.Data.SubString, s.Err)
	}
	return s.Filter, 0, ""
}

// filterErrorCode is what Java answers for a subscription it cannot use:
// SYSTEM_ERROR for an unsupported type, SUBSCRIPTION_PARSE_FAILED otherwise.
func filterErrorCode(err error) int16 {
	if errors.Is(err, filter.ErrUnsupportedType) {
		return remoting.RespSystemError
	}
	return remoting.RespSubscriptionParseFailed
}

// pullCode maps the store's answer to a response code, as Java's
// PullMessageProcessor does.
func pullCode(st store.GetStatus, requestOffset int64) int16 {
	switch st {
	case store.Found:
		return remoting.RespSuccess
	case store.MessageWasRemoving, store.NoMatchedMessage:
		return remoting.RespPullRetryImmediately
	case store.NoMatchedLogicQueue, store.NoMessageInQueue:
		if requestOffset != 0 {
			return remoting.RespPullOffsetMoved
		}
		return remoting.RespPullNotFound
	case store.OffsetFoundNull, store.OffsetOverflowOne:
		return remoting.RespPullNotFound
	case store.OffsetOverflowBadly, store.OffsetTooSmall:
		return remoting.RespPullOffsetMoved
	default:
		panic(fmt.Sprintf("unknown store get status %v", st))
	}
}
