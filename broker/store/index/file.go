// Package index is the store's hash index by message key and unique id
// (RocketMQ's IndexFile/IndexService), so a message can be found by
// "topic#key" within a time range without scanning the commit log.
//
// A file is Java's layout: a 40-byte header, hashSlotNum 4-byte slots
// holding the number of the newest unit with that slot, then indexNum
// 20-byte units (key hash, commit log offset, seconds since the file's
// begin timestamp, number of the previous unit in the same slot). Unit
// number 0 means "none", so units are numbered from 1.
package index

import (
	"encoding/binary"
	"fmt"
	"unicode/utf16"

	"rocketsim/runtime"
)

// Layout sizes (Java IndexHeader.INDEX_HEADER_SIZE, hashSlotSize,
// indexSize).
const (
	HeaderSize = 40
	SlotSize   = 4
	UnitSize   = 20
)

// header is the in-memory copy of a file's header. It is written to the
// file only before a sync: a header never claims units a sync has not
// covered.
type header struct {
	beginTimestamp int64
	endTimestamp   int64
	beginPhyOffset int64
	endPhyOffset   int64 // offset of the newest indexed record
	slotCount      int32
	indexCount     int32 // next unit number; starts at 1
}

func (h *header) encode() []byte {
	b := make([]byte, HeaderSize)
	be := binary.BigEndian
	be.PutUint64(b[0:], uint64(h.beginTimestamp))
	be.PutUint64(b[8:], uint64(h.endTimestamp))
	be.PutUint64(b[16:], uint64(h.beginPhyOffset))
	be.PutUint64(b[24:], uint64(h.endPhyOffset))
	be.PutUint32(b[32:], uint32(h.slotCount))
	be.PutUint32(b[36:], uint32(h.indexCount))
	return b
}

func decodeHeader(b []byte) header {
	be := binary.BigEndian
	return header{
		beginTimestamp: int64(be.Uint64(b[0:])),
		endTimestamp:   int64(be.Uint64(b[8:])),
		beginPhyOffset: int64(be.Uint64(b[16:])),
		endPhyOffset:   int64(be.Uint64(b[24:])),
		slotCount:      int32(be.Uint32(b[32:])),
		indexCount:     int32(be.Uint32(b[36:])),
	}
}

// KeyHash is Java's abs(String.hashCode()) of the index key, with
// Integer.MIN_VALUE mapped to 0 as Java's indexKeyHashMethod does.
func KeyHash(key string) int32 {
	var h int32
	for _, u := range utf16.Encode([]rune(key)) {
		h = 31*h + int32(u)
	}
	if h < 0 {
		h = -h
	}
	if h < 0 {
		return 0
	}
	return h
}

// file is one index file.
type file struct {
	f         runtime.File
	path      string
	h         header
	slotNum   int32
	indexNum  int32
	dirty     bool // written since the last sync
	headerOut bool // header in memory differs from the file
}

func (x *file) full() bool { return x.h.indexCount >= x.indexNum }

func (x *file) slotPos(slot int32) int64 { return HeaderSize + int64(slot)*SlotSize }

func (x *file) unitPos(n int32) int64 {
	return HeaderSize + int64(x.slotNum)*SlotSize + int64(n)*UnitSize
}

// put adds one key. The caller checked the file is not full.
func (x *file) put(key string, phy, storeTimestamp int64) error {
	hash := KeyHash(key)
	slot := hash % x.slotNum
	var sb [SlotSize]byte
	prev := int32(0)
	if n, _ := x.f.ReadAt(sb[:], x.slotPos(slot)); n == SlotSize {
		prev = int32(binary.BigEndian.Uint32(sb[:]))
		if prev <= 0 || prev >= x.h.indexCount {
			prev = 0 // garbage from a torn write: start the chain afresh
		}
	}
	if x.h.indexCount <= 1 {
		x.h.beginTimestamp = storeTimestamp
		x.h.beginPhyOffset = phy
	}
	diff := (storeTimestamp - x.h.beginTimestamp) / 1000
	// A wall clock that jumped back gives a negative difference; Java
	// clamps it to 0, and so do we (time filters are then approximate).
	diff = max(min(diff, int64(1<<31-1)), 0)
	n := x.h.indexCount
	var u [UnitSize]byte
	be := binary.BigEndian
	be.PutUint32(u[0:], uint32(hash))
	be.PutUint64(u[4:], uint64(phy))
	be.PutUint32(u[12:], uint32(diff))
	be.PutUint32(u[16:], uint32(prev))
	if _, err := x.f.WriteAt(u[:], x.unitPos(n)); err != nil {
		return fmt.Errorf("index %s: write unit %d: %w", x.path, n, err)
	}
	be.PutUint32(sb[:], uint32(n))
	if _, err := x.f.WriteAt(sb[:], x.slotPos(slot)); err != nil {
		return fmt.Errorf("index %s: write slot %d: %w", x.path, slot, err)
	}
	x.h.indexCount++
	x.h.endPhyOffset = phy
	x.h.endTimestamp = storeTimestamp
	x.dirty, x.headerOut = true, true
	return nil
}

// query walks the slot chain of key and appends the commit log offsets of
// units with the key's hash and a time inside [begin, end].
func (x *file) query(key string, maxNum int, begin, end int64, out []int64) ([]int64, error) {
	hash := KeyHash(key)
	slot := hash % x.slotNum
	var sb [SlotSize]byte
	if n, _ := x.f.ReadAt(sb[:], x.slotPos(slot)); n != SlotSize {
		return out, nil
	}
	cur := int32(binary.BigEndian.Uint32(sb[:]))
	var u [UnitSize]byte
	// Each step moves to a smaller unit number, so the walk ends; the
	// bound on steps guards against a cycle in a corrupt file anyway.
	for steps := int32(0); cur > 0 && cur < x.h.indexCount && len(out) < maxNum && steps < x.indexNum; steps++ {
		if n, err := x.f.ReadAt(u[:], x.unitPos(cur)); n != UnitSize {
			return out, fmt.Errorf("index %s: read unit %d: %w", x.path, cur, err)
		}
		be := binary.BigEndian
		h := int32(be.Uint32(u[0:]))
		phy := int64(be.Uint64(u[4:]))
		t := x.h.beginTimestamp + int64(be.Uint32(u[12:]))*1000
		prev := int32(be.Uint32(u[16:]))
		if h == hash && t >= begin && t <= end {
			out = append(out, phy)
		}
		if prev >= cur {
			break
		}
		cur = prev
	}
	return out, nil
}

// rebuildSlots rewrites the slot table from the units the header counts,
// cutting units for records at or past logEnd: after a power loss, slots
// may hold unsynced writes pointing at units that never reached the disk,
// cutting the chains of older ones, and units may point at commit log
// records that were lost.
func (x *file) rebuildSlots(logEnd int64) error {
	heads := make(map[int32]int32)
	var u [UnitSize]byte
	for n := int32(1); n < x.h.indexCount; n++ {
		if c, err := x.f.ReadAt(u[:], x.unitPos(n)); c != UnitSize {
			return fmt.Errorf("index %s: read unit %d: %w", x.path, n, err)
		}
		hash := int32(binary.BigEndian.Uint32(u[0:]))
		phy := int64(binary.BigEndian.Uint64(u[4:]))
		if hash < 0 {
			return fmt.Errorf("index %s: unit %d has negative hash", x.path, n)
		}
		if phy >= logEnd {
			x.h.indexCount = n
			break
		}
		x.h.endPhyOffset = phy
		heads[hash%x.slotNum] = n
	}
	if x.h.indexCount <= 1 {
		x.h.endPhyOffset = 0
	}
	zero := make([]byte, 64<<10)
	slots := int64(x.slotNum) * SlotSize
	for off := int64(0); off < slots; off += int64(len(zero)) {
		n := min(int64(len(zero)), slots-off)
		if _, err := x.f.WriteAt(zero[:n], HeaderSize+off); err != nil {
			return fmt.Errorf("index %s: clear slots: %w", x.path, err)
		}
	}
	var sb [SlotSize]byte
	for slot, n := range heads { // order does not matter: distinct slots
		binary.BigEndian.PutUint32(sb[:], uint32(n))
		if _, err := x.f.WriteAt(sb[:], x.slotPos(slot)); err != nil {
			return fmt.Errorf("index %s: write slot %d: %w", x.path, slot, err)
		}
	}
	x.dirty, x.headerOut = true, true
	return nil
}
