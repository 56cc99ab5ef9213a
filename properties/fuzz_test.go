package properties

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// Whatever Parse accepts, writing its entries back with escape and parsing
// again yields the same keys and values: escape and Parse are inverses.
func FuzzParseRoundTrip(f *testing.F) {
	for _, s := range []string{
		"a=1", "a b", " a : b ", "k\\\n  v=1", `a\=b=\u0041`, "# c\n! d\n\n", "a=\\\n", "a==b", "\\ a= \\ b",
		"x=\\uD83D\\uDE00", "k=\t\f", "a=1\r\nb=2\rc=3",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := Parse(strings.NewReader(in), "fuzz")
		if err != nil {
			return
		}
		var b strings.Builder
		for _, e := range p.Entries() {
			if !utf8.ValidString(e.Key) || !utf8.ValidString(e.Value) {
				t.Fatalf("invalid UTF-8 in %+v", e)
			}
			b.WriteString(escape(e.Key, true))
			b.WriteByte('=')
			b.WriteString(escape(e.Value, false))
			b.WriteByte('\n')
		}
		q, err := Parse(strings.NewReader(b.String()), "again")
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		pe, qe := p.Entries(), q.Entries()
		if len(pe) != len(qe) {
			t.Fatalf("%d entries became %d\ninput %q\nwritten %q", len(pe), len(qe), in, b.String())
		}
		for i := range pe {
			if pe[i].Key != qe[i].Key || pe[i].Value != qe[i].Value {
				t.Fatalf("entry %d: %q=%q became %q=%q (written %q)", i, pe[i].Key, pe[i].Value, qe[i].Key, qe[i].Value, b.String())
			}
		}
	})
}
