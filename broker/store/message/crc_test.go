package message

import (
	"errors"
	"strings"
	"testing"
)

func TestSealedRecord(t *testing.T) {
	r := sample()
	r.Properties = WithCRCPlaceholder(r.Properties + "__CRC32#\x010000000042\x02")
	if strings.Count(r.Properties, CRCProperty) != 1 || !strings.HasSuffix(r.Properties, "__CRC32#\x010000000000\x02") {
		t.Fatalf("placeholder: %q", r.Properties)
	}
	b, err := Append(nil, &r)
	if err != nil {
		t.Fatal(err)
	}
	if err := VerifySealed(b); err == nil {
		t.Fatal("unsealed record verified")
	}
	SealCRC(b)
	if err := VerifySealed(b); err != nil {
		t.Fatalf("sealed record: %v", err)
	}
	// Java's digit order: least significant first.
	crc := BodyCRC(b[:len(b)-CRCPropertyLen])
	digits := string(b[len(b)-11 : len(b)-1])
	if digits[0] != byte('0'+crc%10) {
		t.Fatalf("digits %s for crc %d", digits, crc)
	}
	// A torn tail (zeros where the properties end) is caught, though the
	// body CRC still matches.
	torn := append([]byte(nil), b...)
	clear(torn[len(torn)-15:])
	if _, err := Decode(torn, true); err != nil {
		t.Fatalf("body-only decode should pass a torn tail (that is the hole): %v", err)
	}
	if err := VerifySealed(torn); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("torn tail: %v", err)
	}
	// A flipped topic byte is caught too.
	flip := append([]byte(nil), b...)
	flip[len(flip)-len(r.Properties)-3] ^= 1
	if err := VerifySealed(flip); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("flipped topic: %v", err)
	}
}
