package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// Magic codes at offset 4 of every record.
const (
	// MagicCode marks a v1 message record (Java MESSAGE_MAGIC_CODE,
	// -626843481). The Go client cannot read v2 records, so only v1 is made.
	MagicCode uint32 = 0xdaa320a7
	// BlankMagicCode marks the filler at the end of a commit log segment
	// when the next message does not fit (Java BLANK_MAGIC_CODE, -875286124).
	BlankMagicCode uint32 = 0xcbd43194
)

// BlankSizeMin is the smallest end-of-file filler: total size and magic code
// (Java END_FILE_MIN_BLANK_LENGTH). A segment always keeps room for it.
const BlankSizeMin = 4 + 4

// Bounds the format itself imposes.
const (
	// TopicLenMax: the topic length is one byte, and Java refuses topics
	// longer than Byte.MAX_VALUE.
	TopicLenMax = 127
	// PropertiesLenMax: the properties length is a signed 16-bit field
	// (Java Short.MAX_VALUE).
	PropertiesLenMax = 32767
)

// SysFlag bits (Java MessageSysFlag).
const (
	FlagCompressed     int32 = 0x1
	FlagMultiTags      int32 = 0x2
	FlagTransactionNot int32 = 0x0
	FlagTransPrepared  int32 = 0x4
	FlagTransCommit    int32 = 0x8
	FlagTransRollback  int32 = 0xc
	FlagTransMask      int32 = 0xc
	FlagBornHostV6     int32 = 0x10
	FlagStoreHostV6    int32 = 0x20
)

// TransactionType is the transaction bits of a sysFlag.
func TransactionType(sysFlag int32) int32 { return sysFlag & FlagTransMask }

// Errors Decode and Size return; callers test with errors.Is.
var (
	// ErrTruncated: the buffer ends before the record does. During recovery
	// this is a torn tail, not corruption in the middle.
	ErrTruncated = errors.New("record truncated")
	// ErrCorrupt: magic code, size or CRC do not check out.
	ErrCorrupt = errors.New("record corrupt")
	// ErrTopicTooLong and ErrPropertiesTooLong: the format cannot hold them.
	ErrTopicTooLong      = errors.New("topic too long")
	ErrPropertiesTooLong = errors.New("properties too long")
)

// Record is one stored message (Java MessageExt as the commit log holds it).
type Record struct {
	QueueID                   int32
	Flag                      int32
	QueueOffset               int64
	PhysicalOffset            int64
	SysFlag                   int32
	BornTimestamp             int64 // milliseconds
	BornHost                  Addr
	StoreTimestamp            int64 // milliseconds
	StoreHost                 Addr
	ReconsumeTimes            int32
	PreparedTransactionOffset int64
	Body                      []byte // as stored (compressed when FlagCompressed)
	Topic                     string
	Properties                string // NAME\x01VALUE\x02..., see properties.go

	// Filled by Decode only.
	StoreSize int32
	BodyCRC   int32
}

// BodyCRC is Java's UtilAll.crc32: CRC-32 (IEEE) with the sign bit cleared,
// so the stored int is never negative.
func BodyCRC(body []byte) int32 {
	return int32(crc32.ChecksumIEEE(body) & 0x7fffffff)
}

// fixedSize is every field but the host addresses and the variable parts.
const fixedSize = 4 + 4 + 4 + 4 + 4 + 8 + 8 + 4 + 8 + 8 + 4 + 8 + 4 + 1 + 2

// Size is the record's TOTALSIZE, or an error when the format cannot hold
// it. The host-address widths come from the sysFlag bits, which Size checks
// against the addresses themselves.
func Size(r *Record) (int, error) { return size(r, 0) }

// size is Size with extra bytes after the properties.
func size(r *Record, extra int) (int, error) {
	if len(r.Topic) > TopicLenMax {
		return 0, fmt.Errorf("topic %q is %d bytes, at most %d: %w", r.Topic, len(r.Topic), TopicLenMax, ErrTopicTooLong)
	}
	if props := len(r.Properties) + extra; props > PropertiesLenMax {
		return 0, fmt.Errorf("properties are %d bytes, at most %d: %w", props, PropertiesLenMax, ErrPropertiesTooLong)
	}
	if err := r.BornHost.check(r.SysFlag&FlagBornHostV6 != 0); err != nil {
		return 0, fmt.Errorf("born host: %w", err)
	}
	if err := r.StoreHost.check(r.SysFlag&FlagStoreHostV6 != 0); err != nil {
		return 0, fmt.Errorf("store host: %w", err)
	}
	return fixedSize + r.BornHost.wireLen() + r.StoreHost.wireLen() +
		len(r.Body) + len(r.Topic) + len(r.Properties) + extra, nil
}

// Append encodes r at the end of dst. It computes the body CRC itself and
// ignores r.StoreSize and r.BodyCRC.
func Append(dst []byte, r *Record) ([]byte, error) { return appendRecord(dst, r, "") }

// appendRecord is Append with tail after the properties.
func appendRecord(dst []byte, r *Record, tail string) ([]byte, error) {
	n, err := size(r, len(tail))
	if err != nil {
		return dst, err
	}
	be := binary.BigEndian
	dst = be.AppendUint32(dst, uint32(n))
	dst = be.AppendUint32(dst, MagicCode)
	dst = be.AppendUint32(dst, uint32(BodyCRC(r.Body)))
	dst = be.AppendUint32(dst, uint32(r.QueueID))
	dst = be.AppendUint32(dst, uint32(r.Flag))
	dst = be.AppendUint64(dst, uint64(r.QueueOffset))
	dst = be.AppendUint64(dst, uint64(r.PhysicalOffset))
	dst = be.AppendUint32(dst, uint32(r.SysFlag))
	dst = be.AppendUint64(dst, uint64(r.BornTimestamp))
	dst = r.BornHost.append(dst)
	dst = be.AppendUint64(dst, uint64(r.StoreTimestamp))
	dst = r.StoreHost.append(dst)
	dst = be.AppendUint32(dst, uint32(r.ReconsumeTimes))
	dst = be.AppendUint64(dst, uint64(r.PreparedTransactionOffset))
	dst = be.AppendUint32(dst, uint32(len(r.Body)))
	dst = append(dst, r.Body...)
	dst = append(dst, byte(len(r.Topic)))
	dst = append(dst, r.Topic...)
	dst = be.AppendUint16(dst, uint16(len(r.Properties)+len(tail)))
	dst = append(dst, r.Properties...)
	dst = append(dst, tail...)
	return dst, nil
}

// Offsets of fields a store patches or peeks at without a full decode.
const (
	OffsetTotalSize      = 0
	OffsetMagic          = 4
	OffsetBodyCRC        = 8
	OffsetQueueID        = 12
	OffsetQueueOffset    = 20
	OffsetPhysicalOffset = 28
	OffsetSysFlag        = 36
	OffsetBornTimestamp  = 40
	OffsetBornHost       = 48
)

// StoreTimestampOffset is where STORETIMESTAMP sits, which depends on the
// born host's width.
func StoreTimestampOffset(sysFlag int32) int {
	if sysFlag&FlagBornHostV6 != 0 {
		return OffsetBornHost + 20
	}
	return OffsetBornHost + 8
}

// Kind tells what Peek found at a position.
type Kind int

const (
	KindMessage Kind = iota + 1
	KindBlank
)

// Peek reads the first 8 bytes at a position: total size and magic code.
// It reports a message, an end-of-segment blank, or ErrCorrupt (an unknown
// magic, a size that cannot be, such as the zeros of unwritten space).
func Peek(b []byte) (Kind, int, error) {
	if len(b) < 8 {
		return 0, 0, fmt.Errorf("%d bytes, need 8 for size and magic: %w", len(b), ErrTruncated)
	}
	size := int32(binary.BigEndian.Uint32(b))
	magic := binary.BigEndian.Uint32(b[4:])
	switch magic {
	case MagicCode:
		if size < fixedSize+16 {
			return 0, 0, fmt.Errorf("message size %d below the minimum %d: %w", size, fixedSize+16, ErrCorrupt)
		}
		return KindMessage, int(size), nil
	case BlankMagicCode:
		if size < BlankSizeMin {
			return 0, 0, fmt.Errorf("blank size %d below %d: %w", size, BlankSizeMin, ErrCorrupt)
		}
		return KindBlank, int(size), nil
	default:
		return 0, 0, fmt.Errorf("magic code %#08x, size %d: %w", magic, size, ErrCorrupt)
	}
}

// Decode reads the message record at the start of b. It checks the magic
// code, that every field lies inside TOTALSIZE and adds up to it exactly,
// and, when checkCRC, the body CRC. The returned record's Body aliases b.
func Decode(b []byte, checkCRC bool) (Record, error) {
	var r Record
	kind, size, err := Peek(b)
	if err != nil {
		return r, err
	}
	if kind != KindMessage {
		return r, fmt.Errorf("blank record where a message was expected: %w", ErrCorrupt)
	}
	if size > len(b) {
		return r, fmt.Errorf("record of %d bytes, %d available: %w", size, len(b), ErrTruncated)
	}
	d := decoder{b: b[:size]}
	r.StoreSize = d.i32()
	d.i32() // magic, checked by Peek
	r.BodyCRC = d.i32()
	r.QueueID = d.i32()
	r.Flag = d.i32()
	r.QueueOffset = d.i64()
	r.PhysicalOffset = d.i64()
	r.SysFlag = d.i32()
	r.BornTimestamp = d.i64()
	r.BornHost = d.addr(r.SysFlag&FlagBornHostV6 != 0)
	r.StoreTimestamp = d.i64()
	r.StoreHost = d.addr(r.SysFlag&FlagStoreHostV6 != 0)
	r.ReconsumeTimes = d.i32()
	r.PreparedTransactionOffset = d.i64()
	bodyLen := d.i32()
	if bodyLen < 0 {
		return r, fmt.Errorf("body length %d: %w", bodyLen, ErrCorrupt)
	}
	r.Body = d.bytes(int(bodyLen))
	topicLen := d.u8()
	r.Topic = string(d.bytes(int(topicLen)))
	propLen := d.i16()
	if propLen < 0 {
		return r, fmt.Errorf("properties length %d: %w", propLen, ErrCorrupt)
	}
	r.Properties = string(d.bytes(int(propLen)))
	if d.short {
		return r, fmt.Errorf("fields overrun total size %d: %w", size, ErrCorrupt)
	}
	if d.pos != size {
		return r, fmt.Errorf("fields add up to %d, total size says %d: %w", d.pos, size, ErrCorrupt)
	}
	if checkCRC {
		if crc := BodyCRC(r.Body); crc != r.BodyCRC {
			return r, fmt.Errorf("body crc %d, stored %d: %w", crc, r.BodyCRC, ErrCorrupt)
		}
		if err := CheckRecordCRC(b[:size]); err != nil {
			return r, err
		}
	}
	return r, nil
}

// decoder reads big-endian fields and remembers whether it ran short, so
// Decode checks bounds once instead of at every field.
type decoder struct {
	b     []byte
	pos   int
	short bool
}

func (d *decoder) take(n int) []byte {
	if d.short || n > len(d.b)-d.pos {
		d.short = true
		return nil
	}
	p := d.b[d.pos : d.pos+n]
	d.pos += n
	return p
}

func (d *decoder) u8() uint8 {
	if p := d.take(1); p != nil {
		return p[0]
	}
	return 0
}

func (d *decoder) i16() int16 {
	if p := d.take(2); p != nil {
		return int16(binary.BigEndian.Uint16(p))
	}
	return 0
}

func (d *decoder) i32() int32 {
	if p := d.take(4); p != nil {
		return int32(binary.BigEndian.Uint32(p))
	}
	return 0
}

func (d *decoder) i64() int64 {
	if p := d.take(8); p != nil {
		return int64(binary.BigEndian.Uint64(p))
	}
	return 0
}

func (d *decoder) bytes(n int) []byte { return d.take(n) }

func (d *decoder) addr(v6 bool) Addr {
	n := 4
	if v6 {
		n = 16
	}
	var a Addr
	if ip := d.take(n); ip != nil {
		a.IP = append([]byte(nil), ip...)
	}
	a.Port = d.i32()
	return a
}

// AppendBlank encodes the end-of-segment filler of size n (n >= BlankSizeMin):
// total size and blank magic; the rest is left as the caller's bytes.
func AppendBlank(dst []byte, n int) []byte {
	if n < BlankSizeMin {
		panic(fmt.Sprintf("message: blank of %d bytes, minimum %d", n, BlankSizeMin))
	}
	dst = binary.BigEndian.AppendUint32(dst, uint32(n))
	return binary.BigEndian.AppendUint32(dst, BlankMagicCode)
}
