package history

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRead: any input either reads (and then writes back to the same
// events) or fails with an error naming a line; it never panics.
func FuzzRead(f *testing.F) {
	var buf bytes.Buffer
	Write(&buf, sample())
	f.Add(buf.Bytes())
	f.Add([]byte("# comment\n\n{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1,\"offset\":0}\n"))
	f.Add([]byte("{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}{}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := Read(bytes.NewReader(data), "fz")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fz:") {
				t.Fatalf("error does not name the input: %v", err)
			}
			return
		}
		var out bytes.Buffer
		if err := Write(&out, ops); err != nil {
			t.Fatal(err)
		}
		back, err := Read(&out, "again")
		if err != nil || len(back) != len(ops) {
			t.Fatalf("written history does not read back: %v", err)
		}
		Pair(ops) // must not panic; an error is a fine answer
	})
}
