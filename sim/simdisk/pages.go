package simdisk

// pageSize is the unit in which file contents are stored. Pages that were
// never written are absent and read as zeros, so a store that preallocates
// a large segment with Truncate costs no memory until it writes.
const pageSize = 4096

type page [pageSize]byte

// pages is one version of a file's contents: the page cache or the media.
// A page pointer may be shared between a file's cache and media at the same
// index when their contents are equal; writers copy a shared page first.
// Invariant: every byte at or beyond size is zero, so growing size exposes
// zeros as POSIX requires.
type pages struct {
	size int64
	m    map[int64]*page
}

func newPages() pages { return pages{m: map[int64]*page{}} }

// readAt copies [off, off+len(p)) into p; the range must lie below size.
func (ps *pages) readAt(p []byte, off int64) {
	for len(p) > 0 {
		i, lo := off/pageSize, off%pageSize
		n := min(int64(len(p)), pageSize-lo)
		if pg := ps.m[i]; pg != nil {
			copy(p[:n], pg[lo:lo+n])
		} else {
			clear(p[:n])
		}
		p, off = p[n:], off+n
	}
}

// setSize changes the size, dropping and zeroing what falls beyond it.
// Zeroing a page shared with the other version is safe: the other version is
// either truncated to the same size or already has zeros there.
func (ps *pages) setSize(size int64) {
	if size < ps.size {
		first := (size + pageSize - 1) / pageSize
		last := (ps.size + pageSize - 1) / pageSize
		for i := first; i < last; i++ {
			delete(ps.m, i)
		}
		if lo := size % pageSize; lo != 0 {
			if pg := ps.m[size/pageSize]; pg != nil {
				clear(pg[lo:])
			}
		}
	}
	ps.size = size
}

// clone returns a version sharing every page with ps.
func (ps *pages) clone() pages {
	m := make(map[int64]*page, len(ps.m))
	for i, pg := range ps.m {
		m[i] = pg
	}
	return pages{size: ps.size, m: m}
}
