package message

import (
	"fmt"
	"strings"
)

// RocketMQ's record CRC covers only the body: a power loss that drops the
// sector holding a record's topic or properties leaves a record whose body
// CRC, magic code and sizes all check out, with zeros in its properties.
// RocketMQ 5.x closes the hole with a CRC of the whole record carried as
// the last property (enabledAppendPropCRC); the store always does the same.
// Clients see one extra property, which they ignore.

// CRCProperty names the whole-record CRC property (Java
// MessageConst.PROPERTY_CRC32).
const CRCProperty = "__CRC32#"

// crcDigits is the width of the decimal CRC value.
const crcDigits = 10

// CRCPropertyLen is what the property adds to the properties string.
const CRCPropertyLen = len(CRCProperty) + 1 + crcDigits + 1

// crcPrefix is what precedes the digits.
const crcPrefix = CRCProperty + string(NameValueSeparator)

// WithCRCPlaceholder returns props without any earlier CRC property (a
// message stored again, by the schedule or retry path, carries its old one)
// and with a zeroed one at the end, for SealCRC to fill.
func WithCRCPlaceholder(props string) string {
	props = WithoutCRC(props)
	return props + crcTail(props)
}

// WithoutCRC returns props without a CRC property. It allocates only
// when one sits before other properties.
func WithoutCRC(props string) string {
	i := strings.Index(props, crcPrefix)
	if i < 0 || (i > 0 && props[i-1] != PropertySeparator) {
		return props
	}
	end := i + len(crcPrefix)
	if j := strings.IndexByte(props[end:], PropertySeparator); j >= 0 {
		return props[:i] + props[end+j+1:]
	}
	return props[:i]
}

// crcTail is what follows props for a zeroed CRC property to end them.
func crcTail(props string) string {
	if props != "" && props[len(props)-1] != PropertySeparator {
		return sepCRCPlaceholder
	}
	return crcPlaceholder
}

// AppendSealable encodes r as Append does, with a zeroed CRC property
// after its properties (which must hold none: WithoutCRC), for SealCRC to
// fill: WithCRCPlaceholder and Append without building the longer string
// (a put's one allocation).
func AppendSealable(dst []byte, r *Record) ([]byte, error) {
	return appendRecord(dst, r, crcTail(r.Properties))
}

// crcPlaceholder is the zeroed CRC property SealCRC fills.
const crcPlaceholder = crcPrefix + "0000000000" + string(PropertySeparator)

// sepCRCPlaceholder ends properties that lack a final separator.
const sepCRCPlaceholder = string(PropertySeparator) + crcPlaceholder

// hasCRC reports whether an encoded record ends with the CRC property.
func hasCRC(rec []byte) bool {
	n := len(rec)
	if n < CRCPropertyLen+fixedSize {
		return false
	}
	tail := rec[n-CRCPropertyLen:]
	return string(tail[:len(crcPrefix)]) == crcPrefix && tail[len(tail)-1] == PropertySeparator
}

// recordCRC is Java's: UtilAll.crc32 (sign bit cleared) of the record up
// to the CRC property.
func recordCRC(rec []byte) int32 {
	return BodyCRC(rec[:len(rec)-CRCPropertyLen])
}

// crcText writes the value as Java's MessageDecoder.createCrc32 does: ten
// decimal digits, least significant first.
func crcText(v int32) string {
	var b [crcDigits]byte
	putCRCText(b[:], v)
	return string(b[:])
}

// putCRCText is crcText into b (no allocation: SealCRC runs per put).
func putCRCText(b []byte, v int32) {
	for i := range b[:crcDigits] {
		b[i] = '0' + byte(v%10)
		v /= 10
	}
}

// SealCRC fills the CRC property of an encoded record, once every other
// byte (the physical offset included) is final. A record without the
// property is left alone.
func SealCRC(rec []byte) {
	if !hasCRC(rec) {
		return
	}
	putCRCText(rec[len(rec)-crcDigits-1:], recordCRC(rec))
}

// CheckRecordCRC verifies the whole-record CRC when the record has one.
func CheckRecordCRC(rec []byte) error {
	if !hasCRC(rec) {
		return nil
	}
	want := crcText(recordCRC(rec))
	if got := string(rec[len(rec)-crcDigits-1 : len(rec)-1]); got != want {
		return fmt.Errorf("record crc %s, computed %s: %w", got, want, ErrCorrupt)
	}
	return nil
}

// VerifySealed checks that a record carries the whole-record CRC property
// and that it matches. The store seals every record it writes, so during
// recovery a record without one is a torn one whose tail was lost.
func VerifySealed(rec []byte) error {
	if !hasCRC(rec) {
		return fmt.Errorf("record has no %s property: its tail was lost: %w", CRCProperty, ErrCorrupt)
	}
	return CheckRecordCRC(rec)
}
