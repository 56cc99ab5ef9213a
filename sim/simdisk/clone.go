package simdisk

import "math/rand/v2"

// Clone returns an independent copy of the disk as it is now, with its own
// rng and no node bound to it: no open handles, no fsyncs in flight (as if
// the process had just crashed). A test can clone before a power loss and
// try every tear of the same moment (PowerLossWith on each clone), the
// exhaustive crash-consistency check that one random tear per run samples.
func (d *Disk) Clone(rng *rand.Rand) *Disk {
	if rng == nil {
		panic("simdisk: Clone with nil rng")
	}
	c := &Disk{opts: d.opts, rng: rng, used: d.used}
	c.root = cloneNode(d.root, map[*node]*node{})
	return c
}

// cloneNode deep-copies a subtree. seen maps original nodes to copies so
// durable maps (MetadataNeedsSyncDir) point into the copied tree, including
// at nodes no longer linked anywhere but kept for a rollback.
func cloneNode(n *node, seen map[*node]*node) *node {
	if c, ok := seen[n]; ok {
		return c
	}
	c := &node{name: n.name}
	seen[n] = c
	if n.file != nil {
		c.file = n.file.clone()
		return c
	}
	c.children = make(map[string]*node, len(n.children))
	for name, child := range n.children {
		c.children[name] = cloneNode(child, seen)
	}
	c.durable = make(map[string]*node, len(n.durable))
	for name, child := range n.durable {
		c.durable[name] = cloneNode(child, seen)
	}
	return c
}

// clone deep-copies a file's contents, keeping pages shared between its
// cache and media shared in the copy too (writers copy them first).
func (f *file) clone() *file {
	c := &file{cache: newPages(), media: newPages(), dirty: f.dirty.clone(), linked: f.linked}
	c.cache.size, c.media.size = f.cache.size, f.media.size
	for i, pg := range f.media.m {
		cp := *pg
		c.media.m[i] = &cp
	}
	for i, pg := range f.cache.m {
		if f.media.m[i] == pg {
			c.cache.m[i] = c.media.m[i]
			continue
		}
		cp := *pg
		c.cache.m[i] = &cp
	}
	return c
}
