package filter

import (
	"errors"
	"reflect"
	"strconv"
	"testing"
)

func TestRegistry(t *testing.T) {
	r := NewRegistry(true)
	f1, err := r.Register("g", SubscriptionData{Topic: "T", SubString: "TagA", SubVersion: 10})
	if err != nil || r.Get("g", "T") != f1 || !f1.MatchMessage("TagA", nil) {
		t.Fatalf("register: %v", err)
	}
	// Same expression, newer version: no recompile, version advances.
	f2, _ := r.Register("g", SubscriptionData{Topic: "T", SubString: "TagA", ExpressionType: TypeTag, SubVersion: 11})
	if f2 != f1 || f1.Subscription().SubVersion != 11 {
		t.Fatal("recompiled an unchanged subscription")
	}
	// Older version: ignored.
	f3, _ := r.Register("g", SubscriptionData{Topic: "T", SubString: "TagB", SubVersion: 5})
	if f3 != f1 || !r.Get("g", "T").MatchMessage("TagA", nil) {
		t.Fatal("stale heartbeat replaced the filter")
	}
	// New expression: replaced.
	f4, _ := r.Register("g", SubscriptionData{Topic: "T", SubString: "a > 1", ExpressionType: TypeSQL92, SubVersion: 12})
	if f4 == f1 || !r.Get("g", "T").IsSQL92() {
		t.Fatal("update not applied")
	}
	// Bad expression: error, previous filter kept.
	f5, err := r.Register("g", SubscriptionData{Topic: "T", SubString: "a >", ExpressionType: TypeSQL92, SubVersion: 13})
	if !errors.Is(err, ErrParse) || f5 != f4 || r.Get("g", "T") != f4 {
		t.Fatalf("bad update: %v", err)
	}
	_, _ = r.Register("g", SubscriptionData{Topic: "U", SubString: "*"})
	_, _ = r.Register("h", SubscriptionData{Topic: "T", SubString: "*"})
	if got := r.Topics("g"); !reflect.DeepEqual(got, []string{"T", "U"}) || r.Len() != 3 {
		t.Fatalf("topics %v len %d", got, r.Len())
	}
	if !r.Unregister("h", "T") || r.Unregister("h", "T") || r.Get("h", "T") != nil {
		t.Fatal("Unregister")
	}
	if got := r.UnregisterGroup("g"); !reflect.DeepEqual(got, []string{"T", "U"}) || r.Len() != 0 {
		t.Fatalf("UnregisterGroup %v", got)
	}
	if _, err := NewRegistry(false).Register("g", SubscriptionData{Topic: "T", SubString: "a > 1", ExpressionType: TypeSQL92}); !errors.Is(err, ErrUnsupportedType) {
		t.Fatalf("SQL92 disabled: %v", err)
	}
}

func TestRegistryBound(t *testing.T) {
	r := NewRegistry(false)
	for i := range MaxRegistryEntries {
		r.entries[registryKey{"g", strconv.Itoa(i)}] = &Filter{}
	}
	if _, err := r.Register("g", SubscriptionData{Topic: "new", SubString: "*"}); !errors.Is(err, ErrRegistryFull) {
		t.Fatalf("got %v", err)
	}
}
