package index

import (
	"fmt"
	"path"
	"sort"
	"strconv"

	"rocketsim/runtime"
)

// KeySeparator joins topic and key into the index key (Java "#").
const KeySeparator = "#"

// Index is the set of index files of a store, oldest first.
type Index struct {
	fs       runtime.FS
	dir      string
	slotNum  int32
	indexNum int32
	files    []*file
}

// Open loads the index files in dir (created if missing).
func Open(fs runtime.FS, dir string, slotNum, indexNum int32) (*Index, error) {
	if slotNum <= 0 || indexNum <= 1 {
		panic(fmt.Sprintf("index: %d slots, %d units", slotNum, indexNum))
	}
	if err := fs.MkdirAll(dir); err != nil {
		return nil, fmt.Errorf("index %s: mkdir: %w", dir, err)
	}
	names, err := fs.List(dir)
	if err != nil {
		return nil, fmt.Errorf("index %s: list: %w", dir, err)
	}
	ix := &Index{fs: fs, dir: dir, slotNum: slotNum, indexNum: indexNum}
	for _, name := range names {
		if _, err := strconv.ParseInt(name, 10, 64); err != nil || len(name) != 20 {
			continue
		}
		p := path.Join(dir, name)
		f, err := fs.Open(p, runtime.ReadWrite)
		if err != nil {
			return nil, fmt.Errorf("index %s: open %s: %w", dir, name, err)
		}
		x := &file{f: f, path: p, slotNum: slotNum, indexNum: indexNum}
		hb := make([]byte, HeaderSize)
		if n, _ := f.ReadAt(hb, 0); n == HeaderSize {
			x.h = decodeHeader(hb)
		}
		ix.files = append(ix.files, x)
	}
	return ix, nil
}

func (ix *Index) valid(x *file) bool {
	return x.h.slotCount == ix.slotNum && x.h.indexCount >= 1 && x.h.indexCount <= ix.indexNum
}

// Recover makes the index trustworthy and returns the commit log offset
// from which records must be indexed again.
//
// durableEnd is the checkpoint's word: every record below it that has keys
// has its entries synced (see Flush). logEnd is the recovered end of the
// commit log. After a clean shutdown entries are trusted up to logEnd;
// after a crash only up to min(durableEnd, logEnd): the page cache may
// hold entries a failed fsync never wrote (Linux marks such pages clean),
// and entries for records the commit log lost would make the records later
// written at those offsets look indexed. Files begun past the cut are
// removed; the newest remaining file is cut there and its slot table
// rebuilt from the entries it keeps.
func (ix *Index) Recover(abnormal bool, durableEnd, logEnd int64) (int64, error) {
	cut := logEnd
	if abnormal {
		cut = min(cut, durableEnd)
	}
	var from int64 = -1
	for len(ix.files) > 0 {
		x := ix.files[len(ix.files)-1]
		base, _ := strconv.ParseInt(path.Base(x.path), 10, 64)
		if ix.valid(x) && base < cut {
			break
		}
		from = base
		x.f.Close()
		if err := ix.fs.Remove(x.path); err != nil {
			return 0, fmt.Errorf("index %s: remove %s: %w", ix.dir, x.path, err)
		}
		ix.files = ix.files[:len(ix.files)-1]
	}
	if len(ix.files) == 0 {
		return max(min(from, cut), 0), nil
	}
	last := ix.files[len(ix.files)-1]
	if abnormal || last.h.endPhyOffset >= cut {
		if err := last.rebuildSlots(cut); err != nil {
			return 0, err
		}
	}
	if last.h.indexCount <= 1 {
		return last.h.beginPhyOffset, nil
	}
	return last.h.endPhyOffset, nil
}

// Put indexes one record under topic#key for each key.
func (ix *Index) Put(topic string, keys []string, phy, storeTimestamp int64) error {
	x, err := ix.writable(phy, storeTimestamp)
	if err != nil {
		return err
	}
	if x.h.indexCount > 1 && phy <= x.h.endPhyOffset {
		return nil // indexed before the crash; the dispatcher replays
	}
	for _, k := range keys {
		if k == "" {
			continue
		}
		if x.full() {
			if x, err = ix.create(phy); err != nil {
				return err
			}
		}
		if err := x.put(topicKeyHash(topic, k), phy, storeTimestamp); err != nil {
			return err
		}
	}
	return nil
}

func (ix *Index) writable(phy, ts int64) (*file, error) {
	if n := len(ix.files); n > 0 && !ix.files[n-1].full() {
		return ix.files[n-1], nil
	}
	return ix.create(phy)
}

func (ix *Index) create(phy int64) (*file, error) {
	p := path.Join(ix.dir, fmt.Sprintf("%020d", phy))
	f, err := ix.fs.Open(p, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return nil, fmt.Errorf("index %s: create: %w", ix.dir, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("index %s: create: %w", ix.dir, err)
	}
	x := &file{f: f, path: p, slotNum: ix.slotNum, indexNum: ix.indexNum,
		h: header{slotCount: ix.slotNum, indexCount: 1, beginPhyOffset: phy}}
	if _, err := f.WriteAt(x.h.encode(), 0); err != nil {
		f.Close()
		ix.fs.Remove(p)
		return nil, fmt.Errorf("index %s: write header: %w", ix.dir, err)
	}
	if err := ix.fs.SyncDir(ix.dir); err != nil {
		return nil, fmt.Errorf("index %s: sync dir: %w", ix.dir, err)
	}
	x.dirty = true
	x.initSlots(nil) // truncated to empty: every slot is zero
	ix.files = append(ix.files, x)
	return x, nil
}

// Query returns up to maxNum commit log offsets of records indexed under
// topic#key with a store time in [begin, end] (milliseconds), newest file
// first. Hash collisions are possible: the caller checks each record's key.
func (ix *Index) Query(topic, key string, maxNum int, begin, end int64) ([]int64, error) {
	var out []int64
	k := topic + KeySeparator + key
	for i := len(ix.files) - 1; i >= 0 && len(out) < maxNum; i-- {
		x := ix.files[i]
		// Every unit's time is at least the file's begin timestamp (time
		// differences are clamped at 0), so a file that begins after end
		// holds nothing wanted; its end timestamp proves nothing when the
		// clock jumped back, so it is not used to skip.
		if x.h.indexCount <= 1 || x.h.beginTimestamp > end {
			continue
		}
		var err error
		if out, err = x.query(k, maxNum, begin, end, out); err != nil {
			return out, err
		}
	}
	return out, nil
}

// EndPhyOffset is the offset of the newest indexed record (0 if none).
func (ix *Index) EndPhyOffset() int64 {
	for i := len(ix.files) - 1; i >= 0; i-- {
		if x := ix.files[i]; x.h.indexCount > 1 {
			return x.h.endPhyOffset
		}
	}
	return 0
}

// Flush writes the headers of changed files and syncs them. It returns
// the offset below which every indexed record's entries are now synced
// (the newest indexed record's offset + 1; 0 when nothing is indexed),
// for the checkpoint. It blocks
// the loop: index files are written a few bytes at a time and synced
// rarely (with the checkpoint), so group commit buys nothing here.
func (ix *Index) Flush() (int64, error) {
	covered := int64(0)
	for j := len(ix.files) - 1; j >= 0; j-- {
		if ix.files[j].h.indexCount > 1 {
			covered = ix.files[j].h.endPhyOffset + 1
			break
		}
	}
	for _, x := range ix.files {
		if !x.dirty {
			continue
		}
		if x.slots != nil {
			if err := x.writeBack(); err != nil {
				return 0, err
			}
			if x.full() {
				x.slots = nil // done with it: free the table
			}
		}
		if x.headerOut {
			if _, err := x.f.WriteAt(x.h.encode(), 0); err != nil {
				return 0, fmt.Errorf("index %s: write header: %w", x.path, err)
			}
			x.headerOut = false
		}
		if err := x.f.Sync(); err != nil {
			return 0, fmt.Errorf("index %s: sync: %w", x.path, err)
		}
		x.dirty = false
	}
	return covered, nil
}

// DropBefore removes files whose newest record lies below physMin, keeping
// the newest file; it returns how many it removed.
func (ix *Index) DropBefore(physMin int64) (int, error) {
	n := 0
	for len(ix.files) > 1 && ix.files[0].h.endPhyOffset < physMin {
		x := ix.files[0]
		x.f.Close()
		if err := ix.fs.Remove(x.path); err != nil {
			return n, fmt.Errorf("index %s: remove %s: %w", ix.dir, x.path, err)
		}
		ix.files = ix.files[1:]
		n++
	}
	return n, nil
}

// Files lists the index files' paths, oldest first.
func (ix *Index) Files() []string {
	out := make([]string, len(ix.files))
	for i, x := range ix.files {
		out[i] = x.path
	}
	sort.Strings(out)
	return out
}

// Close closes the files.
func (ix *Index) Close() {
	for _, x := range ix.files {
		x.f.Close()
	}
}
