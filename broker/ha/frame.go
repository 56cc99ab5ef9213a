package ha

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// Frame layouts (see the package comment).
const (
	// lengthSize is the runtime's frame length prefix.
	lengthSize = 4
	// reportSize is a slave's report: its max offset.
	reportSize = 8
	// batchHeaderSize is a master's batch header: start offset and size.
	batchHeaderSize = 8 + 4
)

// errFrame: a frame that is not an HA message.
var errFrame = errors.New("bad HA frame")

// appendReport encodes a slave's report of its max offset.
func appendReport(dst []byte, offset int64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, reportSize)
	return binary.BigEndian.AppendUint64(dst, uint64(offset))
}

// parseReport decodes a slave's report frame.
func parseReport(f []byte) (int64, error) {
	if len(f) != lengthSize+reportSize || binary.BigEndian.Uint32(f) != reportSize {
		return 0, fmt.Errorf("%w: report of %d bytes", errFrame, len(f))
	}
	off := int64(binary.BigEndian.Uint64(f[lengthSize:]))
	if off < 0 {
		return 0, fmt.Errorf("%w: negative offset %d", errFrame, off)
	}
	return off, nil
}

// appendBatch encodes a master's batch: data starting at offset start.
func appendBatch(dst []byte, start int64, data []byte) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(batchHeaderSize+len(data)))
	dst = binary.BigEndian.AppendUint64(dst, uint64(start))
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(data)))
	return append(dst, data...)
}

// parseBatch decodes a master's batch frame; data aliases f.
func parseBatch(f []byte) (start int64, data []byte, err error) {
	if len(f) < lengthSize+batchHeaderSize {
		return 0, nil, fmt.Errorf("%w: batch frame of %d bytes", errFrame, len(f))
	}
	n := binary.BigEndian.Uint32(f)
	start = int64(binary.BigEndian.Uint64(f[lengthSize:]))
	size := binary.BigEndian.Uint32(f[lengthSize+8:])
	if int(n) != len(f)-lengthSize || int(size) != len(f)-lengthSize-batchHeaderSize || start < 0 {
		return 0, nil, fmt.Errorf("%w: length %d, size %d, start %d in a frame of %d bytes", errFrame, n, size, start, len(f))
	}
	return start, f[lengthSize+batchHeaderSize:], nil
}
