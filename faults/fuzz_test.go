package faults

import (
	"testing"
)

// FuzzParse: any text either parses to a fault that validates and survives
// a String round trip, or is an error; nothing panics.
//
//	go test ./faults -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	for _, k := range Kinds {
		f.Add("{kind: " + string(k) + "}")
	}
	f.Add("{kind: partition, groups: [[a], [b, c]]}")
	f.Add("{kind: crash, nodes: [a, b], pick: 1}")
	f.Add("{kind: link-latency, from: a, to: b, min: 1ms, max: 2ms}")
	f.Add("{kind: disk-full, nodes: [a], capacity: 64KiB}")
	f.Fuzz(func(t *testing.T, s string) {
		flt, err := Parse(s)
		if err != nil {
			return
		}
		if err := flt.Validate(); err != nil {
			t.Fatalf("Parse accepted %q but Validate refuses it: %v", s, err)
		}
		back, err := Parse(flt.String())
		if err != nil {
			t.Fatalf("String of %q is %q, which does not parse: %v", s, flt.String(), err)
		}
		if back.String() != flt.String() {
			t.Fatalf("round trip of %q: %q became %q", s, flt.String(), back.String())
		}
	})
}
