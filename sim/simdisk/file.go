package simdisk

import (
	"slices"
)

// file is an inode: the bytes a process sees (cache), the bytes that would
// survive a power loss (media), and which ranges of the cache are dirty.
// Invariants: media.size <= cache.size. Unless a failed fsync dropped dirty
// state (Options.FsyncFailDropsDirty), every cache byte outside dirty and
// below media.size equals the media byte, and every cache byte at or beyond
// media.size is dirty.
type file struct {
	cache, media pages
	dirty        extents
	// pending are SyncAsync snapshots not yet completed, in call order.
	pending []*pendingSync
	// linked is false once the file was removed or replaced; an open handle
	// may still use it, but it no longer counts in the disk's Used.
	linked bool
}

// pendingSync is the dirty set at the moment SyncAsync was called, and what
// was rewritten or truncated away since, which the completion must not
// persist (those bytes are newer than the snapshot).
type pendingSync struct {
	ranges    extents
	rewritten extents
}

func newFile() *file {
	return &file{cache: newPages(), media: newPages(), linked: true}
}

func (f *file) size() int64 { return f.cache.size }

// touched records that [off, end) of the cache changed, for the dirty set
// and for every pending snapshot.
func (f *file) touched(off, end int64, dirty bool) {
	if dirty {
		f.dirty = f.dirty.add(off, end)
	}
	for _, s := range f.pending {
		s.rewritten = s.rewritten.add(off, end)
	}
}

// writeAt writes p at off into the cache, growing it as needed.
func (f *file) writeAt(p []byte, off int64) {
	end := off + int64(len(p))
	if end > f.cache.size {
		// The hole between the old end and off reads as zeros but is as
		// unsynced as the write itself: mark it dirty too.
		f.touched(f.cache.size, end, true)
		f.cache.size = end
	}
	f.touched(off, end, true)
	for len(p) > 0 {
		i, lo := off/pageSize, off%pageSize
		n := min(int64(len(p)), pageSize-lo)
		pg := f.cache.m[i]
		switch {
		case pg == nil:
			pg = new(page)
			f.cache.m[i] = pg
		case f.media.m[i] == pg:
			cp := *pg
			pg = &cp
			f.cache.m[i] = pg
		}
		copy(pg[lo:lo+n], p[:n])
		p, off = p[n:], off+n
	}
}

// truncate sets both versions to size: the journal makes it durable at once.
func (f *file) truncate(size int64) {
	old := f.cache.size
	f.touched(min(old, size), max(old, size), false)
	f.cache.setSize(size)
	f.media.setSize(size)
	f.dirty = f.dirty.clip(size)
}

// persist copies the cache's bytes in [off, end) to the media.
func (f *file) persist(off, end int64) {
	end = min(end, f.cache.size)
	if off >= end {
		return
	}
	if end > f.media.size {
		f.media.size = end
	}
	for off < end {
		i, lo := off/pageSize, off%pageSize
		n := min(end-off, pageSize-lo)
		cp, mp := f.cache.m[i], f.media.m[i]
		switch {
		case cp == mp:
			// Shared or both absent: already equal.
		case n == pageSize:
			if cp == nil {
				delete(f.media.m, i)
			} else {
				f.media.m[i] = cp
			}
		default:
			if mp == nil {
				mp = new(page)
				f.media.m[i] = mp
			}
			if cp == nil {
				clear(mp[lo : lo+n])
			} else {
				copy(mp[lo:lo+n], cp[lo:lo+n])
			}
		}
		off += n
	}
}

// syncAll makes the whole cache durable. Bytes that are clean but differ
// from the media (dropped by a failed fsync) stay lost: the size becomes
// durable, their content reads as zeros after a power loss.
func (f *file) syncAll() {
	for _, e := range f.dirty {
		f.persist(e.off, e.end)
	}
	f.dirty = nil
	f.media.setSize(f.cache.size)
}

// dropDirty forgets that the whole cache is unsynced without persisting it:
// Linux's page state after a failed fsync.
func (f *file) dropDirty() { f.dirty = nil }

// snapshot starts a SyncAsync: it covers what is dirty now.
func (f *file) snapshot() *pendingSync {
	s := &pendingSync{ranges: f.dirty.clone()}
	f.pending = append(f.pending, s)
	return s
}

// complete ends a SyncAsync; when ok, the snapshot's ranges that were not
// rewritten since become durable (their cache bytes are the snapshot's).
// When it failed and drop is set, those ranges become clean but not durable.
func (f *file) complete(s *pendingSync, ok, drop bool) {
	i := slices.Index(f.pending, s)
	if i < 0 {
		panic("simdisk: completing a sync that is not pending")
	}
	f.pending = slices.Delete(f.pending, i, i+1)
	if !ok && !drop {
		return
	}
	done := s.ranges.minus(s.rewritten)
	if ok {
		for _, e := range done {
			f.persist(e.off, e.end)
		}
	}
	f.dirty = f.dirty.minus(done)
}

// dirtySectors is the dirty set widened to whole sectors, within the file.
func (f *file) dirtySectors(sector int64) extents {
	var out extents
	for _, e := range f.dirty {
		off := e.off / sector * sector
		end := min((e.end+sector-1)/sector*sector, f.cache.size)
		out = out.add(off, end)
	}
	return out
}

// tear applies a power loss to the file: each dirty sector, numbered from 0
// in offset order, reaches the media when kept says so; then the cache
// reverts to the media.
func (f *file) tear(sector int64, kept func(i int64) bool) {
	var i int64
	for _, e := range f.dirtySectors(sector) {
		for off := e.off; off < e.end; off += sector {
			if kept(i) {
				f.persist(off, min(off+sector, e.end))
			}
			i++
		}
	}
	f.cache = f.media.clone()
	f.dirty = nil
	f.pending = nil
}

// countSectors is how many sectors (the last may be short) the set spans.
func countSectors(s extents, sector int64) int64 {
	var n int64
	for _, e := range s {
		n += (e.end - e.off + sector - 1) / sector
	}
	return n
}

// corrupt inverts the media's bytes in [off, end) and, where the cache
// mirrors the media (not dirty), the cache's too: damage on the platter
// that the process sees once it reads what the media holds.
func (f *file) corrupt(off, end int64) {
	end = min(end, f.media.size)
	for i := max(off, 0); i < end; i++ {
		pi, lo := i/pageSize, i%pageSize
		if cp := f.cache.m[pi]; cp != nil && cp == f.media.m[pi] {
			private := *cp
			f.cache.m[pi] = &private
		}
		mp := f.media.m[pi]
		if mp == nil {
			mp = new(page)
			f.media.m[pi] = mp
		}
		mp[lo] ^= 0xFF
		if !f.dirty.contains(i) {
			cp := f.cache.m[pi]
			if cp == nil {
				cp = new(page)
				f.cache.m[pi] = cp
			}
			cp[lo] ^= 0xFF
		}
	}
}
