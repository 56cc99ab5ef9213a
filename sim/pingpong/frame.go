package pingpong

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
)

// The request and response codes of the toy protocol. CodePing is far from
// RocketMQ's request codes so a pingpong frame is never mistaken for one.
const (
	CodePing = 9901
	// Response codes: success, a definite failure (nothing was written),
	// and an unknown outcome (written but the fsync failed).
	CodeOK      = 0
	CodeFailed  = 1
	CodeUnknown = 2

	// flagResponse is RocketMQ's RPC_TYPE bit: set on responses.
	flagResponse = 1
	// serializeJSON is the serialize type byte of a JSON header.
	serializeJSON = 0
	// headerMax bounds the JSON header of one frame.
	headerMax = 4 << 10
)

// header is a RocketMQ remoting header in its JSON form.
type header struct {
	Code      int               `json:"code"`
	Language  string            `json:"language"`
	Version   int               `json:"version"`
	Opaque    int32             `json:"opaque"`
	Flag      int32             `json:"flag"`
	Remark    string            `json:"remark"`
	ExtFields map[string]string `json:"extFields,omitempty"`
}

// encodeFrame builds a RocketMQ-shaped frame: a 4-byte big-endian length of
// everything after it, a 4-byte serialize type and header length, the JSON
// header and the body.
func encodeFrame(h header, body []byte) []byte {
	h.Language = "GO"
	h.Version = 317
	hdr, err := json.Marshal(h)
	if err != nil {
		panic(fmt.Sprintf("pingpong: marshal header: %v", err)) // a struct of strings and ints always marshals
	}
	frame := make([]byte, 8+len(hdr)+len(body))
	binary.BigEndian.PutUint32(frame[0:], uint32(4+len(hdr)+len(body)))
	binary.BigEndian.PutUint32(frame[4:], uint32(serializeJSON)<<24|uint32(len(hdr)))
	copy(frame[8:], hdr)
	copy(frame[8+len(hdr):], body)
	return frame
}

// decodeFrame checks a frame's framing and returns its header and body.
func decodeFrame(frame []byte) (header, []byte, error) {
	var h header
	if len(frame) < 8 {
		return h, nil, fmt.Errorf("frame of %d bytes is shorter than its prefixes", len(frame))
	}
	if n := binary.BigEndian.Uint32(frame[0:]); int(n) != len(frame)-4 {
		return h, nil, fmt.Errorf("frame length prefix %d, but %d bytes follow", n, len(frame)-4)
	}
	word := binary.BigEndian.Uint32(frame[4:])
	if t := word >> 24; t != serializeJSON {
		return h, nil, fmt.Errorf("serialize type %d, want JSON", t)
	}
	n := int(word & 0xFFFFFF)
	if n > headerMax || 8+n > len(frame) {
		return h, nil, fmt.Errorf("header length %d does not fit a %d-byte frame", n, len(frame))
	}
	if err := json.Unmarshal(frame[8:8+n], &h); err != nil {
		return h, nil, fmt.Errorf("header: %w", err)
	}
	return h, frame[8+n:], nil
}
