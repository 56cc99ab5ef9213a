package pingpong

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"rocketsim/runtime"
)

// Record is one request as the server logs it: the client's session (drawn
// at random when the client process starts, so a restarted client never
// reuses an identity) and the request's sequence number in that session.
type Record struct {
	Session uint64
	Seq     uint64
}

// The log is a sequence of fixed-size records:
//
//	magic uint32 | crc32c(session, seq) uint32 | session uint64 | seq uint64
//
// Fixed size makes recovery a scan that stops at the first record whose
// magic or checksum is wrong: a torn or partial write at the tail.
const (
	recordSize  = 24
	recordMagic = 0x50494E47 // "PING"
	// LogName is the server's log file on its disk.
	LogName = "pingpong.log"
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

func (r Record) encode() []byte {
	b := make([]byte, recordSize)
	binary.BigEndian.PutUint32(b[0:], recordMagic)
	binary.BigEndian.PutUint64(b[8:], r.Session)
	binary.BigEndian.PutUint64(b[16:], r.Seq)
	binary.BigEndian.PutUint32(b[4:], crc32.Checksum(b[8:], castagnoli))
	return b
}

func decodeRecord(b []byte) (Record, bool) {
	if binary.BigEndian.Uint32(b[0:]) != recordMagic {
		return Record{}, false
	}
	if binary.BigEndian.Uint32(b[4:]) != crc32.Checksum(b[8:recordSize], castagnoli) {
		return Record{}, false
	}
	return Record{Session: binary.BigEndian.Uint64(b[8:]), Seq: binary.BigEndian.Uint64(b[16:])}, true
}

// recoverLog reads the valid prefix of the log in f and returns its records
// and its length in bytes. Anything after the first bad record is a torn
// tail: it was never acknowledged, because an acknowledgement waits for an
// fsync that covers every earlier byte.
func recoverLog(f runtime.File) ([]Record, int64, error) {
	size, err := f.Size()
	if err != nil {
		return nil, 0, fmt.Errorf("size of %s: %w", f.Name(), err)
	}
	var recs []Record
	buf := make([]byte, recordSize)
	var off int64
	for ; off+recordSize <= size; off += recordSize {
		n, err := f.ReadAt(buf, off)
		if n < recordSize {
			if err == nil || errors.Is(err, io.EOF) {
				break
			}
			return nil, 0, fmt.Errorf("read %s at %d: %w", f.Name(), off, err)
		}
		r, ok := decodeRecord(buf)
		if !ok {
			break
		}
		recs = append(recs, r)
	}
	return recs, off, nil
}
