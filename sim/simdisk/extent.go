package simdisk

// extent is the half-open byte range [off, end) of a file.
type extent struct {
	off, end int64
}

// extents is a set of byte ranges kept sorted, non-overlapping and with
// touching ranges merged, so that two equal sets have equal representations
// and iteration order is the offset order (deterministic by construction).
type extents []extent

// add returns the set with [off, end) included.
func (s extents) add(off, end int64) extents {
	if off >= end {
		return s
	}
	out := make(extents, 0, len(s)+1)
	i := 0
	for ; i < len(s) && s[i].end < off; i++ {
		out = append(out, s[i])
	}
	for ; i < len(s) && s[i].off <= end; i++ {
		off = min(off, s[i].off)
		end = max(end, s[i].end)
	}
	out = append(out, extent{off, end})
	return append(out, s[i:]...)
}

// remove returns the set with [off, end) excluded.
func (s extents) remove(off, end int64) extents {
	if off >= end || len(s) == 0 {
		return s
	}
	out := make(extents, 0, len(s)+1)
	for _, e := range s {
		if e.end <= off || e.off >= end {
			out = append(out, e)
			continue
		}
		if e.off < off {
			out = append(out, extent{e.off, off})
		}
		if e.end > end {
			out = append(out, extent{end, e.end})
		}
	}
	return out
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
