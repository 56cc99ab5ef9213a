package consumer

import (
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"rocketsim/client"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Pull sysFlag bits (Java PullSysFlag).
const (
	pullFlagCommitOffset = 1 << 0
	pullFlagSuspend      = 1 << 1
)

// pullLater pulls pq again after d.
func (c *Consumer) pullLater(pq *processQueue, d time.Duration) {
	c.rt.AfterFunc(d, func() { c.pull(pq) })
}

// pull sends one long-polling PULL_MESSAGE for pq, unless flow control or
// a missing lock holds it back.
func (c *Consumer) pull(pq *processQueue) {
	if pq.dropped || !c.running {
		return
	}
	o := &c.opts
	// Buggify: flow control as if the queue were full, which the client
	// may do at any time; the pull comes FlowControlDelay later.
	if len(pq.msgs) >= o.PullThresholdForQueue || pq.bytes >= o.PullThresholdSizeForQueue || runtime.Buggify(c.rt, "consumer/pull-later") {
		c.pullLater(pq, FlowControlDelay)
		return
	}
	if !o.Orderly && pq.span() > int64(o.ConsumeConcurrentlyMaxSpan) {
		c.pullLater(pq, FlowControlDelay)
		return
	}
	if o.Orderly && !pq.lockValid(c.rt.Monotonic()) {
		c.pullLater(pq, NotLockedDelay)
		return
	}
	q := pq.q
	sub := c.subs[q.Topic]
	if sub == nil {
		return
	}
	r := c.routes.Get(q.Topic)
	addr := ""
	if r != nil {
		addr = r.BrokerAddr(q.BrokerName, pq.brokerID)
	}
	if addr == "" {
		c.pullLater(pq, PullErrorDelay)
		return
	}
	sysFlag := pullFlagSuspend
	commit := c.offsets.read(q)
	if o.Model == Clustering && commit > 0 {
		sysFlag |= pullFlagCommitOffset
	}
	req := remoting.NewRequest(remoting.ReqPullMessage, map[string]string{
		"consumerGroup":        o.Group,
		"topic":                q.Topic,
		"queueId":              strconv.Itoa(q.QueueID),
		"queueOffset":          strconv.FormatInt(pq.nextOffset, 10),
		"maxMsgNums":           strconv.Itoa(o.PullBatchSize),
		"sysFlag":              strconv.Itoa(sysFlag),
		"commitOffset":         strconv.FormatInt(max(commit, 0), 10),
		"suspendTimeoutMillis": strconv.FormatInt(SuspendTimeout.Milliseconds(), 10),
		"subscription":         sub.data.SubString,
		"subVersion":           strconv.FormatInt(sub.data.SubVersion, 10),
		"expressionType":       sub.data.ExpressionType,
		"bname":                q.BrokerName,
	})
	c.Stats.Pulls++
	err := c.ep.Invoke(c.ep.ConnTo(addr), req, PullTimeout, func(resp *remoting.Command, err error) {
		if pq.dropped || !c.running {
			return
		}
		if err != nil {
			c.pullFailed(pq, err)
			return
		}
		c.pulled(pq, sub, resp)
	})
	if err != nil {
		c.pullFailed(pq, err)
	}
}

func (c *Consumer) pullFailed(pq *processQueue, err error) {
	c.Stats.PullErrors++
	c.log.Debug("pull failed", slog.String("queue", pq.q.String()), slog.Any("err", err))
	c.pullLater(pq, PullErrorDelay)
}

// pulled handles a pull response.
func (c *Consumer) pulled(pq *processQueue, sub *subscription, resp *remoting.Command) {
	q := pq.q
	switch resp.Code {
	case remoting.RespSuccess, remoting.RespPullNotFound, remoting.RespPullRetryImmediately, remoting.RespPullOffsetMoved:
	default:
		c.pullFailed(pq, fmt.Errorf("%s: %s", remoting.ResponseName(resp.Code), resp.Remark))
		return
	}
	next, err := resp.ExtInt64("nextBeginOffset")
	if err != nil {
		c.pullFailed(pq, err)
		return
	}
	if id, err := resp.ExtInt64("suggestWhichBrokerId"); err == nil {
		pq.brokerID = id
	}
	switch resp.Code {
	case remoting.RespSuccess:
		msgs, err := client.DecodeMessages(resp.Body, q.BrokerName)
		if err != nil {
			c.pullFailed(pq, err)
			return
		}
		var kept []*client.MessageExt
		for _, m := range msgs {
			if m.QueueOffset < pq.nextOffset {
				continue // already pulled: a broker answering a stale offset
			}
			if sub.tags != nil && !sub.tags[m.Tag()] {
				continue // the broker filters by tag hash; we check the tag itself
			}
			m.QueueID = q.QueueID
			m.SetProperty(client.PropertyMinOffset, resp.Ext("minOffset"))
			m.SetProperty(client.PropertyMaxOffset, resp.Ext("maxOffset"))
			kept = append(kept, m)
		}
		pq.nextOffset = max(pq.nextOffset, next)
		pq.add(kept)
		if len(pq.msgs) == 0 {
			pq.maxOffset = max(pq.maxOffset, next-1)
			c.offsets.update(q, next)
		} else {
			pq.maxOffset = max(pq.maxOffset, next-1)
		}
		c.dispatch(pq)
	case remoting.RespPullOffsetMoved:
		c.log.Info("pull offset moved", slog.String("queue", q.String()), slog.Int64("from", pq.nextOffset), slog.Int64("to", next))
		pq.nextOffset = next
		if len(pq.msgs) == 0 {
			pq.maxOffset = next - 1
			c.offsets.update(q, next)
		}
	default: // nothing new (long poll expired) or nothing matched
		pq.nextOffset = next
		if len(pq.msgs) == 0 {
			pq.maxOffset = max(pq.maxOffset, next-1)
			c.offsets.update(q, next)
		}
	}
	c.pull(pq)
}
