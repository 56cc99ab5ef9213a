package remoting

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"
)

func sample() *Command {
	return &Command{
		Code: ReqGetRouteInfoByTopic, Language: LanguageGo, Version: 317, Opaque: 7, Flag: 0,
		Remark:    "hé \"quoted\"\n\x01",
		ExtFields: map[string]string{"topic": "T", "b": "2", "a": "1"},
		Body:      []byte("body"),
	}
}

func TestEncodeJSONHeaderIsJavaShapedAndSorted(t *testing.T) {
	c := &Command{Code: 105, Language: "GO", Version: 317, Opaque: 1, ExtFields: map[string]string{"topic": "T", "a": "x"}}
	f := Encode(c)
	want := `{"code":105,"extFields":{"a":"x","topic":"T"},"flag":0,"language":"GO","opaque":1,"remark":"","serializeTypeCurrentRPC":"JSON","version":317}`
	if got := string(f[8:]); got != want {
		t.Fatalf("header\n got %s\nwant %s", got, want)
	}
	if n := binary.BigEndian.Uint32(f[0:4]); int(n) != len(f)-4 {
		t.Fatalf("length field %d, frame %d", n, len(f))
	}
	if w := binary.BigEndian.Uint32(f[4:8]); w>>24 != 0 || int(w&0xffffff) != len(want) {
		t.Fatalf("header word %#x", w)
	}
}

// A frame exactly as rocketmq-client-go encodes it (reference §1.3).
func TestDecodeGoClientFrame(t *testing.T) {
	header := `{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":"T"}}`
	f := frame(SerializeJSON, []byte(header), nil)
	if binary.BigEndian.Uint32(f[0:4]) != 0x68 {
		t.Fatalf("reference says length 0x68, got %#x", binary.BigEndian.Uint32(f[0:4]))
	}
	c, err := Decode(f, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := &Command{Code: 105, Language: "GO", Version: 317, Opaque: 1, ExtFields: map[string]string{"topic": "T"}}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v", c)
	}
}

// The binary header sample from the reference (§1.4), produced by the Go
// client's rmqCodec: code 11, language GO (9), version 317, remark "r",
// no extFields, body "xy".
func TestDecodeBinaryReferenceSample(t *testing.T) {
	raw := []byte{0, 0, 0, 0x1c, 1, 0, 0, 0x16, 0, 0x0b, 9, 1, 0x3d, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0x72, 0, 0, 0, 0, 0x78, 0x79}
	c, err := Decode(raw, 0)
	if err != nil {
		t.Fatal(err)
	}
	want := &Command{Code: 11, Language: "GO", Version: 317, Opaque: 1, Remark: "r", Body: []byte("xy")}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("got %+v want %+v", c, want)
	}
}

func TestRoundTripJSONAndBinary(t *testing.T) {
	for _, c := range []*Command{
		sample(),
		{Code: -1, Language: "JAVA", Version: -3, Opaque: -2147483648, Flag: 3},
		{Code: 0, Language: "GO", ExtFields: map[string]string{}, Body: []byte{0}},
	} {
		got, err := Decode(Encode(c), 0)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, c) {
			t.Fatalf("JSON round trip\n got %+v\nwant %+v", got, c)
		}
		got, err = Decode(EncodeROCKETMQ(c), 0)
		if err != nil {
			t.Fatal(err)
		}
		want := *c
		if len(want.ExtFields) == 0 {
			want.ExtFields = nil // the binary form cannot tell empty from absent
		}
		if !reflect.DeepEqual(got, &want) {
			t.Fatalf("binary round trip\n got %+v\nwant %+v", got, &want)
		}
	}
}

func TestEncodeIsDeterministic(t *testing.T) {
	a := Encode(sample())
	for i := 0; i < 50; i++ {
		if !bytes.Equal(a, Encode(sample())) {
			t.Fatal("two encodings of the same command differ")
		}
	}
}

func TestDecodeLenientExtValuesAndNulls(t *testing.T) {
	h := `{"code":0,"extFields":{"queueOffset":5,"ok":true,"n":null,"s":"x"},"remark":null,"language":"JAVA","flag":1,"opaque":3,"serializeTypeCurrentRPC":"JSON","version":409}`
	c, err := Decode(frame(SerializeJSON, []byte(h), nil), 0)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"queueOffset": "5", "ok": "true", "n": "", "s": "x"}
	if !reflect.DeepEqual(c.ExtFields, want) || c.Remark != "" || !c.IsResponse() || c.Version != 409 {
		t.Fatalf("got %+v", c)
	}
}

func TestDecodeRejects(t *testing.T) {
	good := Encode(sample())
	negative := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(negative[0:4], 0x80000000)
	mismatch := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(mismatch[0:4], uint32(len(good)))
	hlen := append([]byte(nil), good...)
	binary.BigEndian.PutUint32(hlen[4:8], uint32(len(good)))
	unknownType := append([]byte(nil), good...)
	unknownType[4] = 7
	cases := map[string]struct {
		frame []byte
		max   int
		want  string
	}{
		"short":        {good[:5], 0, "shorter than"},
		"truncated":    {good[:len(good)-1], 0, "length field"},
		"negative":     {negative, 0, "negative length"},
		"mismatch":     {mismatch, 0, "length field"},
		"oversize":     {good, 10, "exceeds the maximum"},
		"header len":   {hlen, 0, "header length"},
		"unknown type": {unknownType, 0, "unknown serialize type 7"},
		"bad json":     {frame(0, []byte(`{"code":1,`), nil), 0, "bad JSON"},
		"not object":   {frame(0, []byte(`[1]`), nil), 0, "bad JSON"},
		"trailing":     {frame(0, []byte(`{"code":1} {}`), nil), 0, "trailing"},
		"no code":      {frame(0, []byte(`{"opaque":1}`), nil), 0, "no code"},
		"code range":   {frame(0, []byte(`{"code":40000}`), nil), 0, "bad JSON"},
		"ext object":   {frame(0, []byte(`{"code":1,"extFields":{"a":{}}}`), nil), 0, "not a string"},
		"binary short": {frame(1, []byte{0, 1}, nil), 0, "shorter than 21"},
		"binary remark": {frame(1, []byte{0, 1, 9, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0}, nil), 0,
			"remark needs"},
	}
	for name, tc := range cases {
		_, err := Decode(tc.frame, tc.max)
		if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want ErrMalformed containing %q", name, err, tc.want)
		}
	}
}

// Encode caches the sorted keys of the last map of each size; maps of the
// same size with other keys, or some keys in common, must still come out
// sorted and whole.
func TestEncodeKeyOrderCacheNeverChangesBytes(t *testing.T) {
	maps := []map[string]string{
		{"b": "1", "a": "2", "c": "3"},
		{"z": "1", "y": "2", "x": "3"},
		{"a": "1", "z": "2", "m": "3"},
		{"b": "1", "a": "2", "c": "3"},
		{"a": "x", "b": "y", "d": "z"},
		{},
		{"only": "1"},
	}
	for round := 0; round < 2; round++ {
		for _, m := range maps {
			cmd := NewRequest(ReqSendMessage, m)
			got := appendJSONHeader(nil, cmd)
			var want []byte
			want = append(want, `{"code":10,"extFields":{`...)
			for i, k := range sortedKeys(m) {
				want = appendMember(want, i, k, m[k])
			}
			want = append(want, '}')
			if !bytes.HasPrefix(got, want) {
				t.Fatalf("round %d, %v: header %s, want it to start %s", round, m, got, want)
			}
			back, err := Decode(Encode(cmd), 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(back.ExtFields) != len(m) {
				t.Fatalf("round %d: %v came back as %v", round, m, back.ExtFields)
			}
			for k, v := range m {
				if back.ExtFields[k] != v {
					t.Fatalf("round %d: %v came back as %v", round, m, back.ExtFields)
				}
			}
		}
	}
}

// A command with an ExtList encodes to the very bytes of the same command
// with the entries in a map, and reads back through Ext the same way.
func TestExtListEncodesAsTheMap(t *testing.T) {
	m := map[string]string{"topic": "T", "properties": "UNIQ_KEY\x01AB\x02WAIT\x01true\x02", "queueId": "3",
		"quote": `a"b\c`, "utf": "hé\xff", "a": "", "n": "-12"}
	mapped := sample()
	mapped.ExtFields = m
	listed := sample()
	listed.ExtFields = nil
	for _, k := range sortedKeys(m) {
		listed.ExtList = append(listed.ExtList, Field{k, m[k]})
	}
	if a, b := Encode(mapped), Encode(listed); !bytes.Equal(a, b) {
		t.Fatalf("ExtList frame\n%q\nmap frame\n%q", b, a)
	}
	for k, v := range m {
		if got := listed.Ext(k); got != v {
			t.Errorf("Ext(%q) = %q, want %q", k, got, v)
		}
	}
	if n, err := listed.ExtInt64("n"); err != nil || n != -12 {
		t.Errorf("ExtInt64(n) = %d, %v", n, err)
	}
	if _, err := listed.ExtInt64("missing"); err == nil {
		t.Error("ExtInt64 of a missing key: no error")
	}
	if listed.Ext("missing") != "" || listed.ExtBool("topic") {
		t.Error("missing key or non-boolean read as set")
	}
	listed.SetExt("b", "x")
	if listed.ExtList != nil || len(listed.ExtFields) != len(m)+1 || listed.Ext("b") != "x" || listed.Ext("topic") != "T" {
		t.Fatalf("SetExt on an ExtList command: list %v, map %v", listed.ExtList, listed.ExtFields)
	}
	// The map wins when both are set; an unsorted list is a caller's bug.
	both := &Command{Code: 1, ExtFields: map[string]string{"a": "map"}, ExtList: []Field{{"a", "list"}}}
	if both.Ext("a") != "map" || !bytes.Contains(Encode(both), []byte(`"a":"map"`)) {
		t.Error("ExtFields does not win over ExtList")
	}
	defer func() {
		if recover() == nil {
			t.Error("Encode of an unsorted ExtList did not panic")
		}
	}()
	Encode(&Command{Code: 1, ExtList: []Field{{"b", "1"}, {"a", "2"}}})
}

// appendJSONString copies plain runs in bulk; every byte class still
// comes out as encoding rules want, wherever it sits in the string.
func TestAppendJSONStringEveryByte(t *testing.T) {
	for c := 0; c < 256; c++ {
		for _, s := range []string{string(rune(c)), "ab" + string([]byte{byte(c)}) + "cd", string([]byte{byte(c)}) + "xyz"} {
			got := string(appendJSONString(nil, s))
			var want strings.Builder
			want.WriteByte('"')
			for i := 0; i < len(s); {
				r, size := rune(s[i]), 1
				if s[i] >= 0x80 {
					r, size = utf8.DecodeRuneInString(s[i:])
				}
				switch {
				case r == '"' || r == '\\':
					want.WriteString(`\` + string(r))
				case r == '\n':
					want.WriteString(`\n`)
				case r == '\r':
					want.WriteString(`\r`)
				case r == '\t':
					want.WriteString(`\t`)
				case r < 0x20 || r == 0x7f:
					fmt.Fprintf(&want, `\u%04x`, r)
				case r == 0xfffd && size == 1:
					want.WriteString(`\ufffd`)
				default:
					want.WriteString(s[i : i+size])
				}
				i += size
			}
			want.WriteByte('"')
			if got != want.String() {
				t.Fatalf("%q: got %s, want %s", s, got, want.String())
			}
		}
	}
}
