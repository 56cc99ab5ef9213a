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

// AppendSealable encodes what Append does with WithCRCPlaceholder's
// properties, without building them.
func TestAppendSealableMatchesPlaceholder(t *testing.T) {
	for _, props := range []string{"", "A\x01b", "A\x01b\x02", "__CRC32#\x010000000042\x02A\x01b\x02", "A\x01b\x02__CRC32#\x010000000042"} {
		r := sample()
		r.Properties = WithCRCPlaceholder(props)
		want, err := Append(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		r.Properties = WithoutCRC(props)
		if strings.Contains(r.Properties, CRCProperty) {
			t.Fatalf("WithoutCRC(%q) = %q", props, r.Properties)
		}
		got, err := AppendSealable(nil, &r)
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != string(want) {
			t.Fatalf("props %q: AppendSealable differs from Append with the placeholder", props)
		}
		SealCRC(got)
		if err := VerifySealed(got); err != nil {
			t.Fatalf("props %q: %v", props, err)
		}
	}
	// The placeholder (and the separator before it) counts toward the
	// properties limit.
	r := sample()
	r.Properties = strings.Repeat("x", PropertiesLenMax-CRCPropertyLen)
	if _, err := AppendSealable(nil, &r); !errors.Is(err, ErrPropertiesTooLong) {
		t.Fatalf("properties one byte over with the placeholder: %v", err)
	}
	r.Properties = r.Properties[1:]
	if _, err := AppendSealable(nil, &r); err != nil {
		t.Fatalf("properties at the limit with the placeholder: %v", err)
	}
}
