package bugs

import (
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"rocketsim/broker/config"
)

func allOn() Switches {
	return Switches{DropAckedMessage: true, SwapOffsets: true, DeliverDelayEarly: true,
		DeliverRolledBack: true, SkipRetry: true, DuplicateDelivery: true}
}

func TestNilSetNeverFires(t *testing.T) {
	var s *Set
	for b := range bugCount {
		if s.Fire(b) || s.Fired(b) != 0 {
			t.Fatalf("a nil set fired %v", b)
		}
	}
	if New(Switches{Prob: 0.5, Limit: 3}, nil) != nil {
		t.Fatal("switches with nothing on must give a nil set (a healthy broker)")
	}
}

func TestOneShotByDefault(t *testing.T) {
	s := New(Switches{SwapOffsets: true}, rand.New(rand.NewPCG(1, 2)))
	if s.Fire(DropAcked) {
		t.Fatal("a switch that is off fired")
	}
	if !s.Fire(SwapOffsets) {
		t.Fatal("an enabled one-shot switch did not fire at its first chance")
	}
	for range 10 {
		if s.Fire(SwapOffsets) {
			t.Fatal("a one-shot switch fired twice")
		}
	}
	if s.Fired(SwapOffsets) != 1 || s.Fired(DropAcked) != 0 {
		t.Fatalf("fired counts %d/%d, want 1/0", s.Fired(SwapOffsets), s.Fired(DropAcked))
	}
}

func TestLimitAndProbabilityAreDeterministic(t *testing.T) {
	sw := allOn()
	sw.Prob, sw.Limit = 0.3, 5
	pattern := func() []bool {
		s := New(sw, rand.New(rand.NewPCG(7, 7)))
		var out []bool
		for range 200 {
			out = append(out, s.Fire(Duplicate))
		}
		if s.Fired(Duplicate) != 5 {
			t.Fatalf("fired %d times, want the limit 5", s.Fired(Duplicate))
		}
		return out
	}
	a, b := pattern(), pattern()
	if !reflect.DeepEqual(a, b) {
		t.Fatal("the same stream gave different strike patterns")
	}
	first := -1
	for i, f := range a {
		if f {
			first = i
			break
		}
	}
	// With Prob 0.3 five strikes need more than five chances (the chance
	// that the first five all strike is 0.3^5, and this seed does not).
	last := 0
	for i, f := range a {
		if f {
			last = i
		}
	}
	if first < 0 || last < 5 {
		t.Fatalf("strikes at %v look unconditional", a[:10])
	}
}

func TestEveryBugHasASwitchAndName(t *testing.T) {
	sw := allOn()
	fields := reflect.TypeOf(sw).NumField()
	onFields := 0
	for i := range fields {
		if reflect.TypeOf(sw).Field(i).Type.Kind() == reflect.Bool {
			onFields++
		}
	}
	if onFields != int(bugCount) {
		t.Fatalf("%d boolean switches but %d bugs", onFields, bugCount)
	}
	seen := map[string]bool{}
	for b := range bugCount {
		if !sw.On(b) {
			t.Fatalf("%v: its switch is not the one On reads", b)
		}
		if seen[b.String()] || b.String() == "unknown" {
			t.Fatalf("%v: name not unique", b)
		}
		seen[b.String()] = true
	}
}

// TestBrokerConfCannotEnableSwitches: the switches are not configuration.
// Every spelling a user might try in broker.conf is an unknown key, warned
// about and ignored, and the broker's Config has no field that could carry a
// switch.
func TestBrokerConfCannotEnableSwitches(t *testing.T) {
	base := map[string]string{"brokerName": "b", "namesrvAddr": "127.0.0.1:9876"}
	typ := reflect.TypeOf(Switches{})
	for i := range typ.NumField() {
		name := typ.Field(i).Name
		lower := strings.ToLower(name[:1]) + name[1:]
		for _, key := range []string{name, lower, "bugs." + lower, "bug" + name} {
			kv := map[string]string{key: "true"}
			for k, v := range base {
				kv[k] = v
			}
			cfg, warnings, err := config.LoadMap(kv, "test", config.Host{Name: "b", IP: "127.0.0.1"})
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			found := false
			for _, w := range warnings {
				found = found || (strings.Contains(w, key) && strings.Contains(w, "ignored"))
			}
			if !found {
				t.Fatalf("broker.conf key %q was not reported as unknown and ignored: %q", key, warnings)
			}
			plain, _, err := config.LoadMap(base, "test", config.Host{Name: "b", IP: "127.0.0.1"})
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(cfg, plain) {
				t.Fatalf("broker.conf key %q changed the configuration", key)
			}
		}
	}
	swType := reflect.TypeOf(Switches{})
	var walk func(reflect.Type, string)
	walk = func(t2 reflect.Type, path string) {
		for t2.Kind() == reflect.Pointer || t2.Kind() == reflect.Slice || t2.Kind() == reflect.Map {
			t2 = t2.Elem()
		}
		if t2 == swType || t2 == reflect.TypeOf(Set{}) {
			t.Fatalf("config.Config carries the switches at %s", path)
		}
		if t2.Kind() != reflect.Struct {
			return
		}
		for i := range t2.NumField() {
			walk(t2.Field(i).Type, path+"."+t2.Field(i).Name)
		}
	}
	walk(reflect.TypeOf(config.Config{}), "Config")
}
