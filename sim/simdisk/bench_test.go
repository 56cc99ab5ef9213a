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
