package check

import (
	"fmt"
	"time"

	"rocketsim/jepsen/history"
)

// DefaultMaxReconsumeTimes is RocketMQ's maxReconsumeTimes for concurrent
// consumers.
const DefaultMaxReconsumeTimes = 16

// RetryOptions configures the retry and dead-letter checker.
type RetryOptions struct {
	// MaxReconsumeTimes is the consumer's maxReconsumeTimes; 0 or negative
	// means DefaultMaxReconsumeTimes (as in RocketMQ, where -1 means 16).
	MaxReconsumeTimes int `yaml:"max_reconsume_times" json:"max_reconsume_times,omitempty"`
	// RetryDelays[k-1] is the least time between a failed attempt and the
	// attempt with reconsume count k. nil: RocketMQ's, where retry k waits
	// delay level 2+k (10s, 30s, 1m, 2m, ...).
	RetryDelays []time.Duration `yaml:"retry_delays" json:"retry_delays,omitempty"`
	// ClockError bounds how far two clients' clocks may disagree.
	ClockError time.Duration `yaml:"clock_error" json:"clock_error,omitempty"`
	// RequireDLQ says the workload reads the dead-letter queues, so a message
	// that exhausted its retries must be seen there.
	RequireDLQ bool `yaml:"require_dlq" json:"require_dlq,omitempty"`
	// Settle exempts retries and dead-letterings due within Settle of the
	// history's end.
	Settle time.Duration `yaml:"settle" json:"settle,omitempty"`
	// OrderlyGroups retry locally, without the broker's delay levels: their
	// delays are not judged.
	OrderlyGroups []string `yaml:"orderly_groups" json:"orderly_groups,omitempty"`
	// BroadcastGroups do not retry: in broadcasting mode a failed message
	// is dropped, so a missing retry is not judged.
	BroadcastGroups []string `yaml:"broadcast_groups" json:"broadcast_groups,omitempty"`
}

func (o RetryOptions) max() int {
	if o.MaxReconsumeTimes <= 0 {
		return DefaultMaxReconsumeTimes
	}
	return o.MaxReconsumeTimes
}

// retryDelay is the least wait before the attempt with reconsume count k.
func (o RetryOptions) retryDelay(k int) time.Duration {
	if k <= 0 {
		return 0
	}
	if o.RetryDelays != nil {
		if k > len(o.RetryDelays) {
			return o.RetryDelays[len(o.RetryDelays)-1]
		}
		return o.RetryDelays[k-1]
	}
	return levelDelay(DefaultDelayLevels, 2+k)
}

func sendBackFailed(sendBacks []*history.Op, group string, reconsume int) bool {
	for _, sb := range sendBacks {
		if sb.Group == group && sb.Reconsume == reconsume && sb.Type == history.Fail {
			return true
		}
	}
	return false
}

// Retry checks the consume-retry path per group and message: attempt k
// (reconsume count k) comes at least its retry delay after the failed
// attempt k-1; no message is attempted more than 1 + maxReconsumeTimes
// times; a message dead-lettered was failed maxReconsumeTimes+1 times
// first; nothing is both consumed successfully and dead-lettered; a failed
// attempt is followed by a retry, a success, or (after the last) the DLQ.
func Retry(ops []history.Op, opt RetryOptions) Result {
	b := newBuilder("retry")
	b.ensure(countNames["retry"]...)
	ms, err := indexMessages(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	maxRe := opt.max()
	orderly := groupFilter(opt.OrderlyGroups, false)
	broadcast := groupFilter(opt.BroadcastGroups, false)
	deadline := ms.end - int64(opt.Settle)
	var earliness []float64
	for _, id := range ms.ids {
		m := ms.byID[id]
		groups := map[string]bool{}
		for _, r := range m.receives {
			groups[r.Group] = true
		}
		for _, d := range m.dlq {
			groups[d.Group] = true
		}
		for _, g := range sortedKeys(groups) {
			var recv, okAcks, failAcks, dead []*history.Op
			for _, r := range m.receives {
				if r.Group == g {
					recv = append(recv, r)
				}
			}
			for _, a := range m.acks {
				if a.Group != g {
					continue
				}
				if a.Type == history.OK {
					okAcks = append(okAcks, a)
				} else if a.Type == history.Fail {
					failAcks = append(failAcks, a)
				}
			}
			for _, d := range m.dlq {
				if d.Group == g {
					dead = append(dead, d)
				}
			}
			if len(failAcks) > 0 {
				b.add("retried_messages", 1)
			}
			if len(dead) > 0 {
				b.add("dead_lettered", 1)
			}
			if len(okAcks) > 0 && len(dead) > 0 {
				b.anomaly("consumed_and_dead_lettered", id, fmt.Sprintf("group %s consumed %s successfully and it was also dead-lettered", g, id), okAcks[0].Index, dead[0].Index)
			}
			maxFailed := -1
			var lastFail *history.Op
			for _, a := range failAcks {
				if a.Reconsume > maxFailed {
					maxFailed, lastFail = a.Reconsume, a
				}
			}
			if len(dead) > 0 && maxFailed < maxRe {
				b.anomaly("premature_dlq", id, fmt.Sprintf("group %s: %s dead-lettered after failed attempts up to reconsume %d; want %d", g, id, maxFailed, maxRe), dead[0].Index)
			}
			maxSeen := -1
			for _, r := range recv {
				maxSeen = max(maxSeen, r.Reconsume)
				// When the consumer could not send the failed message back
				// (broker down), the official client retries it locally after
				// a fixed pause with the count raised: no delay level applies,
				// and no limit (maxReconsumeTimes is the broker's rule at
				// send-back), so the count may pass it.
				local := r.Reconsume > 0 && sendBackFailed(m.sendBacks, g, r.Reconsume-1)
				if r.Reconsume > maxRe && !local {
					b.anomaly("too_many_attempts", id, fmt.Sprintf("group %s: %s delivered with reconsume %d > maxReconsumeTimes %d", g, id, r.Reconsume, maxRe), r.Index)
				}
				if r.Reconsume == 0 || orderly(g) {
					continue
				}
				// Time the retry from the earliest failed attempt k-1
				// recorded before it. Broker restarts copy a message (a
				// scheduled retry moved again from the last persisted
				// delay offset; a retry redelivered after its offset
				// commit was lost, failed and sent back again), and the
				// history does not say which failure a copy came from.
				// Every copy at k comes from some failure at k-1, none
				// earlier than the first: a retry before the first
				// failure's delay is early whichever its parent was. (A
				// copy early for a later parent but not the first goes
				// unseen: the price of no false alarms.)
				var prev *history.Op
				for _, a := range failAcks {
					if a.Reconsume == r.Reconsume-1 && a.Index < r.Index && (prev == nil || a.Time < prev.Time) {
						prev = a
					}
				}
				if prev == nil {
					continue
				}
				if local {
					b.add("local_retries", 1)
					continue
				}
				wait := time.Duration(r.Time - prev.Time)
				need := opt.retryDelay(r.Reconsume)
				if wait < need-opt.ClockError {
					b.anomaly("early_retry", id, fmt.Sprintf("group %s: %s attempt %d came %v after the failed attempt; the retry delay is %v", g, id, r.Reconsume, wait, need), prev.Index, r.Index)
				}
				earliness = append(earliness, float64(wait-need)/float64(time.Millisecond))
			}
			if lastFail == nil || len(okAcks) > 0 || len(dead) > 0 || broadcast(g) {
				continue
			}
			if maxFailed >= maxRe {
				if opt.RequireDLQ && lastFail.Time <= deadline {
					b.anomaly("dlq_missing", id, fmt.Sprintf("group %s: %s failed its last attempt (reconsume %d) but never reached the DLQ", g, id, maxFailed), lastFail.Index)
				}
				continue
			}
			if maxSeen <= maxFailed && lastFail.Time+int64(opt.retryDelay(maxFailed+1)) <= deadline {
				b.anomaly("retry_lost", id, fmt.Sprintf("group %s: %s failed attempt %d and was never retried", g, id, maxFailed), lastFail.Index)
			}
		}
	}
	addPercentiles(b, "retry_wait_beyond_delay_ms", earliness)
	for _, k := range []string{"consumed_and_dead_lettered", "premature_dlq", "too_many_attempts", "early_retry", "retry_lost", "dlq_missing"} {
		b.limit(k, 0)
	}
	return b.result()
}
