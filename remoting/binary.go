package remoting

import (
	"encoding/binary"
	"fmt"
)

// binaryFixedLength is the fixed part of a ROCKETMQ binary header: code(2)
// language(1) version(2) opaque(4) flag(4) remarkLength(4) extLength(4).
const binaryFixedLength = 21

// languageCodes are Java's LanguageCode ordinals, the byte the binary header
// carries.
var languageCodes = []string{"JAVA", "CPP", "DOTNET", "PYTHON", "DELPHI", "ERLANG", "RUBY", "OTHER", "HTTP", "GO", "PHP", "OMS", "RUST"}

func languageName(b byte) string {
	if int(b) < len(languageCodes) {
		return languageCodes[b]
	}
	return "OTHER"
}

func languageCode(name string) byte {
	for i, n := range languageCodes {
		if n == name {
			return byte(i)
		}
	}
	return 7 // OTHER
}

func appendBinaryHeader(b []byte, c *Command) []byte {
	b = binary.BigEndian.AppendUint16(b, uint16(c.Code))
	b = append(b, languageCode(c.Language))
	b = binary.BigEndian.AppendUint16(b, uint16(c.Version))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Opaque))
	b = binary.BigEndian.AppendUint32(b, uint32(c.Flag))
	b = binary.BigEndian.AppendUint32(b, uint32(len(c.Remark)))
	b = append(b, c.Remark...)
	var ext []byte
	for _, k := range sortedKeys(c.ExtFields) {
		v := c.ExtFields[k]
		ext = binary.BigEndian.AppendUint16(ext, uint16(len(k)))
		ext = append(ext, k...)
		ext = binary.BigEndian.AppendUint32(ext, uint32(len(v)))
		ext = append(ext, v...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(ext)))
	return append(b, ext...)
}

// binaryReader reads big-endian fields and remembers the first shortfall, so
// decodeBinaryHeader reads straight through and checks once per section.
type binaryReader struct {
	data []byte
	err  error
}

func (r *binaryReader) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || n > len(r.data) {
		r.err = fmt.Errorf("%w: binary header: %s needs %d bytes, %d left", ErrMalformed, what, n, len(r.data))
		return nil
	}
	p := r.data[:n]
	r.data = r.data[n:]
	return p
}

func (r *binaryReader) u16(what string) uint16 {
	if p := r.take(2, what); p != nil {
		return binary.BigEndian.Uint16(p)
	}
	return 0
}

func (r *binaryReader) u32(what string) uint32 {
	if p := r.take(4, what); p != nil {
		return binary.BigEndian.Uint32(p)
	}
	return 0
}

func decodeBinaryHeader(data []byte) (*Command, error) {
	if len(data) < binaryFixedLength {
		return nil, fmt.Errorf("%w: binary header of %d bytes, shorter than %d", ErrMalformed, len(data), binaryFixedLength)
	}
	r := &binaryReader{data: data}
	cmd := &Command{}
	cmd.Code = int16(r.u16("code"))
	cmd.Language = languageName(r.take(1, "language")[0])
	cmd.Version = int16(r.u16("version"))
	cmd.Opaque = int32(r.u32("opaque"))
	cmd.Flag = int32(r.u32("flag"))
	remarkLen := int32(r.u32("remark length"))
	if remarkLen > 0 {
		cmd.Remark = string(r.take(int(remarkLen), "remark"))
	}
	extLen := int32(r.u32("extFields length"))
	if r.err != nil {
		return nil, r.err
	}
	if extLen < 0 || int(extLen) > len(r.data) {
		return nil, fmt.Errorf("%w: binary header: extFields length %d, %d bytes left", ErrMalformed, extLen, len(r.data))
	}
	if extLen > 0 {
		cmd.ExtFields = map[string]string{}
		er := &binaryReader{data: r.take(int(extLen), "extFields")}
		for len(er.data) > 0 && er.err == nil {
			k := er.take(int(er.u16("key length")), "key")
			v := er.take(int(int32(er.u32("value length"))), "value")
			if er.err == nil {
				cmd.ExtFields[string(k)] = string(v)
			}
		}
		if er.err != nil {
			return nil, er.err
		}
	}
	if len(r.data) != 0 {
		return nil, fmt.Errorf("%w: binary header: %d trailing bytes", ErrMalformed, len(r.data))
	}
	return cmd, nil
}
