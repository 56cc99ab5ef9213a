package remoting

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

// decodeJSONHeaderStd is the reference: the same rules on encoding/json.
func decodeJSONHeaderStd(data []byte) (*Command, error) {
	var h struct {
		Code      *int16                     `json:"code"`
		Language  *string                    `json:"language"`
		Version   int16                      `json:"version"`
		Opaque    int32                      `json:"opaque"`
		Flag      int32                      `json:"flag"`
		Remark    *string                    `json:"remark"`
		ExtFields map[string]json.RawMessage `json:"extFields"`
	}
	if err := json.Unmarshal(data, &h); err != nil {
		return nil, err
	}
	if h.Code == nil {
		return nil, errors.New("no code")
	}
	cmd := &Command{Code: *h.Code, Version: h.Version, Opaque: h.Opaque, Flag: h.Flag}
	if h.Language != nil {
		cmd.Language = *h.Language
	}
	if h.Remark != nil {
		cmd.Remark = *h.Remark
	}
	if h.ExtFields != nil {
		cmd.ExtFields = map[string]string{}
		for k, raw := range h.ExtFields {
			raw = bytes.TrimSpace(raw)
			switch raw[0] {
			case '"':
				var s string
				json.Unmarshal(raw, &s)
				cmd.ExtFields[k] = s
			case 'n':
				cmd.ExtFields[k] = ""
			case '{', '[':
				return nil, errors.New("not a string")
			default:
				cmd.ExtFields[k] = string(raw)
			}
		}
	}
	return cmd, nil
}

var headerSeeds = []string{
	`{"code":105,"language":"GO","version":317,"opaque":1,"flag":0,"remark":"","extFields":{"topic":"T"}}`,
	`{"code":0,"extFields":{"a":"x","b":5,"c":true,"d":null,"e":-1.5e3},"flag":1,"language":"JAVA","opaque":3,"remark":null,"serializeTypeCurrentRPC":"JSON","version":409}`,
	`{"CODE":1,"Remark":"x","extfields":{"k":"v"},"other":[1,{"a":[]},"s",null,true,false]}`,
	`{"code":1,"extFields":{"a":"1"},"extFields":{"b":"2"}}`,
	`{"code":1,"extFields":{"a":"1"},"extFields":null}`,
	`{"code":1,"code":null}`,
	`{"code":1,"version":null,"opaque":-2147483648,"flag":2147483647}`,
	` {"code" : 1 , "remark" : "a\"b\\c\u00e9\ud83d\ude00\n" } `,
	`{"code":1,"remark":"` + "\xff\xfe" + `"}`,
	`{"code":1e2}`, `{"code":1.0}`, `{"code":01}`, `{"code":40000}`, `{"code":-0}`,
	`{"code":1,}`, `{"code":1`, `{"code":1}x`, `[1]`, `null`, `{}`, ``, `{"code":1,"extFields":{"a":{}}}`,
	`{"code":1,"x":"\x"}`, `{"code":1,"x":tru}`,
}

func FuzzJSONHeaderMatchesEncodingJSON(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		got, errGot := decodeJSONHeader(data)
		want, errWant := decodeJSONHeaderStd(data)
		if errGot != nil && strings.Contains(errGot.Error(), "nesting deeper") {
			return // our bound on ignored values; encoding/json allows 10000
		}
		if (errGot == nil) != (errWant == nil) {
			t.Fatalf("%q: ours err=%v, encoding/json err=%v", data, errGot, errWant)
		}
		if errGot == nil && !reflect.DeepEqual(got, want) {
			t.Fatalf("%q:\n ours %+v\n std  %+v", data, got, want)
		}
	})
}

func TestJSONHeaderSeedsMatch(t *testing.T) {
	for _, s := range headerSeeds {
		got, errGot := decodeJSONHeader([]byte(s))
		want, errWant := decodeJSONHeaderStd([]byte(s))
		if (errGot == nil) != (errWant == nil) || (errGot == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q:\n ours %+v %v\n std  %+v %v", s, got, errGot, want, errWant)
		}
	}
}

func TestJSONHeaderEscapes(t *testing.T) {
	for _, s := range []string{
		`{"code":1,"remark":"\u0001a\u0002b\ud800\udc00\ud800x\udc00\ud800\ud800\u00e9\b\f\/"}`,
		`{"code":1,"remark":"é` + "\xff" + `\n` + "\xc3" + `"}`,
		`{"code":1,"remark":"\u12"}`, `{"code":1,"remark":"\uZZZZ"}`, `{"code":1,"remark":"a\`,
		`{"code":1,"remark":"a` + "\x01" + `"}`, `{"code":1,"remark":"\n` + "\x01" + `"}`,
	} {
		got, errGot := decodeJSONHeader([]byte(s))
		want, errWant := decodeJSONHeaderStd([]byte(s))
		if (errGot == nil) != (errWant == nil) || (errGot == nil && !reflect.DeepEqual(got, want)) {
			t.Errorf("%q:\n ours %+v %v\n std  %+v %v", s, got, errGot, want, errWant)
		}
	}
}

// The decoder gathers extFields on its stack and unescapes strings into a
// stack buffer; past either bound (extFieldsOnStack entries,
// unescapeOnStack bytes) it spills to the heap, and the result must not
// change.
func TestJSONHeaderPastStackBounds(t *testing.T) {
	var many strings.Builder
	many.WriteString(`{"code":1,"extFields":{`)
	for i := range extFieldsOnStack*2 + 3 {
		if i > 0 {
			many.WriteByte(',')
		}
		fmt.Fprintf(&many, `"k%d":"v\u0001%d"`, i, i)
	}
	many.WriteString(`,"k0":"last wins"}}`)
	long := `{"code":1,"remark":"` + strings.Repeat(`ab\u0002é`, unescapeOnStack) + `","extFields":{"p":"` +
		strings.Repeat("x", unescapeOnStack) + `\u0001` + strings.Repeat("y", unescapeOnStack) + `"}}`
	for _, s := range []string{many.String(), long} {
		got, errGot := decodeJSONHeader([]byte(s))
		want, errWant := decodeJSONHeaderStd([]byte(s))
		if errGot != nil || errWant != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%.80q...:\n ours %.200v %v\n std  %.200v %v", s, got, errGot, want, errWant)
		}
	}
	got, _ := decodeJSONHeader([]byte(many.String()))
	if len(got.ExtFields) != extFieldsOnStack*2+3 || got.ExtFields["k0"] != "last wins" || got.ExtFields["k50"] != "v\x0150" {
		t.Errorf("extFields: %d entries, k0=%q k50=%q", len(got.ExtFields), got.ExtFields["k0"], got.ExtFields["k50"])
	}
}
