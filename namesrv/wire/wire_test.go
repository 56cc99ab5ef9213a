package wire

import (
	"bytes"
	"compress/zlib"
	"reflect"
	"strings"
	"testing"

	"rocketsim/namesrv/routes"
)

func sampleRoute() routes.TopicRoute {
	return routes.TopicRoute{
		QueueDatas: []routes.QueueData{
			{BrokerName: "a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
			{BrokerName: "b", ReadQueueNums: 8, WriteQueueNums: 2, Perm: 4, TopicSysFlag: 1},
		},
		BrokerDatas: []routes.BrokerData{
			{Cluster: "c", BrokerName: "a", Addrs: map[int64]string{1: "10.0.0.2:10911", 0: "10.0.0.1:10911"}},
			{Cluster: "c", BrokerName: "b", Addrs: map[int64]string{0: "[::1]:10911"}},
		},
		FilterServerTable: map[string][]string{"10.0.0.1:10911": {"10.0.0.1:30000"}},
	}
}

func TestEncodeTopicRouteFastjsonForm(t *testing.T) {
	got := string(EncodeTopicRoute(sampleRoute(), false))
	want := `{"brokerDatas":[{"brokerAddrs":{0:"10.0.0.1:10911",1:"10.0.0.2:10911"},"brokerName":"a","cluster":"c"},` +
		`{"brokerAddrs":{0:"[::1]:10911"},"brokerName":"b","cluster":"c"}],` +
		`"filterServerTable":{"10.0.0.1:10911":["10.0.0.1:30000"]},` +
		`"queueDatas":[{"brokerName":"a","perm":6,"readQueueNums":4,"topicSysFlag":0,"writeQueueNums":4},` +
		`{"brokerName":"b","perm":4,"readQueueNums":8,"topicSysFlag":1,"writeQueueNums":2}]}`
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	std := string(EncodeTopicRoute(sampleRoute(), true))
	if !strings.Contains(std, `{"0":"10.0.0.1:10911","1":"10.0.0.2:10911"}`) {
		t.Fatalf("standard form: %s", std)
	}
}

func TestTopicRouteRoundTrip(t *testing.T) {
	for _, standard := range []bool{false, true} {
		r := sampleRoute()
		r.OrderTopicConf = "a:4;b:8"
		got, err := DecodeTopicRoute(EncodeTopicRoute(r, standard))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, r) {
			t.Fatalf("standard=%v\n got %+v\nwant %+v", standard, got, r)
		}
	}
}

func TestQuoteBareKeys(t *testing.T) {
	cases := map[string]string{
		`{0:"a",1:"b"}`:                    `{"0":"a","1":"b"}`,
		`{"x":{12:"a:b,c"},"y":[1,{3:4}]}`: `{"x":{"12":"a:b,c"},"y":[1,{"3":4}]}`,
		`{"s":"{0:\"x\"}"}`:                `{"s":"{0:\"x\"}"}`,
		`{ 0 : "a" }`:                      `{ "0" : "a" }`,
		`[1,2]`:                            `[1,2]`,
	}
	for in, want := range cases {
		if got := string(QuoteBareKeys([]byte(in))); got != want {
			t.Errorf("%s: got %s want %s", in, got, want)
		}
	}
}

func TestClusterInfoRoundTrip(t *testing.T) {
	ci := routes.ClusterInfo{
		Brokers:  sampleRoute().BrokerDatas,
		Clusters: map[string][]string{"c": {"a", "b"}},
	}
	enc := EncodeClusterInfo(ci, false)
	if !bytes.HasPrefix(enc, []byte(`{"brokerAddrTable":{"a":{"brokerAddrs":{0:`)) {
		t.Fatalf("shape: %s", enc)
	}
	got, err := DecodeClusterInfo(enc)
	if err != nil || !reflect.DeepEqual(got, ci) {
		t.Fatalf("got %+v %v", got, err)
	}
}

func TestTopicListKVTableDataVersion(t *testing.T) {
	if got := string(EncodeTopicList(nil, "")); got != `{"topicList":[]}` {
		t.Fatal(got)
	}
	topics, addr, err := DecodeTopicList(EncodeTopicList([]string{"a", "b"}, "x:1"))
	if err != nil || !reflect.DeepEqual(topics, []string{"a", "b"}) || addr != "x:1" {
		t.Fatal(topics, addr, err)
	}
	kv := map[string]string{"b": "2", "a": "1"}
	if got := string(EncodeKVTable(kv)); got != `{"table":{"a":"1","b":"2"}}` {
		t.Fatal(got)
	}
	back, err := DecodeKVTable(EncodeKVTable(kv))
	if err != nil || !reflect.DeepEqual(back, kv) {
		t.Fatal(back, err)
	}
	dv := routes.DataVersion{Timestamp: 1700000000000, Counter: 9}
	if got := string(EncodeDataVersion(dv)); got != `{"counter":9,"timestamp":1700000000000}` {
		t.Fatal(got)
	}
	if back, err := DecodeDataVersion(EncodeDataVersion(dv)); err != nil || back != dv {
		t.Fatal(back, err)
	}
}

func sampleRegister() RegisterBody {
	return RegisterBody{
		DataVersion: routes.DataVersion{Timestamp: 5, Counter: 2},
		Topics: map[string]routes.TopicConfig{
			"T":      {TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6, TopicFilterType: "SINGLE_TAG"},
			"TBW102": {TopicName: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 7, TopicFilterType: "SINGLE_TAG"},
		},
		FilterServers: []string{"10.0.0.1:30000"},
	}
}

func TestRegisterBodyRoundTrip(t *testing.T) {
	for _, compressed := range []bool{false, true} {
		b := sampleRegister()
		got, err := DecodeRegisterBody(EncodeRegisterBody(b, compressed), compressed)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, b) {
			t.Fatalf("compressed=%v\n got %+v\nwant %+v", compressed, got, b)
		}
	}
}

// A body as Java's fastjson writes it: AtomicLong counter, extra fields,
// a topic missing optional fields (Java defaults apply).
func TestDecodeRegisterBodyJavaShape(t *testing.T) {
	body := `{"filterServerList":[],"topicConfigSerializeWrapper":{"dataVersion":{"counter":3,"timestamp":1700000000123},` +
		`"topicConfigTable":{"SELF_TEST_TOPIC":{"order":false,"perm":6,"readQueueNums":1,"topicFilterType":"SINGLE_TAG",` +
		`"topicName":"SELF_TEST_TOPIC","topicSysFlag":0,"writeQueueNums":1},"X":{"topicName":"X"}}}}`
	b, err := DecodeRegisterBody([]byte(body), false)
	if err != nil {
		t.Fatal(err)
	}
	if b.DataVersion.Counter != 3 || b.Topics["SELF_TEST_TOPIC"].ReadQueueNums != 1 || b.Topics["X"].ReadQueueNums != 16 || b.Topics["X"].Perm != 6 {
		t.Fatalf("%+v", b)
	}
}

func TestDecodeRegisterBodyRejectsHostile(t *testing.T) {
	deflate := func(raw []byte) []byte {
		var out bytes.Buffer
		zw := zlib.NewWriter(&out)
		zw.Write(raw)
		zw.Close()
		return out.Bytes()
	}
	cases := map[string][]byte{
		"not zlib":       []byte("hello"),
		"short":          deflate([]byte{0, 0}),
		"huge part":      deflate([]byte{0x7f, 0xff, 0xff, 0xff}),
		"negative count": deflate(append(append([]byte{0, 0, 0, 2}, "{}"...), 0xff, 0xff, 0xff, 0xff)),
		"bad topic line": deflate(append(append(append([]byte{0, 0, 0, 2}, "{}"...), 0, 0, 0, 1, 0, 0, 0, 3), "a b"...)),
	}
	for name, data := range cases {
		if _, err := DecodeRegisterBody(data, true); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := DecodeRegisterBody([]byte(`{"topicConfigSerializeWrapper":`), false); err == nil {
		t.Error("truncated JSON accepted")
	}
}
