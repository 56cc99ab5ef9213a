package producer

import (
	"encoding/binary"
	"slices"
	"strconv"
	"strings"

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
	return sendRequest(remoting.ReqSendMessage, &headerNamesV1, &headerOrderV1, h, body)
}

// RequestV2 builds a send with the compact one-letter names (Java
// SendMessageRequestHeaderV2) under code: SEND_BATCH_MESSAGE (320) for
// batches, as rocketmq-client-go does, or SEND_MESSAGE_V2 (310).
func RequestV2(code int16, h Header, body []byte) *remoting.Command {
	return sendRequest(code, &headerNamesV2, &headerOrderV2, h, body)
}

// headerNamesV1 are SendMessageRequestHeader's field names and
// headerNamesV2 their V2 aliases, both in the order of Header.values.
var (
	headerNamesV1 = [headerFields]string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums",
		"queueId", "sysFlag", "bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode",
		"maxReconsumeTimes", "batch", "bname"}
	headerNamesV2 = [headerFields]string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"}
	// headerOrderV1 and headerOrderV2 list the indexes of the names in
	// key order: the header goes out as a remoting.Command ExtList, built
	// sorted, instead of a 14-entry map made and sorted on every send.
	headerOrderV1 = keyOrder(&headerNamesV1)
	headerOrderV2 = keyOrder(&headerNamesV2)
)

const headerFields = 14

func keyOrder(names *[headerFields]string) [headerFields]int {
	var order [headerFields]int
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order[:], func(a, b int) int { return strings.Compare(names[a], names[b]) })
	return order
}

// values are the header's fields as text, in the names' order.
func (h Header) values() [headerFields]string {
	return [headerFields]string{h.Group, h.Topic, client.DefaultTopic, strconv.Itoa(client.DefaultTopicQueueNums),
		strconv.Itoa(h.QueueID), strconv.Itoa(int(h.SysFlag)), strconv.FormatInt(h.BornTimestamp, 10),
		strconv.Itoa(int(h.Flag)), h.Properties, strconv.Itoa(int(h.ReconsumeTimes)), "false",
		strconv.Itoa(int(h.MaxReconsumeTimes)), strconv.FormatBool(h.Batch), h.BrokerName}
}

func sendRequest(code int16, names *[headerFields]string, order *[headerFields]int, h Header, body []byte) *remoting.Command {
	values := h.values()
	ext := make([]remoting.Field, headerFields)
	for i, j := range order {
		ext[i] = remoting.Field{Key: names[j], Value: values[j]}
	}
	return &remoting.Command{Code: code, Language: remoting.LanguageGo, Version: remoting.VersionDefault, ExtList: ext, Body: body}
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
