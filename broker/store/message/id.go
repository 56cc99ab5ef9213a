package message

import (
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// ID is RocketMQ's offset message id: the store host's address bytes, its
// port as 4 bytes, and the commit log offset as 8 bytes, in upper-case hex
// (Java MessageDecoder.createMessageId; 32 characters for IPv4). A client
// turns it back into (broker address, offset) to look a message up.
func ID(storeHost Addr, physicalOffset int64) string {
	var raw [28]byte
	buf := storeHost.append(raw[:0])
	buf = binary.BigEndian.AppendUint64(buf, uint64(physicalOffset))
	const digits = "0123456789ABCDEF"
	var out [2 * len(raw)]byte // on the stack: the string is the one allocation
	for i, b := range buf {
		out[2*i], out[2*i+1] = digits[b>>4], digits[b&0xf]
	}
	return string(out[:2*len(buf)])
}

// ParseID reverses ID. It accepts 32 (IPv4) or 56 (IPv6) hex characters.
func ParseID(id string) (Addr, int64, error) {
	if len(id) != 32 && len(id) != 56 {
		return Addr{}, 0, fmt.Errorf("message id %q: %d characters, want 32 or 56: %w", id, len(id), ErrBadAddr)
	}
	raw, err := hex.DecodeString(id)
	if err != nil {
		return Addr{}, 0, fmt.Errorf("message id %q: %w", id, err)
	}
	ipLen := len(raw) - 12
	a := Addr{IP: raw[:ipLen], Port: int32(binary.BigEndian.Uint32(raw[ipLen:]))}
	return a, int64(binary.BigEndian.Uint64(raw[ipLen+4:])), nil
}
