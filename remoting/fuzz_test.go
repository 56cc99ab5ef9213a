package remoting

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecode: Decode never panics, and whatever it accepts survives a
// re-encode (JSON) unchanged. Seeds live in testdata/fuzz/FuzzDecode.
func FuzzDecode(f *testing.F) {
	f.Add(Encode(sample()))
	f.Add(EncodeROCKETMQ(sample()))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Decode(data, 1<<20)
		if err != nil {
			return
		}
		again, err := Decode(Encode(c), 0)
		if err != nil {
			t.Fatalf("re-encoding an accepted command fails to decode: %v", err)
		}
		if len(c.Body) == 0 {
			c.Body = nil
		}
		if !validUTF8Fields(c) {
			return // invalid UTF-8 is replaced on encode, so equality cannot hold
		}
		if !reflect.DeepEqual(again, c) {
			t.Fatalf("re-encode changed the command\n got %+v\nwant %+v", again, c)
		}
		if !bytes.Equal(Encode(again), Encode(c)) {
			t.Fatal("encoding is not stable")
		}
	})
}

func validUTF8Fields(c *Command) bool {
	ok := func(s string) bool { return bytes.Equal([]byte(s), bytes.ToValidUTF8([]byte(s), []byte("\uFFFD"))) }
	if !ok(c.Language) || !ok(c.Remark) {
		return false
	}
	for k, v := range c.ExtFields {
		if !ok(k) || !ok(v) {
			return false
		}
	}
	return true
}
