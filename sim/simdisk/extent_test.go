package simdisk

import (
	"math/rand/v2"
	"testing"
)

// TestExtentsAgainstBitmap checks the range set against a plain bitmap
// under random adds and removes, including its normal form (sorted,
// non-empty, neither overlapping nor touching).
func TestExtentsAgainstBitmap(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 5))
	const n = 200
	for round := range 200 {
		var s extents
		var bits [n]bool
		for range 50 {
			off := r.Int64N(n)
			end := off + r.Int64N(n-off+1)
			add := r.IntN(3) > 0
			if add {
				s = s.add(off, end)
			} else {
				s = s.remove(off, end)
			}
			for i := off; i < end; i++ {
				bits[i] = add
			}
			var want extents
			for i := int64(0); i < n; i++ {
				if bits[i] {
					if len(want) > 0 && want[len(want)-1].end == i {
						want[len(want)-1].end++
					} else {
						want = append(want, extent{i, i + 1})
					}
				}
			}
			if len(want) != len(s) {
				t.Fatalf("round %d: got %v want %v", round, s, want)
			}
			for i := range want {
				if want[i] != s[i] {
					t.Fatalf("round %d: got %v want %v", round, s, want)
				}
			}
		}
	}
}
