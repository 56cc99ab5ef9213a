package consumer

import (
	"encoding/json"
	"log/slog"
	"regexp"
	"strconv"

	"rocketsim/client"
	"rocketsim/remoting"
)

// resetEntry matches one queue and offset in a reset body, in either form
// brokers write: fastjson's object keys ({{mq}:5,...}) or Gson's pairs
// ([[{mq},5],...]).
var resetEntry = regexp.MustCompile(`(\{[^{}]*\})\s*[:,]\s*(-?\d+)`)

// ResetEntriesMax bounds the queues one reset may name.
const ResetEntriesMax = 1 << 16

// parseResetBody reads RESET_CONSUMER_CLIENT_OFFSET's offset table.
func parseResetBody(body []byte) map[client.Queue]int64 {
	out := map[client.Queue]int64{}
	for _, m := range resetEntry.FindAllSubmatch(body, ResetEntriesMax) {
		var q wireQueue
		if err := json.Unmarshal(m[1], &q); err != nil || q.Topic == "" {
			continue
		}
		off, err := strconv.ParseInt(string(m[2]), 10, 64)
		if err != nil {
			continue
		}
		out[client.Queue{Topic: q.Topic, BrokerName: q.BrokerName, QueueID: q.QueueID}] = off
	}
	return out
}

// handleReset serves RESET_CONSUMER_CLIENT_OFFSET (220), the broker passing
// on an operator's reset of the group's offsets: each named queue restarts
// at its new offset, which is committed at once.
func (c *Consumer) handleReset(req *remoting.Request) {
	if g := req.Cmd.Ext("group"); g != c.opts.Group || !c.running {
		return
	}
	table := parseResetBody(req.Cmd.Body)
	queues := make([]client.Queue, 0, len(table))
	for q, off := range table {
		if off >= 0 { // a negative offset names no position
			queues = append(queues, q)
		}
	}
	sortQueues(queues)
	c.log.Info("offsets reset by the broker", slog.String("topic", req.Cmd.Ext("topic")), slog.Int("queues", len(queues)))
	for _, q := range queues {
		off := table[q]
		if c.pqs[q] != nil {
			_ = c.Seek(q, off) // owned: Seek cannot fail
		} else {
			c.offsets.table[q] = off
			c.offsets.dirty[q] = true
		}
	}
	for _, q := range queues {
		c.offsets.persist(q, func() {})
	}
}
