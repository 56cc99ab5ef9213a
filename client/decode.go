package client

import (
	"bytes"
	"compress/zlib"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"rocketsim/broker/store/message"
)

// InflatedBodyMax bounds a decompressed message body: a corrupt or hostile
// compressed body cannot make a consumer allocate more than this. It matches
// the broker's default maxMessageSize (4 MiB) with room for the frame.
const InflatedBodyMax = 16 << 20

// DecodeMessages splits a pull response body into messages. brokerName is
// the broker the body came from. Records are checked as the store checks
// them (magic code, sizes, body CRC): a pull body is exactly the commit log's
// bytes, so a bad record is a corrupt response, returned as an error.
func DecodeMessages(body []byte, brokerName string) ([]*MessageExt, error) {
	// Records start with their size: count them first, so the slice is
	// made once (a pull of 256 grew it nine times).
	n := 0
	for rest := body; len(rest) >= 4; n++ {
		size := int(int32(binary.BigEndian.Uint32(rest)))
		if size <= 0 || size > len(rest) {
			n++ // Decode says what is wrong with it
			break
		}
		rest = rest[size:]
	}
	out := make([]*MessageExt, 0, n)
	// A pull's records share their store host, and often their born
	// host: their text is made once per pull, not twice per message
	// (fmt.Sprintf was a fifth of decoding).
	var storeHost, bornHost hostText
	for len(body) > 0 {
		r, err := message.Decode(body, true)
		if err != nil {
			return out, fmt.Errorf("decode pulled message %d: %w", len(out), err)
		}
		body = body[r.StoreSize:]
		m := &MessageExt{
			Message: Message{
				Topic:      r.Topic,
				Flag:       r.Flag,
				Properties: message.ParseProperties(r.Properties),
			},
			OffsetMsgID:     message.ID(r.StoreHost, r.PhysicalOffset),
			BrokerName:      brokerName,
			QueueID:         int(r.QueueID),
			QueueOffset:     r.QueueOffset,
			CommitLogOffset: r.PhysicalOffset,
			SysFlag:         r.SysFlag,
			ReconsumeTimes:  r.ReconsumeTimes,
			BornTimestamp:   r.BornTimestamp,
			StoreTimestamp:  r.StoreTimestamp,
			BornHost:        bornHost.of(r.BornHost),
			StoreHost:       storeHost.of(r.StoreHost),
		}
		m.Body = append([]byte(nil), r.Body...)
		if r.SysFlag&message.FlagCompressed != 0 {
			if inflated, err := Inflate(m.Body); err == nil {
				m.Body = inflated
			}
			// On failure the raw bytes stay, as the official clients do.
		}
		m.MsgID = m.Properties[PropertyUniqKey]
		if m.MsgID == "" {
			m.MsgID = m.OffsetMsgID
		}
		out = append(out, m)
	}
	return out, nil
}

// hostText remembers the text of the last address it formatted.
type hostText struct {
	addr message.Addr
	text string
}

// of returns a.String(), formatting it only when a differs from the last.
func (h *hostText) of(a message.Addr) string {
	if h.text == "" || a.Port != h.addr.Port || !bytes.Equal(a.IP, h.addr.IP) {
		h.addr, h.text = a, a.String()
	}
	return h.text
}

// Compress deflates body with zlib at level, as the producers do for bodies
// over compressMsgBodyOverHowmuch.
func Compress(body []byte, level int) ([]byte, error) {
	var buf bytes.Buffer
	w, err := zlib.NewWriterLevel(&buf, level)
	if err != nil {
		return nil, fmt.Errorf("zlib level %d: %w", level, err)
	}
	if _, err := w.Write(body); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("compress body: %w", err)
	}
	return buf.Bytes(), nil
}

// ErrInflatedTooLarge is returned by Inflate past InflatedBodyMax.
var ErrInflatedTooLarge = errors.New("inflated body too large")

// Inflate reverses Compress, refusing output beyond InflatedBodyMax.
func Inflate(body []byte) ([]byte, error) {
	r, err := zlib.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, fmt.Errorf("inflate body: %w", err)
	}
	defer r.Close()
	out, err := io.ReadAll(io.LimitReader(r, InflatedBodyMax+1))
	if err != nil {
		return nil, fmt.Errorf("inflate body: %w", err)
	}
	if len(out) > InflatedBodyMax {
		return nil, ErrInflatedTooLarge
	}
	return out, nil
}
