package filter

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"

	"rocketsim/broker/filter/sql92"
)

func TestTagsHashIsJavaStringHashCode(t *testing.T) {
	// Values computed with java.lang.String.hashCode.
	tests := []struct {
		s    string
		want int64
	}{
		{"", 0},
		{"a", 97},
		{"TagA", 2598919},
		{"TagB", 2598920},
		{"hello", 99162322},
		{"Hello World", -862545276},
		{"polygenelubricants", -2147483648},
		{"中文", 646394}, // 0x4E2D*31 + 0x6587
		{"é", 233},
		{"😀", 1772899}, // a surrogate pair: 0xD83D*31 + 0xDE00
	}
	for _, tt := range tests {
		if got := TagsHash(tt.s); got != tt.want {
			t.Errorf("TagsHash(%q) = %d, want %d", tt.s, got, tt.want)
		}
	}
}

func TestParseTags(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"*", nil},
		{"", nil},
		{" * ", nil},
		{"TagA", []string{"TagA"}},
		{"TagA || TagB ||TagC", []string{"TagA", "TagB", "TagC"}},
		{"TagA||TagA|| ||", []string{"TagA"}},
		{"a|b", []string{"a|b"}},
	}
	for _, tt := range tests {
		if got := ParseTags(tt.in); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("ParseTags(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNewSubscription(t *testing.T) {
	s, err := NewSubscription("T", "TagA || TagB", "", 42)
	if err != nil {
		t.Fatal(err)
	}
	want := &SubscriptionData{Topic: "T", SubString: "TagA || TagB", TagsSet: []string{"TagA", "TagB"},
		CodeSet: CodeSet{2598919, 2598920}, SubVersion: 42, ExpressionType: TypeTag}
	if !reflect.DeepEqual(s, want) {
		t.Fatalf("got %+v", s)
	}
	s, _ = NewSubscription("T", "", TypeTag, 1)
	if s.SubString != SubAll || len(s.TagsSet) != 0 {
		t.Fatalf("sub all: %+v", s)
	}
	if _, err := NewSubscription("T", "", TypeSQL92, 1); !errors.Is(err, ErrParse) {
		t.Fatalf("empty SQL: %v", err)
	}
	if _, err := NewSubscription("T", "x", "CLASS", 1); !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("bad type: %v", err)
	}
}

func TestSubscriptionJSONFromClients(t *testing.T) {
	// rocketmq-client-go sends codes as strings; the Java client as numbers.
	for _, body := range []string{
		`{"classFilterMode":false,"codeSet":["2598919","-5"],"expressionType":"TAG","subString":"TagA","subVersion":7,"tagsSet":["TagA"],"topic":"T"}`,
		`{"classFilterMode":false,"codeSet":[2598919,-5],"expressionType":"TAG","subString":"TagA","subVersion":7,"tagsSet":["TagA"],"topic":"T"}`,
	} {
		var s SubscriptionData
		if err := json.Unmarshal([]byte(body), &s); err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		if !reflect.DeepEqual(s.CodeSet, CodeSet{2598919, -5}) || s.Topic != "T" || s.SubVersion != 7 {
			t.Fatalf("decoded %+v", s)
		}
	}
	var s SubscriptionData
	if err := json.Unmarshal([]byte(`{"codeSet":["x"]}`), &s); err == nil {
		t.Fatal("bad code accepted")
	}
	if err := json.Unmarshal([]byte(`{"codeSet":null}`), &s); err != nil || s.CodeSet != nil {
		t.Fatalf("null codeSet: %v", err)
	}
	out, _ := json.Marshal(SubscriptionData{Topic: "T", CodeSet: CodeSet{1}})
	if string(out) != `{"topic":"T","subString":"","tagsSet":[],"codeSet":[1],"subVersion":0,"expressionType":"","classFilterMode":false}` {
		t.Fatalf("encoded %s", out)
	}
	out, _ = json.Marshal(&SubscriptionData{Topic: "T"})
	if !strings.Contains(string(out), `"tagsSet":[],"codeSet":[]`) {
		t.Fatalf("encoded through a pointer %s", out)
	}
}

func TestTagFilter(t *testing.T) {
	f, err := Compile(SubscriptionData{Topic: "T", SubString: "TagA || TagB", ExpressionType: TypeTag,
		CodeSet: CodeSet{1, 2}}, false) // the client's wrong codes are ignored
	if err != nil {
		t.Fatal(err)
	}
	if !f.MatchTagsCode(TagsHash("TagA")) || !f.MatchTagsCode(TagsHash("TagB")) {
		t.Error("own tags refused at the consume-queue stage")
	}
	if f.MatchTagsCode(TagsHash("TagC")) || f.MatchTagsCode(0) || f.MatchTagsCode(1) {
		t.Error("other codes pass")
	}
	if !f.MatchMessage("TagA", nil) || f.MatchMessage("TagC", nil) || f.MatchMessage("", nil) {
		t.Error("exact tag match wrong")
	}
	// "Aa" and "BB" collide under String.hashCode: the consume-queue stage
	// lets the collision through, the delivery stage drops it.
	f, _ = Compile(SubscriptionData{SubString: "Aa"}, false)
	if TagsHash("Aa") != TagsHash("BB") || !f.MatchTagsCode(TagsHash("BB")) || f.MatchMessage("BB", nil) {
		t.Error("collision handling wrong")
	}
	for _, expr := range []string{"||", " || ", "|| ||"} {
		if _, err := Compile(SubscriptionData{SubString: expr}, false); !errors.Is(err, ErrParse) {
			t.Errorf("%q: %v", expr, err)
		}
		if _, err := NewSubscription("T", expr, TypeTag, 1); !errors.Is(err, ErrParse) {
			t.Errorf("NewSubscription(%q): %v", expr, err)
		}
	}
}

func TestSubAllFilter(t *testing.T) {
	for _, sub := range []SubscriptionData{{SubString: "*"}, {SubString: ""}, {SubString: "*", ExpressionType: TypeTag}} {
		f, err := Compile(sub, false)
		if err != nil {
			t.Fatal(err)
		}
		if !f.MatchTagsCode(12345) || !f.MatchMessage("", nil) || !f.MatchMessage("x", nil) || f.IsSQL92() {
			t.Errorf("%+v does not match everything", sub)
		}
	}
}

func TestSQL92Filter(t *testing.T) {
	sub := SubscriptionData{Topic: "T", SubString: "a > 5 AND TAGS IN ('x')", ExpressionType: TypeSQL92}
	if _, err := Compile(sub, false); !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("SQL92 without enablePropertyFilter: %v", err)
	}
	f, err := Compile(sub, true)
	if err != nil {
		t.Fatal(err)
	}
	if !f.IsSQL92() || !f.MatchTagsCode(0) {
		t.Fatal("SQL92 must pass the consume-queue stage")
	}
	if !f.MatchMessage("", map[string]string{"a": "6", "TAGS": "x"}) {
		t.Error("matching message refused")
	}
	for _, props := range []map[string]string{{"a": "5", "TAGS": "x"}, {"TAGS": "x"}, {"a": "zz", "TAGS": "x"}, nil} {
		if f.MatchMessage("x", props) {
			t.Errorf("%v matched", props)
		}
	}
	_, err = Compile(SubscriptionData{Topic: "T", SubString: "a >", ExpressionType: TypeSQL92}, true)
	var ce *sql92.CompileError
	if !errors.Is(err, ErrParse) || !errors.As(err, &ce) || ce.Pos != 4 {
		t.Fatalf("bad SQL: %v", err)
	}
	if _, err := Compile(SubscriptionData{SubString: "x", ExpressionType: "tag"}, true); !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("unknown type: %v", err)
	}
}
