package table

import (
	"bytes"
	"testing"
	"time"
)

// Whatever a table file holds, Open either refuses it or yields a table
// whose file reloads to the same bytes, every entry stored under its own
// name; it never panics.
func FuzzOpen(f *testing.F) {
	f.Add([]byte(`{"dataVersion":{"counter":1,"timestamp":2},"thingTable":{"a":{"name":"a","n":6}}}`))
	f.Add([]byte(`{"thingTable":{"a":{}}}`))
	f.Add([]byte(`{"thingTable":null,"dataVersion":null}`))
	f.Add([]byte(`{"thingTable":{"a":{"name":"b"}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		fs := newDisk().FS()
		writeFile(t, fs, file, string(data))
		clock := &fakeClock{time.UnixMilli(1)}
		p, err := Open(fs, clock, spec(), []entry{{Name: "builtin"}}, nil)
		if err != nil {
			return
		}
		for _, name := range p.Names() {
			if e, _ := p.Get(name); e.Name != name {
				t.Fatalf("entry %q stored under %q", e.Name, name)
			}
		}
		if err := p.Persist(); err != nil {
			t.Fatal(err)
		}
		first, _ := p.Encode()
		q, err := Open(fs, clock, spec(), []entry{{Name: "builtin"}}, nil)
		if err != nil {
			t.Fatalf("reload of our own file: %v", err)
		}
		second, _ := q.Encode()
		if !bytes.Equal(first, second) {
			t.Fatalf("reload differs:\n%s\n%s", first, second)
		}
	})
}
