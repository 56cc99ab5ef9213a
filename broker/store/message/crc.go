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
	if i := strings.Index(props, crcPrefix); i >= 0 && (i == 0 || props[i-1] == PropertySeparator) {
		end := i + len(crcPrefix)
		if j := strings.IndexByte(props[end:], PropertySeparator); j >= 0 {
			props = props[:i] + props[end+j+1:]
		} else {
			props = props[:i]
		}
	}
	if props != "" && props[len(props)-1] != PropertySeparator {
		return props + string(PropertySeparator) + crcPlaceholder
	}
	return props + crcPlaceholder // one allocation per put
}

// crcPlaceholder is the zeroed CRC property SealCRC fills.
const crcPlaceholder = crcPrefix + "0000000000" + string(PropertySeparator)

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
