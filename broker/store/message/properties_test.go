package message

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// propertyReference is the obvious Property, kept to check the fast one.
func propertyReference(s, name string) (string, bool) {
	for _, item := range strings.Split(s, string(PropertySeparator)) {
		k, v, ok := strings.Cut(item, string(NameValueSeparator))
		if ok && k == name && !strings.ContainsRune(v, NameValueSeparator) {
			return v, true
		}
	}
	return "", false
}

// TestPropertyMatchesReference compares Property with the reference on
// random strings over a small alphabet, so separators, empty names and
// values, prefixes of names and doubled separators all come up.
func TestPropertyMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"A", "AB", "B", "\x01", "\x02", "TAGS", "x"}
	names := []string{"", "A", "AB", "TAGS", "B"}
	for i := 0; i < 200000; i++ {
		var sb strings.Builder
		for n := rng.IntN(8); n > 0; n-- {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s, name := sb.String(), names[rng.IntN(len(names))]
		gv, gok := Property(s, name)
		wv, wok := propertyReference(s, name)
		if gv != wv || gok != wok {
			t.Fatalf("Property(%q, %q) = %q, %v; want %q, %v", s, name, gv, gok, wv, wok)
		}
	}
}

func TestJavaHashMoreJoins(t *testing.T) {
	for _, c := range [][2]string{{"", ""}, {"Topic", "#key"}, {"héllo", "wörld"}, {"a", "€𝄞"}, {"", "x"}} {
		if got, want := JavaHashMore(JavaHash(c[0]), c[1]), JavaHash(c[0]+c[1]); got != want {
			t.Errorf("JavaHashMore(JavaHash(%q), %q) = %d, want %d", c[0], c[1], got, want)
		}
	}
}

func TestCRCPlaceholderLength(t *testing.T) {
	if len(crcPlaceholder) != CRCPropertyLen {
		t.Fatalf("placeholder %q is %d bytes, CRCPropertyLen %d", crcPlaceholder, len(crcPlaceholder), CRCPropertyLen)
	}
	if got := WithCRCPlaceholder("A\x01b"); got != "A\x01b\x02"+crcPlaceholder {
		t.Fatalf("WithCRCPlaceholder = %q", got)
	}
}

func TestSetAndRemoveProperty(t *testing.T) {
	p := "A\x011\x02B\x012\x02C\x013\x02"
	cases := []struct{ got, want string }{
		{RemoveProperty(p, "B"), "A\x011\x02C\x013\x02"},
		{RemoveProperty(p, "Z"), p},
		{RemoveProperty("A\x011\x02B\x012\x02B\x013\x02", "B"), "A\x011\x02"}, // every item of that name
		{SetProperty(p, "B", "9"), "A\x011\x02C\x013\x02B\x019\x02"},
		{SetProperty("", "X", "1"), "X\x011\x02"},
		{SetProperty("A\x011", "X", "1"), "A\x011\x02X\x011\x02"}, // no trailing separator
	}
	for i, c := range cases {
		if c.got != c.want {
			t.Errorf("case %d: got %q, want %q", i, c.got, c.want)
		}
	}
}

// parsePropertiesReference is ParseProperties as it was written first,
// with Split, kept to check the one that slices.
func parsePropertiesReference(s string) map[string]string {
	m := make(map[string]string)
	for _, item := range strings.Split(s, string(PropertySeparator)) {
		parts := strings.Split(item, string(NameValueSeparator))
		if len(parts) == 2 {
			m[parts[0]] = parts[1]
		}
	}
	return m
}

func TestParsePropertiesMatchesReference(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"A", "AB", "B", "\x01", "\x02", "TAGS", "x"}
	for i := 0; i < 100000; i++ {
		var sb strings.Builder
		for n := rng.IntN(10); n > 0; n-- {
			sb.WriteString(alphabet[rng.IntN(len(alphabet))])
		}
		s := sb.String()
		got, want := ParseProperties(s), parsePropertiesReference(s)
		if len(got) != len(want) {
			t.Fatalf("%q: got %q, want %q", s, got, want)
		}
		for k, v := range want {
			if g, ok := got[k]; !ok || g != v {
				t.Fatalf("%q: got %q, want %q", s, got, want)
			}
		}
	}
}

func BenchmarkParseProperties(b *testing.B) {
	s := "KEYS\x01k1 k2\x02TAGS\x01tagA\x02UNIQ_KEY\x01C0A80001000000000000000000000001\x02WAIT\x01true\x02"
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		ParseProperties(s)
	}
}
