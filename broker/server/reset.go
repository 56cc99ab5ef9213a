package server

import (
	"bytes"
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/remoting"
)

// handleResetOffset serves INVOKE_BROKER_TO_RESET_OFFSET (222), what
// mqadmin resetOffsetByTime sends: for each queue of the topic it finds the
// first offset stored at or after the timestamp (-1: the end), keeps the
// group's committed offset when it is already earlier unless isForce, and
// tells every online consumer of the group with RESET_CONSUMER_CLIENT_OFFSET
// (220); the consumers then commit the new offsets. Java refuses the whole
// reset when one queue has no committed offset; we reset such a queue to the
// timestamp's offset, which is what the operator asked for.
func (b *Broker) handleResetOffset(req *remoting.Request) {
	cmd := req.Cmd
	name, group := cmd.Ext("topic"), cmd.Ext("group")
	ts, err := cmd.ExtInt64("timestamp")
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	force := cmd.Ext("isForce") == "" || cmd.ExtBool("isForce")
	tc, ok := b.topics.Get(name)
	if !ok {
		b.replyCode(req, remoting.RespSystemError, "[reset-offset] reset offset failed, no topic in this broker. topic="+name)
		return
	}
	offsets := make([]int64, tc.WriteQueueNums)
	for q := range offsets {
		target := b.store.MaxOffsetInQueue(name, int32(q))
		if ts != -1 {
			if target, err = b.store.OffsetInQueueByTime(name, int32(q), ts); err != nil || target < 0 {
				target = 0
			}
		}
		committed := b.offsets.Query(group, name, int32(q))
		if force || committed < 0 || target < committed {
			offsets[q] = target
		} else {
			offsets[q] = committed
		}
	}
	body := mqTable("offsetTable", name, b.cfg.BrokerName, len(offsets), func(buf *bytes.Buffer, q int) {
		buf.WriteString(strconv.FormatInt(offsets[q], 10))
	})
	cg, ok := b.clients.Consumer(group)
	if !ok || len(cg.Channels()) == 0 {
		b.replyCode(req, remoting.RespConsumerNotOnline, fmt.Sprintf(
			"Consumer not online, so can not reset offset, Group: %s Topic: %s Timestamp: %d", group, name, ts))
		return
	}
	for _, ch := range cg.Channels() {
		c, ok := b.conns[ch.ConnID]
		if !ok {
			continue
		}
		notify := remoting.NewRequest(remoting.ReqResetConsumerClientOffset, map[string]string{
			"topic": name, "group": group, "timestamp": strconv.FormatInt(ts, 10), "isForce": strconv.FormatBool(force)})
		notify.Body = body
		if err := b.ep.InvokeOneway(c, notify); err != nil {
			b.log.Warn("reset offset: telling a consumer failed", slog.String("client", ch.ClientID), slog.Any("err", err))
		}
	}
	resp := remoting.NewResponse(cmd, remoting.RespSuccess, "")
	resp.Body = body
	b.reply(req, resp)
}
