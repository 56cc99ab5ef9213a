package producer

import (
	"encoding/binary"
	"strconv"

	"rocketsim/broker/store/message"
	"rocketsim/client"
	"rocketsim/remoting"
)

// SysFlag bits a producer sets (Java MessageSysFlag).
const (
	SysFlagCompressed          int32 = 0x1
	SysFlagTransactionPrepared int32 = 0x4
)

// Header is SendMessageRequestHeader: what a send carries besides the body.
type Header struct {
	Group             string
	Topic             string
	QueueID           int
	SysFlag           int32
	BornTimestamp     int64 // milliseconds, the producer's wall clock
	Flag              int32
	Properties        string
	ReconsumeTimes    int32
	MaxReconsumeTimes int32
	Batch             bool
	BrokerName        string
}

// RequestV1 builds SEND_MESSAGE (10) with Java's long header names, as
// rocketmq-client-go sends single messages.
func RequestV1(h Header, body []byte) *remoting.Command {
	cmd := remoting.NewRequest(remoting.ReqSendMessage, map[string]string{
		"producerGroup":         h.Group,
		"topic":                 h.Topic,
		"defaultTopic":          client.DefaultTopic,
		"defaultTopicQueueNums": strconv.Itoa(client.DefaultTopicQueueNums),
		"queueId":               strconv.Itoa(h.QueueID),
		"sysFlag":               strconv.Itoa(int(h.SysFlag)),
		"bornTimestamp":         strconv.FormatInt(h.BornTimestamp, 10),
		"flag":                  strconv.Itoa(int(h.Flag)),
		"properties":            h.Properties,
		"reconsumeTimes":        strconv.Itoa(int(h.ReconsumeTimes)),
		"unitMode":              "false",
		"maxReconsumeTimes":     strconv.Itoa(int(h.MaxReconsumeTimes)),
		"batch":                 strconv.FormatBool(h.Batch),
		"bname":                 h.BrokerName,
	})
	cmd.Body = body
	return cmd
}

// RequestV2 builds a send with the compact one-letter names (Java
// SendMessageRequestHeaderV2) under code: SEND_BATCH_MESSAGE (320) for
// batches, as rocketmq-client-go does, or SEND_MESSAGE_V2 (310).
func RequestV2(code int16, h Header, body []byte) *remoting.Command {
	cmd := remoting.NewRequest(code, map[string]string{
		"a": h.Group,
		"b": h.Topic,
		"c": client.DefaultTopic,
		"d": strconv.Itoa(client.DefaultTopicQueueNums),
		"e": strconv.Itoa(h.QueueID),
		"f": strconv.Itoa(int(h.SysFlag)),
		"g": strconv.FormatInt(h.BornTimestamp, 10),
		"h": strconv.Itoa(int(h.Flag)),
		"i": h.Properties,
		"j": strconv.Itoa(int(h.ReconsumeTimes)),
		"k": "false",
		"l": strconv.Itoa(int(h.MaxReconsumeTimes)),
		"m": strconv.FormatBool(h.Batch),
		"n": h.BrokerName,
	})
	cmd.Body = body
	return cmd
}

// EncodeBatch writes SEND_BATCH_MESSAGE's body: per message TOTALSIZE,
// MAGICCODE 0, BODYCRC 0, FLAG, BODYLEN, BODY, PROPLEN (int16), PROPERTIES
// (Java MessageDecoder.encodeMessage).
func EncodeBatch(msgs []*client.Message) []byte {
	var out []byte
	for _, m := range msgs {
		props := message.FormatProperties(m.Properties)
		total := 4 + 4 + 4 + 4 + 4 + len(m.Body) + 2 + len(props)
		out = binary.BigEndian.AppendUint32(out, uint32(total))
		out = binary.BigEndian.AppendUint32(out, 0)
		out = binary.BigEndian.AppendUint32(out, 0)
		out = binary.BigEndian.AppendUint32(out, uint32(m.Flag))
		out = binary.BigEndian.AppendUint32(out, uint32(len(m.Body)))
		out = append(out, m.Body...)
		out = binary.BigEndian.AppendUint16(out, uint16(len(props)))
		out = append(out, props...)
	}
	return out
}
