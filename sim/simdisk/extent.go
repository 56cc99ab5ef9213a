package simdisk

import (
	"slices"
	"sort"
)

// extent is the half-open byte range [off, end) of a file.
type extent struct {
	off, end int64
}

// extents is a set of byte ranges kept sorted, non-overlapping and with
// touching ranges merged, so that two equal sets have equal representations
// and iteration order is the offset order (deterministic by construction).
type extents []extent

// add returns the set with [off, end) included. Like append, it may reuse
// the receiver's backing array: callers keep only the result, and take a
// clone for a snapshot.
func (s extents) add(off, end int64) extents {
	if off >= end {
		return s
	}
	// [i, j) are the ranges that overlap or touch [off, end).
	i := sort.Search(len(s), func(k int) bool { return s[k].end >= off })
	j := sort.Search(len(s), func(k int) bool { return s[k].off > end })
	if i < j {
		off = min(off, s[i].off)
		end = max(end, s[j-1].end)
	}
	return slices.Replace(s, i, j, extent{off, end})
}

// remove returns the set with [off, end) excluded; it may reuse the
// receiver's backing array, as add does.
func (s extents) remove(off, end int64) extents {
	if off >= end {
		return s
	}
	// [i, j) are the ranges that overlap [off, end).
	i := sort.Search(len(s), func(k int) bool { return s[k].end > off })
	j := sort.Search(len(s), func(k int) bool { return s[k].off >= end })
	if i >= j {
		return s
	}
	var keep [2]extent
	n := 0
	if s[i].off < off {
		keep[n] = extent{s[i].off, off}
		n++
	}
	if s[j-1].end > end {
		keep[n] = extent{end, s[j-1].end}
		n++
	}
	return slices.Replace(s, i, j, keep[:n]...)
}

// minus returns s without every range of t.
func (s extents) minus(t extents) extents {
	for _, e := range t {
		s = s.remove(e.off, e.end)
	}
	return s
}

// clip returns the set with everything at or beyond size removed.
func (s extents) clip(size int64) extents {
	return s.remove(size, maxOffset)
}

// bytes is the total length covered by the set.
func (s extents) bytes() int64 {
	var n int64
	for _, e := range s {
		n += e.end - e.off
	}
	return n
}

// clone returns an independent copy, so a snapshot does not alias a set
// that later changes.
func (s extents) clone() extents {
	return append(extents(nil), s...)
}

// maxOffset is larger than any file offset the simulator can hold.
const maxOffset = int64(1) << 62

// contains reports whether byte off is in the set.
func (s extents) contains(off int64) bool {
	i := sort.Search(len(s), func(k int) bool { return s[k].end > off })
	return i < len(s) && s[i].off <= off
}
