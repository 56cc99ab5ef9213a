// Package checkpoint is the store's record of how far each part is
// durable (RocketMQ's StoreCheckpoint), read at start to choose where
// recovery begins.
//
// Java keeps three store timestamps. Timestamps come from a wall clock
// that can jump, so recovery here trusts commit log offsets instead; the
// timestamps are kept beside them for operators and for Java's meaning.
// Two copies live in different sectors, each with a sequence number and a
// CRC, so a torn write of one leaves the other.
package checkpoint

import (
	"encoding/binary"
	"fmt"
	"hash/crc32"

	"rocketsim/runtime"
)

// FileName is the checkpoint's name under the store root (Java's).
const FileName = "checkpoint"

// slotStride puts the two copies in different 512-byte sectors.
const slotStride = 512

const (
	magic      = 0x52534350 // "RSCP"
	recordSize = 4 + 8 + 6*8 + 4
)

// Checkpoint says up to where each structure is durable.
type Checkpoint struct {
	// Java's three timestamps (milliseconds of store time).
	PhysicMsgTimestamp int64
	LogicsMsgTimestamp int64
	IndexMsgTimestamp  int64
	// PhysicOffset: the commit log is synced below this offset.
	PhysicOffset int64
	// LogicsOffset: every record below this commit log offset has its
	// consume queue unit synced.
	LogicsOffset int64
	// IndexOffset: the newest record offset the synced index covers.
	IndexOffset int64
}

// File is the open checkpoint file.
type File struct {
	f   runtime.File
	seq uint64
}

// Open opens (creating) the checkpoint at p and reads the newest valid
// copy; ok is false when none is valid (new store, or both torn).
func Open(fs runtime.FS, p string) (*File, Checkpoint, bool, error) {
	f, err := fs.Open(p, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return nil, Checkpoint{}, false, fmt.Errorf("checkpoint %s: open: %w", p, err)
	}
	c := &File{f: f}
	var best Checkpoint
	found := false
	buf := make([]byte, recordSize)
	for slot := 0; slot < 2; slot++ {
		if n, _ := f.ReadAt(buf, int64(slot*slotStride)); n != recordSize {
			continue
		}
		cp, seq, ok := decode(buf)
		if ok && (!found || seq > c.seq) {
			best, c.seq, found = cp, seq, true
		}
	}
	return c, best, found, nil
}

func decode(b []byte) (Checkpoint, uint64, bool) {
	be := binary.BigEndian
	if be.Uint32(b) != magic || be.Uint32(b[recordSize-4:]) != crc32.ChecksumIEEE(b[:recordSize-4]) {
		return Checkpoint{}, 0, false
	}
	seq := be.Uint64(b[4:])
	v := func(i int) int64 { return int64(be.Uint64(b[12+8*i:])) }
	return Checkpoint{v(0), v(1), v(2), v(3), v(4), v(5)}, seq, true
}

// Write stores cp in the older slot and syncs it.
func (c *File) Write(cp Checkpoint) error {
	c.seq++
	b := make([]byte, 0, recordSize)
	be := binary.BigEndian
	b = be.AppendUint32(b, magic)
	b = be.AppendUint64(b, c.seq)
	for _, v := range []int64{cp.PhysicMsgTimestamp, cp.LogicsMsgTimestamp, cp.IndexMsgTimestamp,
		cp.PhysicOffset, cp.LogicsOffset, cp.IndexOffset} {
		b = be.AppendUint64(b, uint64(v))
	}
	b = be.AppendUint32(b, crc32.ChecksumIEEE(b))
	if _, err := c.f.WriteAt(b, int64(c.seq%2)*slotStride); err != nil {
		return fmt.Errorf("checkpoint: write: %w", err)
	}
	if err := c.f.Sync(); err != nil {
		return fmt.Errorf("checkpoint: sync: %w", err)
	}
	return nil
}

// Close closes the file.
func (c *File) Close() error { return c.f.Close() }
