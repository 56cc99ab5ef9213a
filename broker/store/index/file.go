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

	"rocketsim/broker/store/message"
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
func KeyHash(key string) int32 { return positiveHash(message.JavaHash(key)) }

// topicKeyHash is KeyHash(topic + KeySeparator + key) without building
// the string (a put indexes one or more keys).
func topicKeyHash(topic, key string) int32 {
	return positiveHash(message.JavaHashMore(message.JavaHashMore(message.JavaHash(topic), KeySeparator), key))
}

func positiveHash(h int32) int32 {
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

	// The file being written keeps its slot table in memory and buffers
	// its new units, so indexing a key costs no system call; both reach
	// the file at the next flush (Index.Flush, before the sync).
	slots    *slotTable
	unitBuf  []byte
	unitBufN int32 // unit number of unitBuf's first unit
}

// slotPageSlots is how many slots one write of the slot table covers.
const slotPageSlots = 1024

// unitBufMax bounds buffered units before they are written.
const unitBufMax = 64 << 10

// loadSlots reads the slot table into memory (once, for the file being
// written).
func (x *file) loadSlots() error {
	if x.slots != nil {
		return nil
	}
	slots := newSlotTable(x.slotNum)
	buf := make([]byte, slotPageSlots*SlotSize)
	for i := int32(0); i < x.slotNum; i += slotPageSlots {
		n := min(slotPageSlots, x.slotNum-i)
		b := buf[:n*SlotSize]
		got, _ := x.f.ReadAt(b, x.slotPos(i))
		for j := int32(0); j < n && int(j+1)*SlotSize <= got; j++ {
			if v := int32(binary.BigEndian.Uint32(b[j*SlotSize:])); v != 0 {
				slots.set(i+j, v)
			}
		}
	}
	clear(slots.dirty) // as read: nothing to write back
	x.initSlots(slots)
	return nil
}

// initSlots installs an in-memory slot table (all zero for a new file,
// which then costs no reads: the 5,000,000 default slots are 4,883 preads).
func (x *file) initSlots(slots *slotTable) {
	if slots == nil {
		slots = newSlotTable(x.slotNum)
	}
	x.slots = slots
	x.unitBufN = x.h.indexCount
}

// writeBack writes buffered units and changed slot pages to the file.
func (x *file) writeBack() error {
	if len(x.unitBuf) > 0 {
		if _, err := x.f.WriteAt(x.unitBuf, x.unitPos(x.unitBufN)); err != nil {
			return fmt.Errorf("index %s: write units: %w", x.path, err)
		}
		x.unitBufN += int32(len(x.unitBuf) / UnitSize)
		x.unitBuf = x.unitBuf[:0]
	}
	buf := make([]byte, 0, slotPageSlots*SlotSize)
	for p, d := range x.slots.dirty {
		if !d {
			continue
		}
		first := int32(p) * slotPageSlots
		n := min(slotPageSlots, x.slotNum-first)
		buf = buf[:0]
		for _, v := range x.slots.pages[p][:n] { // a dirty page exists
			buf = binary.BigEndian.AppendUint32(buf, uint32(v))
		}
		if _, err := x.f.WriteAt(buf, x.slotPos(first)); err != nil {
			return fmt.Errorf("index %s: write slots: %w", x.path, err)
		}
		x.slots.dirty[p] = false
	}
	return nil
}

// readUnit reads unit n from the buffer or the file.
func (x *file) readUnit(u []byte, n int32) error {
	if x.slots != nil && n >= x.unitBufN {
		i := int(n-x.unitBufN) * UnitSize
		if i+UnitSize > len(x.unitBuf) {
			return fmt.Errorf("index %s: unit %d not written", x.path, n)
		}
		copy(u, x.unitBuf[i:i+UnitSize])
		return nil
	}
	if c, err := x.f.ReadAt(u, x.unitPos(n)); c != UnitSize {
		return fmt.Errorf("index %s: read unit %d: %w", x.path, n, err)
	}
	return nil
}

// slot reads the head of a slot's chain.
func (x *file) slot(slot int32) int32 {
	if x.slots != nil {
		return x.slots.get(slot)
	}
	var sb [SlotSize]byte
	if n, _ := x.f.ReadAt(sb[:], x.slotPos(slot)); n != SlotSize {
		return 0
	}
	return int32(binary.BigEndian.Uint32(sb[:]))
}

func (x *file) full() bool { return x.h.indexCount >= x.indexNum }

func (x *file) slotPos(slot int32) int64 { return HeaderSize + int64(slot)*SlotSize }

func (x *file) unitPos(n int32) int64 {
	return HeaderSize + int64(x.slotNum)*SlotSize + int64(n)*UnitSize
}

// put adds one key by its KeyHash. The caller checked the file is not
// full.
func (x *file) put(hash int32, phy, storeTimestamp int64) error {
	if err := x.loadSlots(); err != nil {
		return err
	}
	slot := hash % x.slotNum
	prev := x.slots.get(slot)
	if prev <= 0 || prev >= x.h.indexCount {
		prev = 0 // garbage from a torn write: start the chain afresh
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
	if len(x.unitBuf)+UnitSize > unitBufMax {
		if err := x.writeBack(); err != nil {
			return err
		}
	}
	be := binary.BigEndian
	x.unitBuf = be.AppendUint32(x.unitBuf, uint32(hash))
	x.unitBuf = be.AppendUint64(x.unitBuf, uint64(phy))
	x.unitBuf = be.AppendUint32(x.unitBuf, uint32(diff))
	x.unitBuf = be.AppendUint32(x.unitBuf, uint32(prev))
	x.slots.set(slot, n)
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
	cur := x.slot(hash % x.slotNum)
	var u [UnitSize]byte
	// Each step moves to a smaller unit number, so the walk ends; the
	// bound on steps guards against a cycle in a corrupt file anyway.
	for steps := int32(0); cur > 0 && cur < x.h.indexCount && len(out) < maxNum && steps < x.indexNum; steps++ {
		if err := x.readUnit(u[:], cur); err != nil {
			return out, err
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
	x.slots, x.unitBuf = nil, nil
	heads := make(map[int32]int32)
	var u [UnitSize]byte
	prevPhy := int64(-1)
	for n := int32(1); n < x.h.indexCount; n++ {
		// A header can reach the disk ahead of the units it counts (a
		// torn write persists the first sector first): stop at the end
		// of the file, at a never-written (zero) unit, or at one out of
		// commit log order.
		c, _ := x.f.ReadAt(u[:], x.unitPos(n))
		hash := int32(binary.BigEndian.Uint32(u[0:]))
		phy := int64(binary.BigEndian.Uint64(u[4:]))
		if c != UnitSize || hash < 0 || phy < prevPhy || phy >= logEnd || u == [UnitSize]byte{} {
			x.h.indexCount = n
			break
		}
		prevPhy = phy
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
