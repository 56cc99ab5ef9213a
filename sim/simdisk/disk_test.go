package simdisk

import (
	"bytes"
	"errors"
	iofs "io/fs"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"rocketsim/runtime"
)

// loop is a minimal event queue standing in for a node's event loop.
type loop struct {
	now    time.Duration
	seq    int
	events []event
}

type event struct {
	at  time.Duration
	seq int
	fn  func()
}

func (l *loop) schedule(d time.Duration, fn func()) {
	l.seq++
	l.events = append(l.events, event{l.now + d, l.seq, fn})
}

// run executes every event due by now+d, in (time, seq) order.
func (l *loop) run(d time.Duration) {
	until := l.now + d
	for {
		slices.SortFunc(l.events, func(a, b event) int {
			if a.at != b.at {
				return int(a.at - b.at)
			}
			return a.seq - b.seq
		})
		if len(l.events) == 0 || l.events[0].at > until {
			break
		}
		e := l.events[0]
		l.events = l.events[1:]
		l.now = e.at
		e.fn()
	}
	l.now = until
}

func newDisk(t *testing.T, opts Options, seed uint64) (*Disk, *loop) {
	t.Helper()
	d := New(opts, rand.New(rand.NewPCG(seed, 0)))
	l := &loop{}
	d.Bind(l.schedule)
	return d, l
}

func mustOpen(t *testing.T, fs runtime.FS, name string, flag runtime.OpenFlag) runtime.File {
	t.Helper()
	f, err := fs.Open(name, flag)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	return f
}

func mustWrite(t *testing.T, f runtime.File, p []byte, off int64) {
	t.Helper()
	if n, err := f.WriteAt(p, off); err != nil || n != len(p) {
		t.Fatalf("write %d bytes at %d: n=%d err=%v", len(p), off, n, err)
	}
}

func readAll(t *testing.T, fs runtime.FS, name string) []byte {
	t.Helper()
	f := mustOpen(t, fs, name, runtime.ReadOnly)
	defer f.Close()
	size, err := f.Size()
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, size)
	if n, err := f.ReadAt(b, 0); int64(n) != size || (err != nil && size > 0) {
		t.Fatalf("read %s: n=%d size=%d err=%v", name, n, size, err)
	}
	return b
}

func fill(n int, b byte) []byte { return bytes.Repeat([]byte{b}, n) }

const rw = runtime.ReadWrite | runtime.Create

func TestPowerLossDropsExactlyUnsynced(t *testing.T) {
	// Many seeds: whatever the tear, synced bytes always survive and no
	// byte beyond them is ever invented.
	for seed := range uint64(20) {
		d, _ := newDisk(t, Options{}, seed)
		fs := d.FS()
		f := mustOpen(t, fs, "log", rw)
		synced := fill(3000, 'a')
		mustWrite(t, f, synced, 0)
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, f, fill(5000, 'b'), 3000)
		if got, _ := d.DirtyBytes("log"); got != 5000 {
			t.Fatalf("dirty = %d, want 5000", got)
		}
		d.PowerLoss()
		got := readAll(t, fs, "log")
		if len(got) < 3000 || !bytes.Equal(got[:3000], synced) {
			t.Fatalf("seed %d: synced prefix lost: len %d", seed, len(got))
		}
		if rest := got[3000:]; !bytes.Equal(rest, fill(len(rest), 'b')) {
			t.Fatalf("seed %d: survived bytes are not the written ones", seed)
		}
		if d.Used() != int64(len(got)) {
			t.Fatalf("used %d != size %d after power loss", d.Used(), len(got))
		}
	}
}

func TestPowerLossWithoutTearKeepsOnlySynced(t *testing.T) {
	// A write that never synced, on a disk whose rng keeps 0 sectors, is
	// gone; find such a seed deterministically and check the exact state.
	for seed := range uint64(50) {
		d, _ := newDisk(t, Options{}, seed)
		fs := d.FS()
		f := mustOpen(t, fs, "x", rw)
		mustWrite(t, f, fill(100, 'a'), 0)
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		mustWrite(t, f, fill(100, 'z'), 0) // overwrite within the synced sector
		d.PowerLoss()
		got := readAll(t, fs, "x")
		switch {
		case bytes.Equal(got, fill(100, 'a')):
			return // the sector did not make it: exactly the synced bytes
		case bytes.Equal(got, fill(100, 'z')):
			continue // the whole sector made it
		default:
			t.Fatalf("seed %d: torn inside a sector: %q", seed, got)
		}
	}
	t.Fatal("no seed in 50 dropped the unsynced sector")
}

func TestTearAtSectorBoundaries(t *testing.T) {
	const size = 64 * 512
	outcomes := map[int]bool{}
	for seed := range uint64(40) {
		d, _ := newDisk(t, Options{}, seed)
		fs := d.FS()
		f := mustOpen(t, fs, "seg", rw)
		// Unaligned start and end: the partly written sectors are whole
		// units of tearing too.
		mustWrite(t, f, fill(size-300, 'q'), 100)
		d.PowerLoss()
		got := readAll(t, fs, "seg")
		n := len(got)
		if n != 0 && n%512 != 0 && n != size-200 {
			t.Fatalf("seed %d: torn length %d is not at a sector boundary", seed, n)
		}
		if n > 0 && (!bytes.Equal(got[:100], make([]byte, 100)) || !bytes.Equal(got[100:], fill(n-100, 'q'))) {
			t.Fatalf("seed %d: wrong content", seed)
		}
		outcomes[n] = true
	}
	if len(outcomes) < 5 {
		t.Fatalf("tearing barely varies across seeds: %v", outcomes)
	}
}

func TestTearDeterministicPerSeed(t *testing.T) {
	run := func(seed uint64) []int64 {
		d, _ := newDisk(t, Options{}, seed)
		fs := d.FS()
		var sizes []int64
		for i, name := range []string{"a", "b", "c", "d"} {
			f := mustOpen(t, fs, name, rw)
			mustWrite(t, f, fill(20000+i*777, byte('a'+i)), 0)
		}
		d.PowerLoss()
		for _, name := range []string{"a", "b", "c", "d"} {
			s, err := d.CachedSize(name)
			if err != nil {
				t.Fatal(err)
			}
			sizes = append(sizes, s)
		}
		return sizes
	}
	first := run(7)
	for range 3 {
		if again := run(7); !slices.Equal(first, again) {
			t.Fatalf("same seed, different tears: %v vs %v", first, again)
		}
	}
	differs := false
	for seed := range uint64(10) {
		if !slices.Equal(run(100+seed), first) {
			differs = true
		}
	}
	if !differs {
		t.Fatal("tears identical across 10 other seeds")
	}
}

func TestCrashKeepsCacheAndInvalidatesHandles(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	fs := d.FS()
	f := mustOpen(t, fs, "data", rw)
	mustWrite(t, f, []byte("unsynced but in the page cache"), 0)
	d.Crash()
	for name, err := range map[string]error{
		"write": func() error { _, err := f.WriteAt([]byte("x"), 0); return err }(),
		"read":  func() error { _, err := f.ReadAt(make([]byte, 1), 0); return err }(),
		"sync":  f.Sync(),
		"trunc": f.Truncate(0),
		"close": f.Close(),
	} {
		if !errors.Is(err, runtime.ErrClosed) {
			t.Errorf("%s on a handle from before the crash: %v, want ErrClosed", name, err)
		}
	}
	if got := readAll(t, d.FS(), "data"); string(got) != "unsynced but in the page cache" {
		t.Fatalf("after crash read %q", got)
	}
	// The bytes are still unsynced: a power loss now may drop them.
	if s, _ := d.SyncedSize("data"); s != 0 {
		t.Fatalf("synced size %d, want 0", s)
	}
}

func TestDiskFull(t *testing.T) {
	for _, partial := range []bool{false, true} {
		d, _ := newDisk(t, Options{Capacity: 1000, PartialWriteOnFull: partial}, 1)
		fs := d.FS()
		f := mustOpen(t, fs, "f", rw)
		mustWrite(t, f, fill(900, 'a'), 0)
		n, err := f.WriteAt(fill(200, 'b'), 900)
		if !errors.Is(err, runtime.ErrNoSpace) {
			t.Fatalf("partial=%v: err %v, want ErrNoSpace", partial, err)
		}
		want := 0
		if partial {
			want = 100
		}
		if n != want {
			t.Fatalf("partial=%v: wrote %d, want %d", partial, n, want)
		}
		if s, _ := f.Size(); s != int64(900+want) {
			t.Fatalf("partial=%v: size %d", partial, s)
		}
		// Overwriting in place needs no space even when full.
		if partial {
			mustWrite(t, f, fill(50, 'c'), 950)
		}
		// Growing by truncate counts as well.
		if err := f.Truncate(5000); !errors.Is(err, runtime.ErrNoSpace) {
			t.Fatalf("truncate beyond capacity: %v", err)
		}
		u, err := fs.Usage("/")
		if err != nil {
			t.Fatal(err)
		}
		if u.Total != 1000 || u.Free != uint64(1000-900-want) {
			t.Fatalf("usage %+v", u)
		}
		d.SetCapacity(2000)
		mustWrite(t, f, fill(200, 'd'), int64(900+want))
		if d.Used() != int64(1100+want) {
			t.Fatalf("used %d after resuming", d.Used())
		}
		// Removing a file frees its space.
		if err := fs.Remove("f"); err != nil {
			t.Fatal(err)
		}
		if d.Used() != 0 {
			t.Fatalf("used %d after remove", d.Used())
		}
	}
}

func TestFsyncFailureLeavesDataDirty(t *testing.T) {
	d, _ := newDisk(t, Options{FsyncFailProb: 1}, 1)
	fs := d.FS()
	f := mustOpen(t, fs, "m", rw)
	mustWrite(t, f, fill(1024, 'm'), 0)
	if err := f.Sync(); !errors.Is(err, runtime.ErrIO) {
		t.Fatalf("sync: %v, want ErrIO", err)
	}
	if s, _ := d.SyncedSize("m"); s != 0 {
		t.Fatalf("failed sync made %d bytes durable", s)
	}
	d.SetFsyncFailProb(0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if s, _ := d.SyncedSize("m"); s != 1024 {
		t.Fatalf("retried sync: synced %d", s)
	}
	st := d.Stats()
	if st.Syncs != 1 || st.SyncFails != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSyncAsyncCoversOnlySnapshot(t *testing.T) {
	lat := func(*rand.Rand) time.Duration { return 5 * time.Millisecond }
	d, l := newDisk(t, Options{FsyncLatency: lat}, 1)
	fs := d.FS()
	f := mustOpen(t, fs, "cl", rw)
	mustWrite(t, f, fill(1000, 'a'), 0)
	var got []error
	f.SyncAsync(func(err error) { got = append(got, err) })
	mustWrite(t, f, fill(1000, 'b'), 1000) // after the snapshot
	mustWrite(t, f, fill(10, 'c'), 0)      // rewrites part of the snapshot
	l.run(4 * time.Millisecond)
	if len(got) != 0 {
		t.Fatal("done ran before the latency elapsed")
	}
	if s, _ := d.SyncedSize("cl"); s != 0 {
		t.Fatalf("durable before completion: %d", s)
	}
	l.run(time.Millisecond)
	if len(got) != 1 || got[0] != nil {
		t.Fatalf("done calls %v", got)
	}
	media, _ := d.SyncedContent("cl")
	// The rewritten 10 bytes are newer than the snapshot and stay dirty; the
	// rest of the first 1000 is durable; the second 1000 is not.
	if len(media) != 1000 || !bytes.Equal(media[10:], fill(990, 'a')) {
		t.Fatalf("media len %d", len(media))
	}
	if dirty, _ := d.DirtyBytes("cl"); dirty != 1010 {
		t.Fatalf("dirty %d, want 1010", dirty)
	}
}

func TestSyncAsyncDroppedOnCrashAndPowerLoss(t *testing.T) {
	for _, fault := range []string{"crash", "power"} {
		lat := func(*rand.Rand) time.Duration { return time.Millisecond }
		d, l := newDisk(t, Options{FsyncLatency: lat, SectorSize: 512}, 3)
		f := mustOpen(t, d.FS(), "cl", rw)
		mustWrite(t, f, fill(100, 'a'), 0)
		called := false
		f.SyncAsync(func(error) { called = true })
		if fault == "crash" {
			d.Crash()
		} else {
			d.PowerLoss()
		}
		l.run(time.Second)
		if called {
			t.Fatalf("%s: done ran for a dead incarnation", fault)
		}
		if s, _ := d.SyncedSize("cl"); fault == "crash" && s != 0 {
			t.Fatalf("%s: snapshot became durable after the process died", fault)
		}
	}
}

func TestSyncAsyncFailure(t *testing.T) {
	d, l := newDisk(t, Options{FsyncFailProb: 1}, 1)
	f := mustOpen(t, d.FS(), "x", rw)
	mustWrite(t, f, fill(10, 'x'), 0)
	var got error
	f.SyncAsync(func(err error) { got = err })
	l.run(0)
	if !errors.Is(got, runtime.ErrIO) {
		t.Fatalf("async sync: %v", got)
	}
	if dirty, _ := d.DirtyBytes("x"); dirty != 10 {
		t.Fatalf("dirty %d after failed sync", dirty)
	}
}

func TestRenameAndRemoveAreDurable(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	fs := d.FS()
	if err := fs.MkdirAll("/store/config"); err != nil {
		t.Fatal(err)
	}
	tmp := mustOpen(t, fs, "store/config/offsets.json.tmp", rw)
	mustWrite(t, tmp, []byte(`{"a":1}`), 0)
	if err := tmp.Sync(); err != nil {
		t.Fatal(err)
	}
	tmp.Close()
	old := mustOpen(t, fs, "store/config/offsets.json", rw)
	mustWrite(t, old, []byte("old"), 0)
	old.Sync()
	old.Close()
	if err := fs.Rename("store/config/offsets.json.tmp", "/store/config/offsets.json"); err != nil {
		t.Fatal(err)
	}
	gone := mustOpen(t, fs, "/store/gone", rw)
	gone.Close()
	if err := fs.Remove("/store/gone"); err != nil {
		t.Fatal(err)
	}
	if err := fs.SyncDir("/store/config"); err != nil {
		t.Fatal(err)
	}
	d.PowerLoss()
	names, err := fs.List("/store/config")
	if err != nil || !slices.Equal(names, []string{"offsets.json"}) {
		t.Fatalf("list %v %v", names, err)
	}
	if got := readAll(t, fs, "/store/config/offsets.json"); string(got) != `{"a":1}` {
		t.Fatalf("renamed content %q", got)
	}
	if _, err := fs.Stat("/store/gone"); !errors.Is(err, runtime.ErrNotExist) {
		t.Fatalf("removed file: %v", err)
	}
	if d.Stats().SyncDirs != 1 {
		t.Fatal("SyncDir not counted")
	}
	if d.Used() != 7 {
		t.Fatalf("used %d, want 7", d.Used())
	}
}

func TestNamespaceErrors(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	fs := d.FS()
	if _, err := fs.Open("missing", runtime.ReadOnly); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("open missing: %v", err)
	}
	if _, err := fs.Open("nodir/x", rw); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("create without parent: %v", err)
	}
	mustOpen(t, fs, "f", rw).Close()
	if _, err := fs.Open("f", rw|runtime.Exclusive); !errors.Is(err, runtime.ErrExist) {
		t.Errorf("exclusive create of existing: %v", err)
	}
	if err := fs.MkdirAll("f/sub"); !errors.Is(err, ErrNotDir) {
		t.Errorf("mkdir under a file: %v", err)
	}
	fs.MkdirAll("d/e")
	if err := fs.Remove("d"); !errors.Is(err, ErrNotEmpty) {
		t.Errorf("remove non-empty dir: %v", err)
	}
	if err := fs.Rename("d", "d/e/f"); !errors.Is(err, ErrInvalid) {
		t.Errorf("rename into itself: %v", err)
	}
	if err := fs.RemoveAll("nothing/here"); err != nil {
		t.Errorf("remove all missing: %v", err)
	}
	ro := mustOpen(t, fs, "f", runtime.ReadOnly)
	if _, err := ro.WriteAt([]byte("x"), 0); !errors.Is(err, ErrReadOnly) {
		t.Errorf("write read-only: %v", err)
	}
	if fi, err := fs.Stat("d"); err != nil || !fi.IsDir || fi.Name != "d" {
		t.Errorf("stat dir %+v %v", fi, err)
	}
	for _, n := range []string{"z", "a", "m"} {
		mustOpen(t, fs, "d/"+n, rw).Close()
	}
	if names, _ := fs.List("/d/"); !slices.Equal(names, []string{"a", "e", "m", "z"}) {
		t.Errorf("list not sorted: %v", names)
	}
	if err := fs.RemoveAll("d"); err != nil {
		t.Fatal(err)
	}
	if _, err := fs.Stat("d/a"); !errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("after remove all: %v", err)
	}
}

func TestSparseTruncateReadsZeros(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	f := mustOpen(t, d.FS(), "seg", rw)
	// A 1 GiB preallocated segment costs no memory and is durable at once.
	if err := f.Truncate(1 << 30); err != nil {
		t.Fatal(err)
	}
	if s, _ := d.SyncedSize("seg"); s != 1<<30 {
		t.Fatalf("synced size %d", s)
	}
	mustWrite(t, f, []byte("hello"), 1<<29)
	b := make([]byte, 9)
	if _, err := f.ReadAt(b, 1<<29-2); err != nil || string(b) != "\x00\x00hello\x00\x00" {
		t.Fatalf("read %q %v", b, err)
	}
	// Shrinking zeros the tail so regrowing shows zeros, not old data.
	f.Truncate(1<<29 + 2)
	f.Truncate(1<<29 + 5)
	f.ReadAt(b[:5], 1<<29)
	if string(b[:5]) != "he\x00\x00\x00" {
		t.Fatalf("after shrink and grow %q", b[:5])
	}
}

func TestFsyncFailureDropsDirtyLikeLinux(t *testing.T) {
	d, _ := newDisk(t, Options{FsyncFailProb: 1, FsyncFailDropsDirty: true}, 1)
	fs := d.FS()
	f := mustOpen(t, fs, "wal", rw)
	mustWrite(t, f, fill(100, 'w'), 0)
	if err := f.Sync(); !errors.Is(err, runtime.ErrIO) {
		t.Fatalf("sync: %v", err)
	}
	if dirty, _ := d.DirtyBytes("wal"); dirty != 0 {
		t.Fatalf("dirty %d after a failed fsync that drops pages", dirty)
	}
	// The process still reads its bytes, and a retried fsync succeeds...
	d.SetFsyncFailProb(0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	if got := readAll(t, fs, "wal"); !bytes.Equal(got, fill(100, 'w')) {
		t.Fatal("page cache lost the bytes")
	}
	// ...but nothing reached the media: the size did, the content did not.
	media, _ := d.SyncedContent("wal")
	if !bytes.Equal(media, make([]byte, 100)) {
		t.Fatalf("media %q, want 100 zeros", media)
	}
	d.PowerLoss()
	if got := readAll(t, fs, "wal"); !bytes.Equal(got, make([]byte, 100)) {
		t.Fatal("power loss kept bytes whose fsync failed")
	}
}

func TestDigestFollowsContent(t *testing.T) {
	build := func(seed uint64, last byte) uint64 {
		d, _ := newDisk(t, Options{}, seed)
		fs := d.FS()
		fs.MkdirAll("a/b")
		f := mustOpen(t, fs, "a/b/f", rw)
		mustWrite(t, f, fill(5000, 'x'), 0)
		f.Sync()
		mustWrite(t, f, []byte{last}, 9000)
		return d.Digest()
	}
	if build(1, 'y') != build(2, 'y') {
		t.Fatal("equal histories, different digests")
	}
	if build(1, 'y') == build(1, 'z') {
		t.Fatal("digest ignores a byte of content")
	}
	// A page of zeros written explicitly equals a hole.
	d1, _ := newDisk(t, Options{}, 1)
	f1 := mustOpen(t, d1.FS(), "f", rw)
	f1.Truncate(8192)
	d2, _ := newDisk(t, Options{}, 1)
	f2 := mustOpen(t, d2.FS(), "f", rw)
	f2.Truncate(8192)
	mustWrite(t, f2, make([]byte, 4096), 0)
	f2.Sync()
	if d1.Digest() != d2.Digest() {
		t.Fatal("zero page and hole hash differently")
	}
}

func TestMetadataNeedsSyncDir(t *testing.T) {
	for _, strict := range []bool{false, true} {
		d, _ := newDisk(t, Options{MetadataNeedsSyncDir: strict}, 1)
		fs := d.FS()
		fs.MkdirAll("/store/cq")
		fs.SyncDir("/")
		fs.SyncDir("/store")
		old := mustOpen(t, fs, "/store/checkpoint", rw)
		mustWrite(t, old, []byte("v1"), 0)
		old.Sync()
		fs.SyncDir("/store")
		doomed := mustOpen(t, fs, "/store/doomed", rw)
		doomed.Sync()
		fs.SyncDir("/store")

		// Unsynced namespace changes: a new file (its data fsynced), a
		// rename over the checkpoint, a removal, a new directory.
		fresh := mustOpen(t, fs, "/store/segment", rw)
		mustWrite(t, fresh, []byte("data"), 0)
		fresh.Sync()
		tmp := mustOpen(t, fs, "/store/checkpoint.tmp", rw)
		mustWrite(t, tmp, []byte("v2"), 0)
		tmp.Sync()
		if err := fs.Rename("/store/checkpoint.tmp", "/store/checkpoint"); err != nil {
			t.Fatal(err)
		}
		fs.Remove("/store/doomed")
		fs.MkdirAll("/store/newdir/0")
		// A synced change in another directory survives either way.
		synced := mustOpen(t, fs, "/store/cq/q", rw)
		synced.Close()
		fs.SyncDir("/store/cq")
		usedBefore := d.Used()

		d.PowerLoss()
		names, _ := fs.List("/store")
		cq, _ := fs.List("/store/cq")
		if !strict {
			if !slices.Equal(names, []string{"checkpoint", "cq", "newdir", "segment"}) || !slices.Equal(cq, []string{"q"}) {
				t.Fatalf("journaled: %v %v", names, cq)
			}
			if got := readAll(t, fs, "/store/checkpoint"); string(got) != "v2" {
				t.Fatalf("journaled rename lost: %q", got)
			}
			if d.Used() != usedBefore {
				t.Fatalf("used %d, before %d", d.Used(), usedBefore)
			}
			continue
		}
		if !slices.Equal(names, []string{"checkpoint", "cq", "doomed"}) || !slices.Equal(cq, []string{"q"}) {
			t.Fatalf("strict: /store %v, /store/cq %v", names, cq)
		}
		if got := readAll(t, fs, "/store/checkpoint"); string(got) != "v1" {
			t.Fatalf("strict: rename without SyncDir survived: %q", got)
		}
		if d.Used() != 2 {
			t.Fatalf("strict: used %d, want 2", d.Used())
		}
	}
}

func TestFilesReport(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	fs := d.FS()
	fs.MkdirAll("b")
	f := mustOpen(t, fs, "b/y", rw)
	mustWrite(t, f, fill(10, 'y'), 0)
	f.Sync()
	mustWrite(t, f, fill(5, 'y'), 10)
	mustOpen(t, fs, "a", rw)
	want := []FileState{{Path: "/a"}, {Path: "/b/y", Size: 15, SyncedSize: 10, DirtyBytes: 5}}
	if got := d.Files(); !slices.Equal(got, want) {
		t.Fatalf("files %+v, want %+v", got, want)
	}
}

func TestSyncAsyncCompletesInCallOrder(t *testing.T) {
	lat := []time.Duration{10 * time.Millisecond, time.Millisecond, 3 * time.Millisecond}
	d, l := newDisk(t, Options{FsyncLatency: func(*rand.Rand) time.Duration {
		next := lat[0]
		lat = lat[1:]
		return next
	}}, 1)
	fs := d.FS()
	var order []string
	var at []time.Duration
	for _, name := range []string{"slow", "fast", "mid"} {
		f := mustOpen(t, fs, name, rw)
		mustWrite(t, f, []byte(name), 0)
		f.SyncAsync(func(err error) {
			if err != nil {
				t.Error(err)
			}
			order = append(order, name)
			at = append(at, l.now)
		})
	}
	l.run(5 * time.Millisecond)
	if len(order) != 0 {
		t.Fatalf("completed before the slow fsync ahead of them: %v", order)
	}
	if s, _ := d.SyncedSize("fast"); s != 0 {
		t.Fatal("a waiting fsync made its data durable early")
	}
	l.run(10 * time.Millisecond)
	if !slices.Equal(order, []string{"slow", "fast", "mid"}) || at[0] != 10*time.Millisecond || at[2] != 10*time.Millisecond {
		t.Fatalf("order %v at %v", order, at)
	}
}

func TestErrorsMatchRuntimeAndStdlibSentinels(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	fs := d.FS()
	_, err := fs.Open("missing", runtime.ReadOnly)
	if !errors.Is(err, runtime.ErrNotExist) || !errors.Is(err, iofs.ErrNotExist) {
		t.Errorf("not exist: %v", err)
	}
	f := mustOpen(t, fs, "f", rw)
	_, err = fs.Open("f", rw|runtime.Exclusive)
	if !errors.Is(err, runtime.ErrExist) || !errors.Is(err, iofs.ErrExist) {
		t.Errorf("exist: %v", err)
	}
	f.Close()
	_, err = f.ReadAt(make([]byte, 1), 0)
	if !errors.Is(err, runtime.ErrClosed) || !errors.Is(err, iofs.ErrClosed) {
		t.Errorf("closed: %v", err)
	}
	if errors.Is(err, runtime.ErrNotExist) {
		t.Errorf("closed matches not-exist: %v", err)
	}
}

func TestTearSubsetKeepsSectorsOutOfOrder(t *testing.T) {
	holes := 0
	for seed := range uint64(20) {
		d, _ := newDisk(t, Options{TearSubset: true}, seed)
		fs := d.FS()
		f := mustOpen(t, fs, "log", rw)
		mustWrite(t, f, fill(8*512, 'n'), 0)
		d.PowerLoss()
		got := readAll(t, fs, "log")
		if len(got)%512 != 0 {
			t.Fatalf("seed %d: length %d not at a sector boundary", seed, len(got))
		}
		for s := 0; s < len(got)/512; s++ {
			sec := got[s*512 : (s+1)*512]
			switch {
			case bytes.Equal(sec, fill(512, 'n')):
			case bytes.Equal(sec, make([]byte, 512)):
				holes++ // a lost sector before a kept one reads as zeros
			default:
				t.Fatalf("seed %d: sector %d is torn inside", seed, s)
			}
		}
	}
	if holes == 0 {
		t.Fatal("no seed kept a later sector while losing an earlier one")
	}
}

func TestCorrupt(t *testing.T) {
	d, _ := newDisk(t, Options{}, 1)
	fs := d.FS()
	f := mustOpen(t, fs, "cl", rw)
	mustWrite(t, f, fill(8192, 'a'), 0)
	if err := f.Sync(); err != nil {
		t.Fatal(err)
	}
	mustWrite(t, f, fill(4, 'b'), 100) // newer than the media
	if err := d.Corrupt("cl", 98, 4); err != nil {
		t.Fatal(err)
	}
	want := fill(8192, 'a')
	copy(want[100:], fill(4, 'b'))
	want[98], want[99] = 'a'^0xFF, 'a'^0xFF
	if got := readAll(t, fs, "cl"); !bytes.Equal(got, want) {
		t.Fatalf("process view: %q", got[96:106])
	}
	media, _ := d.SyncedContent("cl")
	if media[98] != 'a'^0xFF || media[101] != 'a'^0xFF || media[102] != 'a' {
		t.Fatalf("media: %q", media[96:106])
	}
	if dirty, _ := d.DirtyBytes("cl"); dirty != 4 {
		t.Fatalf("corrupt changed the dirty set: %d", dirty)
	}
	// Pages shared between cache and media are flipped once, not twice.
	if err := d.Corrupt("cl", 5000, 1); err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 1)
	f.ReadAt(b, 5000)
	if b[0] != 'a'^0xFF {
		t.Fatalf("shared page: %q", b)
	}
	if err := d.Corrupt("nope", 0, 1); !errors.Is(err, runtime.ErrNotExist) {
		t.Fatalf("corrupt missing: %v", err)
	}
}

func TestCloneTriesEveryTear(t *testing.T) {
	d, _ := newDisk(t, Options{MetadataNeedsSyncDir: true}, 1)
	fs := d.FS()
	fs.MkdirAll("/s")
	fs.SyncDir("/")
	f := mustOpen(t, fs, "/s/log", rw)
	fs.SyncDir("/s")
	mustWrite(t, f, fill(512, 'a'), 0)
	f.Sync()
	mustWrite(t, f, fill(3*512, 'b'), 512)
	before := d.Digest()

	// Every tear of this moment, from 0 to 3 unsynced sectors kept.
	var sizes []int64
	for k := range int64(4) {
		c := d.Clone(rand.New(rand.NewPCG(9, 9)))
		c.PowerLossWith(func(string, int64) int64 { return k })
		s, err := c.CachedSize("/s/log")
		if err != nil {
			t.Fatal(err)
		}
		sizes = append(sizes, s)
	}
	if !slices.Equal(sizes, []int64{512, 1024, 1536, 2048}) {
		t.Fatalf("sizes after each tear: %v", sizes)
	}
	if d.Digest() != before {
		t.Fatal("tearing clones changed the original")
	}
	// Writes to the original do not reach a clone, and the other way round.
	c := d.Clone(rand.New(rand.NewPCG(1, 1)))
	if c.Digest() != before {
		t.Fatal("clone differs from the original")
	}
	mustWrite(t, f, fill(10, 'z'), 0)
	cf := mustOpen(t, c.FS(), "/s/log", runtime.ReadWrite)
	mustWrite(t, cf, fill(10, 'y'), 600)
	if c.Digest() == d.Digest() {
		t.Fatal("clone and original share state")
	}
	got := readAll(t, c.FS(), "/s/log")
	if got[0] != 'a' || got[600] != 'y' {
		t.Fatalf("clone content %q %q", got[0], got[600])
	}
	if own := readAll(t, fs, "/s/log"); own[600] != 'b' || own[0] != 'z' {
		t.Fatal("original content changed by the clone")
	}
}
