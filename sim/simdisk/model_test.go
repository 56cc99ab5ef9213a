package simdisk

import (
	"bytes"
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"rocketsim/runtime"
)

// refFile is a byte-at-a-time reference model of one file, written
// independently of the extent/page implementation: every byte carries its
// dirty bit and the sequence number of the last operation that changed it.
type refFile struct {
	cache, media []byte
	dirty        []bool
	wseq         []uint64
}

func (r *refFile) resizeCache(n int, seq uint64) {
	for len(r.cache) < n {
		r.cache = append(r.cache, 0)
		r.dirty = append(r.dirty, false)
		r.wseq = append(r.wseq, seq)
	}
	r.cache, r.dirty, r.wseq = r.cache[:n], r.dirty[:n], r.wseq[:n]
}

func (r *refFile) write(p []byte, off int, seq uint64) {
	old := len(r.cache)
	if end := off + len(p); end > old {
		r.resizeCache(end, seq)
		for i := old; i < end; i++ {
			r.dirty[i] = true
		}
	}
	for i, b := range p {
		r.cache[off+i], r.dirty[off+i], r.wseq[off+i] = b, true, seq
	}
}

func (r *refFile) truncate(n int, seq uint64) {
	r.resizeCache(n, seq)
	for len(r.media) < n {
		r.media = append(r.media, 0)
	}
	r.media = r.media[:n]
}

func (r *refFile) persistByte(i int) {
	for len(r.media) <= i {
		r.media = append(r.media, 0)
	}
	r.media[i], r.dirty[i] = r.cache[i], false
}

// sync persists the dirty bytes and the size; clean bytes that differ from
// the media were dropped by a failed fsync and stay lost (zeros).
func (r *refFile) sync() {
	for i, d := range r.dirty {
		if d {
			r.persistByte(i)
		}
	}
	for len(r.media) < len(r.cache) {
		r.media = append(r.media, 0)
	}
}

func (r *refFile) dirtyCount() int64 {
	var n int64
	for _, d := range r.dirty {
		if d {
			n++
		}
	}
	return n
}

// dirtySectors lists the sector indexes holding any dirty byte.
func (r *refFile) dirtySectors(sector int) []int {
	var out []int
	for i, d := range r.dirty {
		if d && (len(out) == 0 || out[len(out)-1] != i/sector) {
			out = append(out, i/sector)
		}
	}
	return out
}

// afterTear is the media after the first k dirty sectors reached it.
func (r *refFile) afterTear(sector, k int) []byte {
	return r.afterTearSet(sector, r.dirtySectors(sector)[:k])
}

// afterTearSet is the media after the given dirty sectors reached it.
func (r *refFile) afterTearSet(sector int, kept []int) []byte {
	media := slices.Clone(r.media)
	for _, s := range kept {
		for i := s * sector; i < min((s+1)*sector, len(r.cache)); i++ {
			for len(media) <= i {
				media = append(media, 0)
			}
			media[i] = r.cache[i]
		}
	}
	return media
}

func (r *refFile) reset(media []byte, seq uint64) {
	r.media = slices.Clone(media)
	r.cache = slices.Clone(media)
	r.dirty = make([]bool, len(media))
	r.wseq = make([]uint64, len(media))
	for i := range r.wseq {
		r.wseq[i] = seq
	}
}

// possibleTear reports whether got is what a power loss may leave: a
// prefix of the dirty sectors on the media, or with subset any set of them.
func (r *refFile) possibleTear(got []byte, sector int, subset bool) bool {
	dirty := r.dirtySectors(sector)
	if !subset {
		for k := 0; k <= len(dirty); k++ {
			if bytes.Equal(got, r.afterTear(sector, k)) {
				return true
			}
		}
		return false
	}
	// A sector whose new content is in got may have been kept; one that
	// also equals the old content changes nothing either way.
	var kept []int
	for _, s := range dirty {
		lo, hi := s*sector, min((s+1)*sector, len(r.cache))
		if hi <= len(got) && bytes.Equal(got[lo:hi], r.cache[lo:hi]) {
			kept = append(kept, s)
		}
	}
	return bytes.Equal(got, r.afterTearSet(sector, kept))
}

type refSnap struct {
	f     *refFile
	seq   uint64
	dirty []bool
	epoch int
}

// TestAgainstReferenceModel drives random operations, faults included, and
// compares every file's cache, media, dirty count and the disk's Used with
// the reference model after each step. After a power loss the outcome must
// be one of the model's possible tears.
func TestAgainstReferenceModel(t *testing.T) {
	for seed := range uint64(60) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed) })
	}
}

func runModel(t *testing.T, seed uint64) {
	ops := rand.New(rand.NewPCG(seed, 99))
	sector := []int{64, 512, 4096}[ops.IntN(3)]
	capacity := int64(6000 + ops.IntN(20000))
	partial := ops.IntN(2) == 0
	drop := ops.IntN(2) == 0
	strict := ops.IntN(2) == 0
	subset := ops.IntN(2) == 0
	d, l := newDisk(t, Options{
		TearSubset:           subset,
		MetadataNeedsSyncDir: strict,
		Capacity:             capacity, SectorSize: sector, PartialWriteOnFull: partial, FsyncFailProb: 0.2,
		FsyncFailDropsDirty: drop,
		FsyncLatency:        func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(5)) * time.Millisecond },
	}, seed)
	fs := d.FS()
	names := []string{"a", "b", "c"}
	model := map[string]*refFile{}
	durable := map[string]*refFile{} // the root's entries at its last SyncDir
	handles := map[string]runtime.File{}
	var seq uint64
	epoch := 0
	var log []string

	reopen := func() {
		handles = map[string]runtime.File{}
		for _, n := range names {
			if model[n] != nil {
				handles[n] = mustOpen(t, fs, n, runtime.ReadWrite)
			}
		}
	}
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("seed %d after ops %v: %s", seed, log, fmt.Sprintf(format, args...))
	}
	for step := range 300 {
		seq++
		name := names[ops.IntN(len(names))]
		r, h := model[name], handles[name]
		switch op := ops.IntN(22); {
		case r == nil || op == 0:
			log = append(log, "create "+name)
			if r == nil {
				model[name] = &refFile{}
				handles[name] = mustOpen(t, fs, name, runtime.ReadWrite|runtime.Create)
			}
		case op < 9:
			off := ops.IntN(len(r.cache) + 300)
			p := make([]byte, 1+ops.IntN(1500))
			for i := range p {
				p[i] = byte(ops.Uint32())
			}
			log = append(log, fmt.Sprintf("write %s %d+%d", name, off, len(p)))
			var used int64
			for _, f := range model {
				used += int64(len(f.cache))
			}
			want := len(p)
			// Used may exceed a capacity when a power loss brought removed
			// files back; the free space is then 0, not negative.
			free := max(0, capacity-used)
			if grow := int64(off + len(p) - len(r.cache)); grow > 0 && grow > free {
				want = 0
				if partial {
					want = max(0, min(len(p), len(r.cache)+int(free)-off))
				}
			}
			n, err := h.WriteAt(p, int64(off))
			if n != want || (want < len(p)) != errors.Is(err, runtime.ErrNoSpace) {
				fail("write returned %d %v, want %d", n, err, want)
			}
			if n > 0 {
				r.write(p[:n], off, seq)
			}
		case op < 10:
			size := ops.IntN(len(r.cache) + 500)
			log = append(log, fmt.Sprintf("truncate %s %d", name, size))
			if err := h.Truncate(int64(size)); err == nil {
				r.truncate(size, seq)
			} else if !errors.Is(err, runtime.ErrNoSpace) {
				fail("truncate: %v", err)
			}
		case op < 12:
			log = append(log, "sync "+name)
			switch err := h.Sync(); {
			case err == nil:
				r.sync()
			case !errors.Is(err, runtime.ErrIO):
				fail("sync: %v", err)
			case drop:
				clear(r.dirty)
			}
		case op < 15:
			log = append(log, "syncasync "+name)
			s := &refSnap{f: r, seq: seq, dirty: slices.Clone(r.dirty), epoch: epoch}
			h.SyncAsync(func(err error) {
				if s.epoch != epoch {
					fail("done ran for a snapshot from a dead incarnation")
				}
				if err != nil && !drop {
					return
				}
				for i, dirty := range s.dirty {
					if dirty && i < len(s.f.cache) && s.f.wseq[i] <= s.seq {
						if err == nil {
							s.f.persistByte(i)
						} else {
							s.f.dirty[i] = false
						}
					}
				}
			})
		case op < 17:
			log = append(log, "run")
			l.run(time.Duration(ops.IntN(4)) * time.Millisecond)
		case op == 17:
			log = append(log, "crash")
			d.Crash()
			epoch++
			if _, err := h.Size(); !errors.Is(err, runtime.ErrClosed) {
				fail("handle survived a crash: %v", err)
			}
			reopen()
		case op == 18:
			log = append(log, "powerloss")
			d.PowerLoss()
			epoch++
			if strict {
				model = maps.Clone(durable)
			}
			for _, n := range names {
				f := model[n]
				if f == nil {
					continue
				}
				got, err := d.SyncedContent(n)
				if err != nil {
					fail("%v", err)
				}
				if !f.possibleTear(got, sector, subset) {
					fail("%s after power loss (%d bytes) is no possible tear of the model (subset %v)", n, len(got), subset)
				}
				f.reset(got, seq)
			}
			reopen()
		case op == 19:
			log = append(log, "syncdir")
			if err := fs.SyncDir("/"); err != nil {
				fail("sync dir: %v", err)
			}
			durable = maps.Clone(model)
		case op == 20:
			log = append(log, "remove "+name)
			if err := fs.Remove(name); err != nil {
				fail("remove: %v", err)
			}
			delete(model, name)
			reopen()
		default:
			to := names[ops.IntN(len(names))]
			log = append(log, "rename "+name+" "+to)
			if err := fs.Rename(name, to); err != nil {
				fail("rename: %v", err)
			}
			if to != name {
				model[to] = r
				delete(model, name)
			}
			reopen()
		}
		// Compare everything the disk exposes with the model.
		var used int64
		for _, n := range names {
			r := model[n]
			if r == nil {
				if _, err := fs.Stat(n); !errors.Is(err, runtime.ErrNotExist) {
					fail("step %d: %s should not exist: %v", step, n, err)
				}
				continue
			}
			used += int64(len(r.cache))
			got := make([]byte, len(r.cache))
			if len(got) > 0 {
				if _, err := handles[n].ReadAt(got, 0); err != nil {
					fail("read %s: %v", n, err)
				}
			}
			if !bytes.Equal(got, r.cache) {
				fail("step %d: %s cache differs from model", step, n)
			}
			media, _ := d.SyncedContent(n)
			if !bytes.Equal(media, r.media) {
				fail("step %d: %s media differs: %d vs model %d bytes", step, n, len(media), len(r.media))
			}
			if dirty, _ := d.DirtyBytes(n); dirty != r.dirtyCount() {
				fail("step %d: %s dirty %d, model %d", step, n, dirty, r.dirtyCount())
			}
		}
		if d.Used() != used {
			fail("step %d: used %d, model %d", step, d.Used(), used)
		}
	}
}
