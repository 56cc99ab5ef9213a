package remoting

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"sync/atomic"
	"unicode/utf8"
)

// Serialization types in the high byte of the header-length word.
const (
	SerializeJSON     byte = 0
	SerializeROCKETMQ byte = 1
)

// headerLengthMax is what the low 24 bits of the header-length word can
// express; a longer header cannot be framed.
const headerLengthMax = 1<<24 - 1

// ErrMalformed is wrapped by every Decode error: the bytes are not a frame
// this protocol allows. A connection that sends one is closed.
var ErrMalformed = errors.New("malformed remoting frame")

// Encode returns the whole frame for cmd, length prefix included, with a
// JSON header. The header is written by hand so that field order is fixed
// (alphabetical, as Java's fastjson writes it) and extFields keys are sorted:
// the same command always yields the same bytes, which the simulator's trace
// hash relies on.
func Encode(cmd *Command) []byte {
	// The header is written into a buffer on the stack, then the frame
	// is allocated at its exact size: one allocation, no estimate of the
	// header's size to compute (that scan, and regrowing a frame when it
	// fell short, cost more than copying a few hundred bytes).
	var buf [headerOnStack]byte
	header := appendJSONHeader(buf[:0], cmd)
	if len(header) > headerLengthMax {
		panic(fmt.Sprintf("remoting: header of %d bytes exceeds the 24-bit length field", len(header)))
	}
	out := make([]byte, 8+len(header)+len(cmd.Body))
	binary.BigEndian.PutUint32(out[0:4], uint32(4+len(header)+len(cmd.Body)))
	binary.BigEndian.PutUint32(out[4:8], uint32(SerializeJSON)<<24|uint32(len(header)))
	copy(out[8:], header)
	copy(out[8+len(header):], cmd.Body)
	return out
}

// headerOnStack is the JSON header size Encode builds on its stack; a
// longer header (a big remark or properties) spills to the heap. A
// SEND_MESSAGE header is about 500 bytes.
const headerOnStack = 1024

// EncodeROCKETMQ returns the frame for cmd with Java's binary header
// (RocketMQSerializable). We never send it to peers; it exists so tests and
// fuzz seeds can exercise the decoder with what a binary-configured Java peer
// sends.
func EncodeROCKETMQ(cmd *Command) []byte {
	return frame(SerializeROCKETMQ, appendBinaryHeader(nil, cmd), cmd.Body)
}

func frame(kind byte, header, body []byte) []byte {
	if len(header) > headerLengthMax {
		panic(fmt.Sprintf("remoting: header of %d bytes exceeds the 24-bit length field", len(header)))
	}
	out := make([]byte, 8, 8+len(header)+len(body))
	binary.BigEndian.PutUint32(out[0:4], uint32(4+len(header)+len(body)))
	binary.BigEndian.PutUint32(out[4:8], uint32(kind)<<24|uint32(len(header)))
	out = append(out, header...)
	return append(out, body...)
}

// Decode parses one whole frame (length prefix included). max bounds the
// frame size in bytes (0 means runtime.MaxFrameSizeDefault's 16 MiB). Body
// aliases frame. Decode never panics, whatever the bytes.
func Decode(frame []byte, max int) (*Command, error) {
	if max <= 0 {
		max = 16 << 20
	}
	if len(frame) < 8 {
		return nil, fmt.Errorf("%w: %d bytes, shorter than the 8-byte prefix", ErrMalformed, len(frame))
	}
	if len(frame) > max {
		return nil, fmt.Errorf("%w: %d bytes exceeds the maximum frame size %d", ErrMalformed, len(frame), max)
	}
	length := int32(binary.BigEndian.Uint32(frame[0:4]))
	if length < 0 {
		return nil, fmt.Errorf("%w: negative length %d", ErrMalformed, length)
	}
	if int64(length) != int64(len(frame)-4) {
		return nil, fmt.Errorf("%w: length field %d but %d bytes follow it", ErrMalformed, length, len(frame)-4)
	}
	word := binary.BigEndian.Uint32(frame[4:8])
	kind := byte(word >> 24)
	headerLen := int(word & headerLengthMax)
	if headerLen > len(frame)-8 {
		return nil, fmt.Errorf("%w: header length %d exceeds the %d bytes left", ErrMalformed, headerLen, len(frame)-8)
	}
	header := frame[8 : 8+headerLen]
	var cmd *Command
	var err error
	switch kind {
	case SerializeJSON:
		cmd, err = decodeJSONHeader(header)
	case SerializeROCKETMQ:
		cmd, err = decodeBinaryHeader(header)
	default:
		return nil, fmt.Errorf("%w: unknown serialize type %d", ErrMalformed, kind)
	}
	if err != nil {
		return nil, err
	}
	if body := frame[8+headerLen:]; len(body) > 0 {
		cmd.Body = body
	}
	return cmd, nil
}

func appendJSONHeader(b []byte, c *Command) []byte {
	b = append(b, `{"code":`...)
	b = strconv.AppendInt(b, int64(c.Code), 10)
	if c.ExtFields != nil {
		b = append(b, `,"extFields":{`...)
		b = appendExtFields(b, c.ExtFields)
		b = append(b, '}')
	} else if c.ExtList != nil {
		b = append(b, `,"extFields":{`...)
		for i, f := range c.ExtList {
			if i > 0 && f.Key <= c.ExtList[i-1].Key {
				panic(fmt.Sprintf("remoting: ExtList keys out of order or repeated: %q after %q", f.Key, c.ExtList[i-1].Key))
			}
			b = appendMember(b, i, f.Key, f.Value)
		}
		b = append(b, '}')
	}
	b = append(b, `,"flag":`...)
	b = strconv.AppendInt(b, int64(c.Flag), 10)
	b = append(b, `,"language":`...)
	b = appendJSONString(b, c.Language)
	b = append(b, `,"opaque":`...)
	b = strconv.AppendInt(b, int64(c.Opaque), 10)
	b = append(b, `,"remark":`...)
	b = appendJSONString(b, c.Remark)
	b = append(b, `,"serializeTypeCurrentRPC":"JSON","version":`...)
	b = strconv.AppendInt(b, int64(c.Version), 10)
	return append(b, '}')
}

// keyOrders caches, for each key count up to sortedKeysOnStack, the
// sorted keys of the last extFields map of that size encoded. A process
// encodes the same few headers over and over (a producer's every send has
// the same 14 keys), and sorting them was a quarter of Encode. The cache
// only saves work: a map whose keys differ from the entry is sorted as
// before, so the bytes never depend on it. Atomic, because the real
// runtime runs several nodes' loops in one process.
var keyOrders [sortedKeysOnStack + 1]atomic.Pointer[[]string]

// appendExtFields writes m's entries as JSON members, keys sorted.
func appendExtFields(b []byte, m map[string]string) []byte {
	n := len(m)
	if n > sortedKeysOnStack {
		for i, k := range sortedKeys(m) {
			b = appendMember(b, i, k, m[k])
		}
		return b
	}
	if p := keyOrders[n].Load(); p != nil {
		// The cached keys are n distinct strings; if m holds each, m's
		// keys are exactly these.
		keys := *p
		var vals [sortedKeysOnStack]string
		hit := true
		for i, k := range keys {
			v, ok := m[k]
			if !ok {
				hit = false
				break
			}
			vals[i] = v
		}
		if hit {
			for i, k := range keys {
				b = appendMember(b, i, k, vals[i])
			}
			return b
		}
	}
	var buf [sortedKeysOnStack]string
	keys := sortedKeysInto(buf[:0], m)
	for i, k := range keys {
		b = appendMember(b, i, k, m[k])
	}
	order := slices.Clone(keys)
	keyOrders[n].Store(&order)
	return b
}

// appendMember writes the i-th member "k":"v" of an object.
func appendMember(b []byte, i int, k, v string) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	b = appendJSONString(b, k)
	b = append(b, ':')
	return appendJSONString(b, v)
}

func sortedKeys(m map[string]string) []string {
	return sortedKeysInto(make([]string, 0, len(m)), m)
}

// sortedKeysOnStack is how many keys an encoder sorts in an array on its
// stack: a SEND_MESSAGE header has 14, and a heap slice cost an
// allocation plus a GC write barrier for every string moved by the sort.
const sortedKeysOnStack = 24

// sortedKeysInto appends m's keys to keys, sorted.
func sortedKeysInto(keys []string, m map[string]string) []string {
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

const hexDigits = "0123456789abcdef"

// jsonPlain marks the ASCII bytes appendJSONString copies as they are.
var jsonPlain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != 0x7f
	}
	return t
}()

// appendJSONString writes s as a JSON string. Non-ASCII text is written as
// is (as fastjson does); invalid UTF-8 becomes U+FFFD so the output is always
// valid JSON.
func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		// Copy the run of bytes that need no escape in one append.
		j := i
		for j < len(s) && jsonPlain[s[j]] {
			j++
		}
		b = append(b, s[i:j]...)
		if i = j; i >= len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20 || c == 0x7f:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
