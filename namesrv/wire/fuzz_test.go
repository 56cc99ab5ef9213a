package wire

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strconv"
	"testing"
)

// FuzzDecodeRegisterBody: a registration body from the network never panics
// the name server, in either form, and what decodes re-encodes to the same
// topics (JSON form).
func FuzzDecodeRegisterBody(f *testing.F) {
	f.Add(EncodeRegisterBody(sampleRegister(), false), false)
	f.Add(EncodeRegisterBody(sampleRegister(), true), true)
	f.Add([]byte(`{"topicConfigSerializeWrapper":{"topicConfigTable":{0:{}}}}`), false)
	f.Fuzz(func(t *testing.T, data []byte, compressed bool) {
		b, err := DecodeRegisterBody(data, compressed)
		if err != nil || compressed {
			return
		}
		again, err := DecodeRegisterBody(EncodeRegisterBody(b, false), false)
		if err != nil {
			t.Fatalf("re-encoded body does not decode: %v", err)
		}
		if len(again.Topics) != len(b.Topics) {
			t.Fatalf("topics %d became %d", len(b.Topics), len(again.Topics))
		}
	})
}

// FuzzDecodeTopicRoute: route JSON in either key form never panics, and an
// accepted route survives our encoder in both forms.
func FuzzDecodeTopicRoute(f *testing.F) {
	f.Add(EncodeTopicRoute(sampleRoute(), false))
	f.Add(EncodeTopicRoute(sampleRoute(), true))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := DecodeTopicRoute(data)
		if err != nil {
			return
		}
		for _, standard := range []bool{false, true} {
			again, err := DecodeTopicRoute(EncodeTopicRoute(r, standard))
			if err != nil {
				t.Fatalf("standard=%v: re-encoded route does not decode: %v\n%s", standard, err, EncodeTopicRoute(r, standard))
			}
			if len(again.BrokerDatas) != len(r.BrokerDatas) || len(again.QueueDatas) != len(r.QueueDatas) {
				t.Fatalf("standard=%v: route changed: %+v vs %+v", standard, again, r)
			}
			for i := range r.BrokerDatas {
				if len(r.BrokerDatas[i].Addrs) != 0 && !reflect.DeepEqual(again.BrokerDatas[i].Addrs, r.BrokerDatas[i].Addrs) {
					t.Fatalf("standard=%v: addrs %v became %v", standard, r.BrokerDatas[i].Addrs, again.BrokerDatas[i].Addrs)
				}
			}
		}
	})
}

// FuzzQuoteBareKeys: standard JSON passes through unchanged, and fastjson's
// bare integer keys become standard JSON that means the same.
func FuzzQuoteBareKeys(f *testing.F) {
	f.Add([]byte(`{"a":{"0":"x"},"b":[1,"\"{0:1}"]}`), int64(0))
	f.Add([]byte(`{"brokerAddrs":{"0":"127.0.0.1:10911","1":"x:1"}}`), int64(-7))
	f.Fuzz(func(t *testing.T, data []byte, id int64) {
		out := QuoteBareKeys(data)
		if json.Valid(data) && !bytes.Equal(out, data) {
			t.Fatalf("valid JSON changed:\n in %q\nout %q", data, out)
		}
		// Wrap a bare key around the input when it is a valid value.
		if !json.Valid(data) {
			return
		}
		bare := []byte(`{` + strconv.FormatInt(id, 10) + `:` + string(data) + `}`)
		var m map[string]json.RawMessage
		if err := json.Unmarshal(QuoteBareKeys(bare), &m); err != nil {
			t.Fatalf("%q: %v", bare, err)
		}
		if v, ok := m[strconv.FormatInt(id, 10)]; !ok || !json.Valid(v) {
			t.Fatalf("%q: key %d lost: %v", bare, id, m)
		}
	})
}
