package remoting

import "testing"

func BenchmarkEncode(b *testing.B) {
	c := sample()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Encode(c)
	}
}

func BenchmarkDecode(b *testing.B) {
	f := Encode(sample())
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(f, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// A SEND_MESSAGE header as the Go client sends it: the broker's hot path.
func BenchmarkDecodeSendMessage(b *testing.B) {
	c := NewRequest(ReqSendMessage, map[string]string{
		"producerGroup": "pg", "topic": "TopicTest", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": "3", "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "0",
		"properties": "UNIQ_KEY\x01C0A80001000000000000000000000001\x02WAIT\x01true\x02", "reconsumeTimes": "0",
		"unitMode": "false", "maxReconsumeTimes": "0", "batch": "false", "bname": "broker-a",
	})
	c.Body = make([]byte, 1024)
	f := Encode(c)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(f, 0); err != nil {
			b.Fatal(err)
		}
	}
}

// The producer's side of the same SEND_MESSAGE.
func BenchmarkEncodeSendMessage(b *testing.B) {
	c := sendMessageSample()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		Encode(c)
	}
}

func sendMessageSample() *Command {
	c := NewRequest(ReqSendMessage, map[string]string{
		"producerGroup": "pg", "topic": "TopicTest", "defaultTopic": "TBW102", "defaultTopicQueueNums": "4",
		"queueId": "3", "sysFlag": "0", "bornTimestamp": "1700000000000", "flag": "0",
		"properties": "UNIQ_KEY\x01C0A80001000000000000000000000001\x02WAIT\x01true\x02", "reconsumeTimes": "0",
		"unitMode": "false", "maxReconsumeTimes": "0", "batch": "false", "bname": "broker-a",
	})
	c.Body = make([]byte, 1024)
	return c
}

// A SEND_MESSAGE answer as the broker writes it: the producer's hot path.
func BenchmarkDecodeSendResponse(b *testing.B) {
	c := &Command{Code: RespSuccess, Language: LanguageGo, Version: VersionDefault, Opaque: 123456, Flag: FlagResponse,
		ExtFields: map[string]string{"MSG_REGION": "DefaultRegion", "TRACE_ON": "true",
			"msgId": "7F00000100002A9F0000000012345678", "queueId": "3", "queueOffset": "123456"}}
	f := Encode(c)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Decode(f, 0); err != nil {
			b.Fatal(err)
		}
	}
}
