package producer_test

import (
	"bytes"
	"testing"

	"rocketsim/client/producer"
	"rocketsim/remoting"
)

// RequestV1 and RequestV2 build their header as a sorted ExtList; on the
// wire it must be exactly the SendMessageRequestHeader map Java and the Go
// client write, under both name sets.
func TestSendRequestBytesMatchTheHeaderMap(t *testing.T) {
	h := producer.Header{Group: "pg", Topic: "T", QueueID: 5, SysFlag: 4, BornTimestamp: 1700000000123, Flag: -3,
		Properties: "UNIQ_KEY\x01AB\x02KEYS\x01k \"q\"\x02", ReconsumeTimes: 2, MaxReconsumeTimes: 16, Batch: true, BrokerName: "broker-a"}
	values := []string{"pg", "T", "TBW102", "4", "5", "4", "1700000000123", "-3", h.Properties, "2", "false", "16", "true", "broker-a"}
	v1 := []string{"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
		"bornTimestamp", "flag", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch", "bname"}
	v2 := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n"}
	body := []byte("hello")
	for _, tc := range []struct {
		req   *remoting.Command
		code  int16
		names []string
	}{
		{producer.RequestV1(h, body), remoting.ReqSendMessage, v1},
		{producer.RequestV2(remoting.ReqSendBatchMessage, h, body), remoting.ReqSendBatchMessage, v2},
	} {
		m := map[string]string{}
		for i, n := range tc.names {
			m[n] = values[i]
		}
		want := remoting.NewRequest(tc.code, m)
		want.Body = body
		tc.req.Opaque, want.Opaque = 9, 9
		if got, w := remoting.Encode(tc.req), remoting.Encode(want); !bytes.Equal(got, w) {
			t.Fatalf("code %d frame\n%q\nwant\n%q", tc.code, got, w)
		}
		for i, n := range tc.names {
			if got := tc.req.Ext(n); got != values[i] {
				t.Errorf("Ext(%q) = %q, want %q", n, got, values[i])
			}
		}
	}
}
