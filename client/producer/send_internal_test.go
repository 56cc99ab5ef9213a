package producer

import (
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"rocketsim/broker/store/message"
	"rocketsim/client"
)

// check bounds the properties by their formatted length without
// formatting them; the count must be the formatted string's length, to the
// byte, at the bound and either side of it.
func TestPropertiesLenIsTheFormattedLength(t *testing.T) {
	for _, props := range []map[string]string{
		nil, {}, {"A": ""}, {"": "v"}, {"UNIQ_KEY": "C0A8", "TAGS": "t", "KEYS": "a b"},
	} {
		if got, want := propertiesLen(props), len(message.FormatProperties(props)); got != want {
			t.Errorf("%q: %d, formatted %d", props, got, want)
		}
	}
	p := &Producer{opts: Options{MessageSizeMax: 1 << 20}}
	for _, extra := range []int{-1, 0, 1} {
		// "K\x01" + value + "\x02" is propertiesMax+extra bytes.
		m := client.NewMessage("T", []byte("b")).SetProperty("K", strings.Repeat("v", propertiesMax-3+extra))
		err := p.check(m)
		if (extra > 0) != (err != nil) {
			t.Errorf("properties of %d bytes (bound %d): %v", len(message.FormatProperties(m.Properties)), propertiesMax, err)
		}
	}
}

func TestFormatPropertiesMatchesTheStores(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 8))
	for i := 0; i < 2000; i++ {
		props := map[string]string{}
		for range r.IntN(propertyKeysOnStack + 4) { // past the stack bound too
			props[strconv.Itoa(r.IntN(40))] = strings.Repeat("v", r.IntN(3))
		}
		if got, want := formatProperties(props), message.FormatProperties(props); got != want {
			t.Fatalf("%q: got %q, want %q", props, got, want)
		}
	}
	if got := formatProperties(nil); got != "" {
		t.Fatalf("nil: %q", got)
	}
}
