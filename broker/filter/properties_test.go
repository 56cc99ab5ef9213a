package filter

import (
	"reflect"
	"strings"
	"testing"
)

func TestDecodeProperties(t *testing.T) {
	s := "TAGS\x01TagA\x02KEYS\x01k1 k2\x02a\x015\x02junk\x02\x01x\x02TAGS\x01TagB\x02"
	want := map[string]string{"TAGS": "TagB", "KEYS": "k1 k2", "a": "5"}
	if got := DecodeProperties(s); !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q", got)
	}
	if v, ok := lookupProperty(s, "TAGS"); !ok || v != "TagB" {
		t.Fatalf("lookup %q %v", v, ok)
	}
	if _, ok := lookupProperty(s, "nope"); ok {
		t.Fatal("found a missing property")
	}
	if len(DecodeProperties("")) != 0 {
		t.Fatal("empty string has properties")
	}
}

func TestMatchPropertiesAsStoreFilter(t *testing.T) {
	// The store's Filter interface, restated to keep the two in step.
	var _ interface {
		MatchTagsCode(int64) bool
		MatchProperties(string) bool
	} = (*Filter)(nil)

	tags, _ := Compile(SubscriptionData{SubString: "TagA || TagC"}, false)
	sql, _ := Compile(SubscriptionData{SubString: "a > 3 AND TAGS = 'TagA'", ExpressionType: TypeSQL92}, true)
	all, _ := Compile(SubscriptionData{SubString: "*"}, false)
	tests := []struct {
		props         string
		tags, sql, al bool
	}{
		{"TAGS\x01TagA\x02a\x015\x02", true, true, true},
		{"TAGS\x01TagB\x02a\x015\x02", false, false, true},
		{"a\x015\x02", false, false, true},
		{"TAGS\x01TagC\x02a\x012\x02", true, false, true},
		{"", false, false, true},
	}
	for _, tt := range tests {
		if got := tags.MatchProperties(tt.props); got != tt.tags {
			t.Errorf("tags on %q = %v", tt.props, got)
		}
		if got := sql.MatchProperties(tt.props); got != tt.sql {
			t.Errorf("sql on %q = %v", tt.props, got)
		}
		if got := all.MatchProperties(tt.props); got != tt.al {
			t.Errorf("all on %q = %v", tt.props, got)
		}
	}
}

func FuzzLookupAgreesWithDecode(f *testing.F) {
	f.Add("TAGS\x01TagA\x02KEYS\x01k\x02", "TAGS")
	f.Add("a\x01\x01b\x02a\x01c", "a")
	f.Add("\x02\x02x", "x")
	f.Fuzz(func(t *testing.T, props, name string) {
		if name == "" || strings.ContainsAny(name, "\x01\x02") {
			return // property names never hold the separators
		}
		v, ok := lookupProperty(props, name)
		w, wok := DecodeProperties(props)[name]
		if v != w || ok != wok {
			t.Fatalf("lookup %q in %q = %q %v, decode says %q %v", name, props, v, ok, w, wok)
		}
	})
}
