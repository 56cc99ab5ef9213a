package simdisk

// tear decides how much of f's unsynced data a power loss leaves on the
// media: a uniformly drawn number of its dirty sectors, taken in offset
// order. Drawing the count (rather than a subset) models a disk that writes
// back in order and stops at a random point, which is what tears the tail
// of an append-only log; a sector is written whole or not at all.
func (d *Disk) tear(f *file) {
	sector := int64(d.opts.SectorSize)
	n := countSectors(f.dirtySectors(sector), sector)
	var keep int64
	if n > 0 {
		keep = d.rng.Int64N(n + 1)
	}
	f.tear(sector, keep)
}
