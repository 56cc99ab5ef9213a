// Package memfs is a small in-memory runtime.FS for the store's tests,
// written before sim/simdisk existed and kept because it lets a test tear a
// write exactly where it wants. It keeps the page cache apart from the
// media: Crash keeps the first, PowerLoss only the second, tearing unsynced
// sectors at random.
package memfs

import (
	"fmt"
	"math/rand/v2"
	"path"
	"sort"
	"strings"
	"time"

	"rocketsim/runtime"
)

// SectorSize is the granularity of torn writes.
const SectorSize = 512

// FS is an in-memory disk. Not safe for concurrent use.
type FS struct {
	files    map[string]*inode
	dirs     map[string]bool
	gen      uint64 // bumped by Crash and PowerLoss: older handles go stale
	capacity int64
	rng      *rand.Rand

	// Schedule runs SyncAsync completions; nil runs them at once.
	Schedule func(d time.Duration, fn func())
	// SyncLatency delays SyncAsync completions.
	SyncLatency time.Duration
	// SyncFailProb makes Sync and SyncAsync fail with runtime.ErrIO.
	SyncFailProb float64
	// Syncs counts successful syncs; Writes the write calls (WriteAt and
	// WriteAsync).
	Syncs, Writes int
	// OutOfOrderTears: see PowerLoss.
	OutOfOrderTears bool
}

type inode struct {
	cache      []byte
	durable    []byte
	version    uint64 // bumped by every write
	durableVer uint64
}

// New returns an empty disk with capacity bytes (0: 1 TiB).
func New(capacity int64, seed uint64) *FS {
	if capacity == 0 {
		capacity = 1 << 40
	}
	return &FS{files: map[string]*inode{}, dirs: map[string]bool{".": true, "/": true},
		capacity: capacity, rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// SetCapacity changes the volume size (disk-full tests).
func (fs *FS) SetCapacity(n int64) { fs.capacity = n }

// Used is the sum of file sizes.
func (fs *FS) Used() int64 {
	var n int64
	for _, f := range fs.files {
		n += int64(len(f.cache))
	}
	return n
}

// Crash models a killed process: handles go stale, the page cache stays.
func (fs *FS) Crash() { fs.gen++ }

// PowerLoss drops unsynced bytes. Of each file's dirty sectors a random
// prefix, in offset order, reaches the media (a disk that writes back in
// order and stops at a random point, as sim/simdisk models it): the last
// writes are torn at sector granularity.
//
// With OutOfOrderTears a random subset survives instead. RocketMQ's record
// format checksums only the body, so a header sector lost out of order can
// leave a record that passes every check; tests use it to show that limit.
func (fs *FS) PowerLoss() {
	fs.gen++
	for _, name := range fs.sortedFiles() {
		f := fs.files[name]
		if f.version == f.durableVer {
			continue
		}
		out := make([]byte, len(f.cache))
		copy(out, f.durable)
		var dirty []int
		for s := 0; s < len(out); s += SectorSize {
			e := min(s+SectorSize, len(out))
			var old []byte
			if s < len(f.durable) {
				old = f.durable[s:min(e, len(f.durable))]
			}
			if !bytesEqualPadded(f.cache[s:e], old) {
				dirty = append(dirty, s)
			}
		}
		keep := fs.rng.IntN(len(dirty) + 1)
		for i, s := range dirty {
			e := min(s+SectorSize, len(out))
			if (fs.OutOfOrderTears && fs.rng.IntN(2) == 0) || (!fs.OutOfOrderTears && i < keep) {
				copy(out[s:e], f.cache[s:e])
			} else {
				clear(out[s:e])
				if s < len(f.durable) {
					copy(out[s:e], f.durable[s:min(e, len(f.durable))])
				}
			}
		}
		f.cache = out
		f.durable = append([]byte(nil), out...)
		f.version++
		f.durableVer = f.version
	}
}

func bytesEqualPadded(a, b []byte) bool {
	for i := range a {
		var v byte
		if i < len(b) {
			v = b[i]
		}
		if a[i] != v {
			return false
		}
	}
	return true
}

// Durable returns the synced bytes of a file (tests compare with them).
func (fs *FS) Durable(name string) []byte {
	if f := fs.files[path.Clean(name)]; f != nil {
		return f.durable
	}
	return nil
}

func (fs *FS) sortedFiles() []string {
	names := make([]string, 0, len(fs.files))
	for n := range fs.files {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

func (fs *FS) Open(name string, flag runtime.OpenFlag) (runtime.File, error) {
	name = path.Clean(name)
	f, ok := fs.files[name]
	if ok && flag&runtime.Create != 0 && flag&runtime.Exclusive != 0 {
		return nil, fmt.Errorf("open %s: %w", name, runtime.ErrExist)
	}
	if !ok {
		if flag&runtime.Create == 0 {
			return nil, fmt.Errorf("open %s: %w", name, runtime.ErrNotExist)
		}
		if !fs.dirs[path.Dir(name)] {
			return nil, fmt.Errorf("open %s: parent: %w", name, runtime.ErrNotExist)
		}
		f = &inode{}
		fs.files[name] = f
	}
	return &file{fs: fs, name: name, ino: f, gen: fs.gen, writable: flag&runtime.ReadWrite != 0}, nil
}

func (fs *FS) Remove(name string) error {
	name = path.Clean(name)
	if _, ok := fs.files[name]; ok {
		delete(fs.files, name)
		return nil
	}
	if fs.dirs[name] {
		for p := range fs.files {
			if strings.HasPrefix(p, name+"/") {
				return fmt.Errorf("remove %s: directory not empty", name)
			}
		}
		delete(fs.dirs, name)
		return nil
	}
	return fmt.Errorf("remove %s: %w", name, runtime.ErrNotExist)
}

func (fs *FS) RemoveAll(name string) error {
	name = path.Clean(name)
	delete(fs.files, name)
	delete(fs.dirs, name)
	for p := range fs.files {
		if strings.HasPrefix(p, name+"/") {
			delete(fs.files, p)
		}
	}
	for d := range fs.dirs {
		if strings.HasPrefix(d, name+"/") {
			delete(fs.dirs, d)
		}
	}
	return nil
}

func (fs *FS) Rename(from, to string) error {
	from, to = path.Clean(from), path.Clean(to)
	f, ok := fs.files[from]
	if !ok {
		return fmt.Errorf("rename %s: %w", from, runtime.ErrNotExist)
	}
	delete(fs.files, from)
	fs.files[to] = f
	return nil
}

func (fs *FS) MkdirAll(dir string) error {
	dir = path.Clean(dir)
	for d := dir; d != "." && d != "/"; d = path.Dir(d) {
		fs.dirs[d] = true
	}
	return nil
}

func (fs *FS) List(dir string) ([]string, error) {
	dir = path.Clean(dir)
	if !fs.dirs[dir] {
		return nil, fmt.Errorf("list %s: %w", dir, runtime.ErrNotExist)
	}
	seen := map[string]bool{}
	add := func(p string) {
		if path.Dir(p) == dir {
			seen[path.Base(p)] = true
		}
	}
	for p := range fs.files {
		add(p)
	}
	for d := range fs.dirs {
		if d != dir {
			add(d)
		}
	}
	out := make([]string, 0, len(seen))
	for n := range seen {
		out = append(out, n)
	}
	sort.Strings(out)
	return out, nil
}

func (fs *FS) Stat(name string) (runtime.FileInfo, error) {
	name = path.Clean(name)
	if f, ok := fs.files[name]; ok {
		return runtime.FileInfo{Name: path.Base(name), Size: int64(len(f.cache))}, nil
	}
	if fs.dirs[name] {
		return runtime.FileInfo{Name: path.Base(name), IsDir: true}, nil
	}
	return runtime.FileInfo{}, fmt.Errorf("stat %s: %w", name, runtime.ErrNotExist)
}

func (fs *FS) SyncDir(string) error { return nil }

func (fs *FS) Usage(string) (runtime.Usage, error) {
	used := fs.Used()
	free := max(fs.capacity-used, 0)
	return runtime.Usage{Total: uint64(fs.capacity), Free: uint64(free)}, nil
}

type file struct {
	fs       *FS
	name     string
	ino      *inode
	gen      uint64
	writable bool
	closed   bool
}

func (f *file) check(op string) error {
	if f.closed || f.gen != f.fs.gen {
		return fmt.Errorf("%s %s: stale or closed handle: %w", op, f.name, runtime.ErrIO)
	}
	return nil
}

func (f *file) Name() string { return f.name }

func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if err := f.check("read"); err != nil {
		return 0, err
	}
	if off >= int64(len(f.ino.cache)) {
		return 0, fmt.Errorf("read %s at %d: EOF", f.name, off)
	}
	n := copy(p, f.ino.cache[off:])
	if n < len(p) {
		return n, fmt.Errorf("read %s at %d: short read %d of %d: EOF", f.name, off, n, len(p))
	}
	return n, nil
}

func (f *file) WriteAt(p []byte, off int64) (int, error) {
	f.fs.Writes++
	if err := f.check("write"); err != nil {
		return 0, err
	}
	if !f.writable {
		return 0, fmt.Errorf("write %s: read-only handle: %w", f.name, runtime.ErrIO)
	}
	end := off + int64(len(p))
	grow := end - int64(len(f.ino.cache))
	var err error
	if grow > 0 {
		free := f.fs.capacity - f.fs.Used()
		if grow > free {
			end = int64(len(f.ino.cache)) + max(free, 0)
			if end < off {
				end = off
			}
			p = p[:end-off]
			err = fmt.Errorf("write %s at %d: %w", f.name, off, runtime.ErrNoSpace)
		}
		if end > int64(len(f.ino.cache)) {
			f.ino.cache = append(f.ino.cache, make([]byte, end-int64(len(f.ino.cache)))...)
		}
	}
	n := copy(f.ino.cache[off:], p)
	f.ino.version++
	return n, err
}

func (f *file) Size() (int64, error) {
	if err := f.check("size"); err != nil {
		return 0, err
	}
	return int64(len(f.ino.cache)), nil
}

// Truncate is metadata: durable at once, as the simulator's disk treats it.
func (f *file) Truncate(size int64) error {
	if err := f.check("truncate"); err != nil {
		return err
	}
	cur := int64(len(f.ino.cache))
	if size > cur && size-cur > f.fs.capacity-f.fs.Used() {
		return fmt.Errorf("truncate %s to %d: %w", f.name, size, runtime.ErrNoSpace)
	}
	resize := func(b []byte) []byte {
		if int64(len(b)) >= size {
			return b[:size:size]
		}
		return append(b, make([]byte, size-int64(len(b)))...)
	}
	f.ino.cache = resize(f.ino.cache)
	f.ino.durable = resize(append([]byte(nil), f.ino.durable...))
	f.ino.version++
	if f.ino.durableVer == f.ino.version-1 {
		f.ino.durableVer = f.ino.version
	}
	return nil
}

func (f *file) failSync() bool {
	return f.fs.SyncFailProb > 0 && f.fs.rng.Float64() < f.fs.SyncFailProb
}

func (f *file) Sync() error {
	if err := f.check("sync"); err != nil {
		return err
	}
	if f.failSync() {
		return fmt.Errorf("sync %s: %w", f.name, runtime.ErrIO)
	}
	f.ino.durable = append(f.ino.durable[:0:0], f.ino.cache...)
	f.ino.durableVer = f.ino.version
	f.fs.Syncs++
	return nil
}

func (f *file) SyncAsync(done func(error)) {
	if err := f.check("sync"); err != nil {
		f.complete(0, func() { done(err) })
		return
	}
	snap := append([]byte(nil), f.ino.cache...)
	ver := f.ino.version
	ino, gen, fs := f.ino, f.gen, f.fs
	fail := f.failSync()
	f.complete(fs.SyncLatency, func() {
		if gen != fs.gen {
			return // the process died: its completions never run
		}
		if fail {
			done(fmt.Errorf("sync %s: %w", f.name, runtime.ErrIO))
			return
		}
		if ver > ino.durableVer {
			ino.durable = snap
			ino.durableVer = ver
		}
		fs.Syncs++
		done(nil)
	})
}

// WriteAsync writes at once and reports on completion (inline without a
// Schedule): the runtime contract lets a write land before its done runs.
func (f *file) WriteAsync(p []byte, off int64, done func(int, error)) {
	n, err := f.WriteAt(p, off)
	gen, fs := f.gen, f.fs
	f.complete(0, func() {
		if gen != fs.gen {
			return // the process died: its completions never run
		}
		done(n, err)
	})
}

func (f *file) complete(d time.Duration, fn func()) {
	if f.fs.Schedule == nil {
		fn()
		return
	}
	f.fs.Schedule(d, fn)
}

func (f *file) Close() error {
	f.closed = true
	return nil
}
