package server

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/broker/topic"
	"rocketsim/remoting"
)

// batchItem is one message of a SEND_BATCH_MESSAGE body.
type batchItem struct {
	flag       int32
	body       []byte
	properties string
}

// errBatchFormat: the batch body is not the format of MessageDecoder.encodeMessages.
var errBatchFormat = errors.New("malformed batch body")

// decodeBatch splits a batch body: per message TOTALSIZE, MAGICCODE, BODYCRC,
// FLAG, BODYLEN, BODY, PROPLEN (int16), PROPERTIES. The frame size bounds
// the body, and so the number of messages.
func decodeBatch(data []byte) ([]batchItem, error) {
	var out []batchItem
	for off := 0; off < len(data); {
		rest := data[off:]
		if len(rest) < 20 {
			return nil, fmt.Errorf("%w: %d trailing bytes at %d", errBatchFormat, len(rest), off)
		}
		total := int(int32(binary.BigEndian.Uint32(rest)))
		if total < 22 || total > len(rest) {
			return nil, fmt.Errorf("%w: message at %d claims %d bytes of %d", errBatchFormat, off, total, len(rest))
		}
		rec := rest[:total]
		flag := int32(binary.BigEndian.Uint32(rec[12:]))
		bodyLen := int(int32(binary.BigEndian.Uint32(rec[16:])))
		if bodyLen < 0 || 20+bodyLen+2 > total {
			return nil, fmt.Errorf("%w: message at %d has body length %d in %d bytes", errBatchFormat, off, bodyLen, total)
		}
		body := rec[20 : 20+bodyLen]
		propLen := int(int16(binary.BigEndian.Uint16(rec[20+bodyLen:])))
		if propLen < 0 || 22+bodyLen+propLen != total {
			return nil, fmt.Errorf("%w: message at %d has properties length %d in %d bytes", errBatchFormat, off, propLen, total)
		}
		out = append(out, batchItem{flag: flag, body: body, properties: string(rec[22+bodyLen : total])})
		off += total
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no messages", errBatchFormat)
	}
	return out, nil
}

// handleSendBatch serves SEND_BATCH_MESSAGE (320). The messages are
// appended one after another on the loop, so nothing interleaves and they
// take consecutive queue offsets, as Java's single batch append does. The
// answer waits for the last put: under SYNC_FLUSH its fsync covers the rest.
// A failure part-way (disk full) leaves the stored prefix in place and
// answers the failure: the client retries, and consumers may see the prefix
// twice, within RocketMQ's at-least-once contract.
func (b *Broker) handleSendBatch(req *remoting.Request, h *sendHeader) {
	if topic.IsRetryTopic(h.topic) {
		b.replyCode(req, remoting.RespMessageIllegal, "batch request does not support retry group "+h.topic)
		return
	}
	items, err := decodeBatch(req.Cmd.Body)
	if err != nil {
		b.replyCode(req, remoting.RespMessageIllegal, err.Error())
		return
	}
	for i, it := range items {
		if _, ok := message.Property(it.properties, message.PropertyDelayLevel); ok {
			b.replyCode(req, remoting.RespMessageIllegal, fmt.Sprintf("message %d: batch message does not support delay", i))
			return
		}
		if v, _ := message.Property(it.properties, message.PropertyTranPrepared); strings.EqualFold(v, "true") {
			b.replyCode(req, remoting.RespMessageIllegal, fmt.Sprintf("message %d: batch message does not support transaction", i))
			return
		}
	}
	if message.TransactionType(h.sysFlag) != message.FlagTransactionNot {
		b.replyCode(req, remoting.RespMessageIllegal, "batch message does not support transaction")
		return
	}
	t, ok := b.checkSend(req, h)
	if !ok {
		return
	}
	born := b.bornHost(req)
	ids := make([]string, 0, len(items))
	var first store.PutResult
	var failed *store.PutResult
	pending := len(items)
	finish := func() {
		pending--
		if pending > 0 {
			return
		}
		final := first
		if failed != nil {
			final = *failed
		}
		resp := b.sendResponse(req, final)
		if stored(final.Status) {
			resp.SetExt("msgId", strings.Join(ids, ","))
			resp.SetExt("queueId", strconv.Itoa(int(t.queueID)))
			resp.SetExt("queueOffset", strconv.FormatInt(first.QueueOffset, 10))
		}
		b.reply(req, resp)
	}
	for i, it := range items {
		if failed != nil && !stored(failed.Status) {
			finish() // nothing more is stored after a refused put
			continue
		}
		props := message.ParseProperties(it.properties)
		props[propCluster] = b.cfg.BrokerClusterName
		m := &store.Message{
			Topic: t.topic.TopicName, QueueID: t.queueID, Flag: it.flag, Body: it.body,
			Properties: message.FormatProperties(props), SysFlag: h.sysFlag &^ message.FlagCompressed,
			BornTimestamp: h.bornTimestamp, BornHost: born, ReconsumeTimes: h.reconsumeTimes,
		}
		b.putReplicated(m, func(res store.PutResult) {
			if i == 0 {
				first = res
			}
			if stored(res.Status) {
				ids = append(ids, res.MsgID)
			}
			if res.Status != store.PutOK && (failed == nil || stored(failed.Status)) {
				r := res
				failed = &r
			}
			finish()
		})
	}
}
