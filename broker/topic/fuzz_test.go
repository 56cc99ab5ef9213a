package topic

import (
	"bytes"
	"testing"
	"time"

	"rocketsim/runtime"
)

// Whatever topics.json holds, Open either refuses it or loads a table whose
// encoding reloads to the same bytes; it never panics.
func FuzzOpenTopicsFile(f *testing.F) {
	f.Add([]byte(`{"dataVersion":{"counter":1,"timestamp":2},"topicConfigTable":{"a":{"topicName":"a","perm":6,"readQueueNums":1,"writeQueueNums":1}}}`))
	f.Add([]byte(`{"topicConfigTable":{"a":{}}}`))
	f.Add([]byte(`{"topicConfigTable":null}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, fs := newFS()
		_ = fs.MkdirAll("store/config")
		file, _ := fs.Open("store/config/topics.json", runtime.ReadWrite|runtime.Create)
		_, _ = file.WriteAt(data, 0)
		_ = file.Close()
		clock := &fakeClock{time.UnixMilli(1)}
		tab, err := Open(fs, clock, testOptions(), nil)
		if err != nil {
			return
		}
		if err := tab.Persist(); err != nil {
			t.Fatal(err)
		}
		first, _ := tab.Encode()
		again, err := Open(fs, clock, testOptions(), nil)
		if err != nil {
			t.Fatalf("reload of our own file: %v", err)
		}
		second, _ := again.Encode()
		if !bytes.Equal(first, second) {
			t.Fatalf("reload differs:\n%s\n%s", first, second)
		}
	})
}
