package simdisk

import (
	"encoding/binary"
	"hash/fnv"
	"slices"
)

// Digest hashes the disk's whole state: every path, and for files the
// content and size the process sees, the content and size on the media, and
// the dirty ranges. Two runs of the same seed must end with equal digests;
// the simulator can fold it into its trace hash. It depends on content, not
// representation: a page never written and a page of zeros hash alike.
func (d *Disk) Digest() uint64 {
	h := fnv.New64a()
	var buf [8]byte
	num := func(v int64) {
		binary.LittleEndian.PutUint64(buf[:], uint64(v))
		h.Write(buf[:])
	}
	var walkAll func(n *node, p string)
	walkAll = func(n *node, p string) {
		h.Write([]byte(p))
		h.Write([]byte{0})
		if n.file == nil {
			for _, name := range n.sortedNames() {
				walkAll(n.children[name], p+"/"+name)
			}
			return
		}
		f := n.file
		for _, ps := range []*pages{&f.cache, &f.media} {
			num(ps.size)
			idx := make([]int64, 0, len(ps.m))
			for i, pg := range ps.m {
				if *pg != (page{}) {
					idx = append(idx, i)
				}
			}
			slices.Sort(idx)
			for _, i := range idx {
				num(i)
				h.Write(ps.m[i][:])
			}
		}
		for _, e := range f.dirty {
			num(e.off)
			num(e.end)
		}
	}
	walkAll(d.root, "")
	return h.Sum64()
}
