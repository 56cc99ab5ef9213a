// Package simdisk is the simulator's disk: an in-memory file system that
// keeps what a process wrote (the page cache) apart from what reached the
// media (what was synced).
//
// The model, chosen to be simple enough to reason about and harsh enough to
// find recovery bugs:
//
//   - WriteAt changes the page cache only. Sync copies the file's cache to
//     its media; SyncAsync does the same for a snapshot of the dirty ranges
//     taken at call time, after a latency, via the node's Scheduler.
//     SyncAsync completions keep call order across the disk, like the real
//     runtime's single flusher.
//   - Metadata operations (create, mkdir, rename, remove, truncate) are
//     journaled: durable the moment they return. With MetadataNeedsSyncDir
//     namespace changes wait for a SyncDir of their directory instead.
//   - Crash (a killed process) keeps the page cache; the next incarnation
//     reads every byte written. PowerLoss drops unsynced bytes, except that a
//     seeded random prefix (in offset order) of each file's dirty sectors may
//     have reached the media; a sector is all-or-nothing. With TearSubset
//     any subset of them may have (a write cache that reorders).
//   - A failed fsync (FsyncFailProb) by default changes nothing: the range
//     stays dirty, a later successful fsync persists it, and a power loss
//     before that loses it. With FsyncFailDropsDirty it behaves like Linux
//     after a writeback error instead: the pages are marked clean without
//     reaching the media, the process still reads them, a retried fsync
//     succeeds without persisting them, and a power loss loses them. A store
//     that retries fsync instead of treating the failure as fatal loses
//     acknowledged data only under the second model.
//   - Both Crash and PowerLoss invalidate every open handle (an epoch
//     counter) and drop pending SyncAsync callbacks: the process that waited
//     for them is gone, and we assume the in-flight fsync did not finish.
//
// Tests reach below the FS with SyncedSize, CachedSize, SyncedContent,
// DirtyBytes, Files, Digest, PowerLossWith (a tear chosen exactly) and
// Corrupt (bit rot on the media); disktest checks any runtime.FS against
// the contract both runtimes share.
//
// A Disk is driven from the simulator's single goroutine and is not safe for
// concurrent use. Every random choice comes from the rng given to New.
package simdisk

import (
	"fmt"
	"math/rand/v2"
	"time"

	"rocketsim/runtime"
)

// Scheduler runs fn on the owning node's event loop after d of simulated
// time. The simulator supplies one per node incarnation.
type Scheduler func(d time.Duration, fn func())

// Options configures a Disk.
type Options struct {
	// Capacity is the volume size in bytes; 0 means CapacityDefault.
	Capacity int64
	// SectorSize is the unit a power loss tears at; 0 means SectorSizeDefault.
	SectorSize int
	// PartialWriteOnFull makes a WriteAt that does not fit write the prefix
	// that fits before failing, as some file systems do.
	PartialWriteOnFull bool
	// TearSubset makes a power loss keep each dirty sector independently
	// (a fair coin per sector, in path and offset order) instead of a
	// prefix of them: a disk whose volatile write cache reorders writes, so
	// a later sector can survive while an earlier one is lost. Bytes of a
	// file's new tail that no kept sector covered read as zeros.
	TearSubset bool
	// FsyncLatency draws the delay of each SyncAsync; nil means zero.
	FsyncLatency func(r *rand.Rand) time.Duration
	// FsyncFailProb is the probability that an fsync fails with ErrIO.
	FsyncFailProb float64
	// MetadataNeedsSyncDir makes namespace changes (create, mkdir, rename,
	// remove) durable only when SyncDir runs on the directory that holds
	// them, as POSIX promises, instead of at once as a journaling file
	// system does in practice. A power loss rolls every directory back to
	// its last SyncDir. It finds code that forgot a SyncDir the runtime's
	// contract asks for. Truncate stays durable at once.
	MetadataNeedsSyncDir bool
	// FsyncFailDropsDirty selects Linux's behaviour after a failed fsync
	// (see the package comment) instead of keeping the range dirty.
	FsyncFailDropsDirty bool
}

const (
	// CapacityDefault is the capacity of a Disk whose Options leave it 0.
	CapacityDefault = int64(1) << 40
	// SectorSizeDefault is the classic disk sector size.
	SectorSizeDefault = 512
)

// Disk is one simulated volume. It outlives node incarnations: a restarted
// node sees the same Disk through a fresh FS.
type Disk struct {
	opts  Options
	rng   *rand.Rand
	sched Scheduler
	root  *node
	// epoch counts Crash and PowerLoss events; a handle or pending fsync from
	// an older epoch belongs to a dead process.
	epoch uint64
	// syncQueue are the SyncAsync calls not yet completed, in call order.
	syncQueue []*asyncSync
	// used is the sum of the cached sizes of all linked files.
	used      int64
	syncDirs  int
	syncs     int
	syncFails int
}

// New returns an empty disk (only "/" exists). rng is the disk's own seeded
// stream; it decides tearing, fsync latency and fsync failures.
func New(opts Options, rng *rand.Rand) *Disk {
	if rng == nil {
		panic("simdisk: New with nil rng")
	}
	if opts.Capacity < 0 || opts.SectorSize < 0 {
		panic(fmt.Sprintf("simdisk: negative capacity %d or sector size %d", opts.Capacity, opts.SectorSize))
	}
	if opts.Capacity == 0 {
		opts.Capacity = CapacityDefault
	}
	if opts.SectorSize == 0 {
		opts.SectorSize = SectorSizeDefault
	}
	return &Disk{opts: opts, rng: rng, root: newDir("/")}
}

// Bind attaches the disk to a node incarnation's event loop. The simulator
// calls it at start and at every restart, before the node runs.
func (d *Disk) Bind(s Scheduler) { d.sched = s }

// FS returns the node's view of the disk.
func (d *Disk) FS() runtime.FS { return fsView{d} }

// Crash models a killed process: the page cache survives, open handles and
// pending SyncAsync callbacks do not.
func (d *Disk) Crash() {
	d.epoch++
	d.syncQueue = nil
	d.walkFiles(func(_ string, f *file) { f.pending = nil })
}

// PowerLoss models the machine losing power: for every file, unsynced bytes
// are dropped except a random prefix of its dirty sectors that made it to
// the media. Open handles and pending SyncAsync callbacks are gone.
func (d *Disk) PowerLoss() {
	d.PowerLossWith(nil)
}

// PowerLossWith is PowerLoss with the tearing chosen by the caller, for
// tests that need a tear at an exact place: for every file (in path order)
// keep receives its path and its number of dirty sectors and returns how
// many of them, in offset order, reach the media (clamped to [0, sectors]).
// A nil keep draws the number from the disk's rng, as PowerLoss does:
// uniformly from [0, n]. Drawing a count rather than a subset models a disk
// that writes back in order and stops at a random point, which is what tears
// the tail of an append-only log. The rng is consulted once per file with
// dirty data, in path order, so the same seed and operations tear alike.
// With Options.TearSubset a nil keep instead decides every dirty sector
// by its own coin flip.
func (d *Disk) PowerLossWith(keep func(path string, sectors int64) int64) {
	d.epoch++
	d.syncQueue = nil
	d.used = 0
	if d.opts.MetadataNeedsSyncDir {
		d.rollback()
	}
	sector := int64(d.opts.SectorSize)
	d.walkFiles(func(p string, f *file) {
		f.linked = true
		n := countSectors(f.dirtySectors(sector), sector)
		var kept func(i int64) bool
		switch {
		case n == 0:
			kept = func(int64) bool { return false }
		case keep == nil && d.opts.TearSubset:
			kept = func(int64) bool { return d.rng.IntN(2) == 0 }
		default:
			var k int64
			if keep != nil {
				k = min(max(keep(p, n), 0), n)
			} else {
				k = d.rng.Int64N(n + 1)
			}
			kept = func(i int64) bool { return i < k }
		}
		f.tear(sector, kept)
		d.used += f.size()
	})
}

// Corrupt inverts n bytes of name's media from off (clipped to what the
// media holds), as bit rot or a misdirected write would: the process reads
// the damage wherever its page cache has no newer unsynced bytes. It is for
// tests of checksums and of recovery that must refuse damaged records.
func (d *Disk) Corrupt(name string, off int64, n int) error {
	f, err := d.lookupFile(name, "corrupt")
	if err != nil {
		return err
	}
	f.corrupt(off, off+int64(n))
	return nil
}

// SetPartialWriteOnFull selects whether a write that does not fit writes
// the prefix that fits before failing.
func (d *Disk) SetPartialWriteOnFull(partial bool) { d.opts.PartialWriteOnFull = partial }

// SetTearSubset selects the power-loss tear shape (see Options.TearSubset).
func (d *Disk) SetTearSubset(subset bool) { d.opts.TearSubset = subset }

// SetCapacity changes the volume size; raising it lets writes resume.
func (d *Disk) SetCapacity(n int64) {
	if n < 0 {
		panic(fmt.Sprintf("simdisk: negative capacity %d", n))
	}
	d.opts.Capacity = n
}

// SetFsyncFailProb changes the probability that an fsync fails.
func (d *Disk) SetFsyncFailProb(p float64) { d.opts.FsyncFailProb = p }

// SetFsyncFailDropsDirty selects what a failed fsync does to dirty data.
func (d *Disk) SetFsyncFailDropsDirty(drop bool) { d.opts.FsyncFailDropsDirty = drop }

// SetFsyncLatency changes the distribution of SyncAsync latency.
func (d *Disk) SetFsyncLatency(f func(*rand.Rand) time.Duration) { d.opts.FsyncLatency = f }

// Used is the number of bytes the volume holds (cached sizes of all files).
func (d *Disk) Used() int64 { return d.used }

// Capacity is the current volume size in bytes.
func (d *Disk) Capacity() int64 { return d.opts.Capacity }

// SyncedSize is the size name would have after a power loss with no tearing.
func (d *Disk) SyncedSize(name string) (int64, error) {
	f, err := d.lookupFile(name, "synced size")
	if err != nil {
		return 0, err
	}
	return f.media.size, nil
}

// CachedSize is the size a process sees for name.
func (d *Disk) CachedSize(name string) (int64, error) {
	f, err := d.lookupFile(name, "cached size")
	if err != nil {
		return 0, err
	}
	return f.size(), nil
}

// SyncedContent returns a copy of what the media holds for name.
func (d *Disk) SyncedContent(name string) ([]byte, error) {
	f, err := d.lookupFile(name, "synced content")
	if err != nil {
		return nil, err
	}
	b := make([]byte, f.media.size)
	f.media.readAt(b, 0)
	return b, nil
}

// DirtyBytes is how many bytes of name are written but not yet synced.
func (d *Disk) DirtyBytes(name string) (int64, error) {
	f, err := d.lookupFile(name, "dirty bytes")
	if err != nil {
		return 0, err
	}
	return f.dirty.bytes(), nil
}

// Stats counts the disk's sync calls since New, for tests and reports.
type Stats struct {
	Syncs      int // successful Sync and SyncAsync completions
	SyncFails  int // fsyncs that failed with ErrIO
	SyncDirs   int // SyncDir calls
	Epoch      uint64
	UsedBytes  int64
	Capacity   int64
	SectorSize int
}

// Stats reports counters.
func (d *Disk) Stats() Stats {
	return Stats{
		Syncs: d.syncs, SyncFails: d.syncFails, SyncDirs: d.syncDirs, Epoch: d.epoch,
		UsedBytes: d.used, Capacity: d.opts.Capacity, SectorSize: d.opts.SectorSize,
	}
}

func (d *Disk) lookupFile(name, op string) (*file, error) {
	p := clean(name)
	n, err := d.lookup(p)
	if err != nil {
		return nil, fmt.Errorf("simdisk: %s %s: %w", op, p, err)
	}
	if n.file == nil {
		return nil, fmt.Errorf("simdisk: %s %s: %w", op, p, ErrIsDir)
	}
	return n.file, nil
}

// free is the space left, never negative (capacity may shrink below used).
func (d *Disk) free() int64 { return max(0, d.opts.Capacity-d.used) }

// fsyncFails draws whether the next fsync fails. The rng is consulted only
// when failures are possible, so enabling the fault does not shift the
// stream of a run that never uses it.
func (d *Disk) fsyncFails() bool {
	p := d.opts.FsyncFailProb
	return p > 0 && d.rng.Float64() < p
}

// FileState describes one file for reports and failing-run dumps.
type FileState struct {
	Path       string
	Size       int64 // what the process sees
	SyncedSize int64 // what survives a power loss without tearing
	DirtyBytes int64 // written but not yet synced
}

// Files lists every file on the disk in path order.
func (d *Disk) Files() []FileState {
	var out []FileState
	d.walkFiles(func(p string, f *file) {
		out = append(out, FileState{Path: p, Size: f.size(), SyncedSize: f.media.size, DirtyBytes: f.dirty.bytes()})
	})
	return out
}
