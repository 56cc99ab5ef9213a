package simdisk

import (
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/runtime"
)

// BenchmarkAppendGroupCommit is the commit log's pattern: appends of 4 KiB,
// an async fsync every 8 appends, completions 1 ms later.
func BenchmarkAppendGroupCommit(b *testing.B) {
	d, l := newDisk(&testing.T{}, Options{}, 1)
	d.SetFsyncLatency(func(*rand.Rand) time.Duration { return time.Millisecond })
	f, err := d.FS().Open("commitlog", runtime.ReadWrite|runtime.Create)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(1 << 30); err != nil {
		b.Fatal(err)
	}
	p := make([]byte, 4096)
	b.SetBytes(int64(len(p)))
	var off int64
	for i := 0; b.Loop(); i++ {
		if off+int64(len(p)) > 1<<30 {
			off = 0
		}
		if _, err := f.WriteAt(p, off); err != nil {
			b.Fatal(err)
		}
		off += int64(len(p))
		if i%8 == 7 {
			f.SyncAsync(func(error) {})
			l.run(time.Millisecond / 4)
		}
	}
}

// BenchmarkScatteredWrites is the index file's pattern: small writes at
// random offsets, so the dirty set holds many separate ranges.
func BenchmarkScatteredWrites(b *testing.B) {
	d, l := newDisk(&testing.T{}, Options{}, 1)
	f, err := d.FS().Open("index", runtime.ReadWrite|runtime.Create)
	if err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 1))
	p := make([]byte, 4)
	for i := 0; b.Loop(); i++ {
		if _, err := f.WriteAt(p, r.Int64N(size/4)*4); err != nil {
			b.Fatal(err)
		}
		if i%20000 == 19999 {
			f.SyncAsync(func(error) {})
			l.run(time.Millisecond)
		}
	}
}
