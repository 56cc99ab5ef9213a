package check

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"rocketsim/jepsen/history"
)

// FuzzRun: no history that reads, however odd, makes a checker panic, and
// judging it twice gives the same report.
func FuzzRun(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*.jsonl"))
	for _, p := range files {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ops, err := history.Read(bytes.NewReader(data), "fz")
		if err != nil {
			return
		}
		cfg := Config{Linearizable: LinearizableOptions{QueueTimeout: time.Second}}
		var a, b bytes.Buffer
		Run(ops, cfg).WriteJSON(&a)
		Run(ops, cfg).WriteJSON(&b)
		if !bytes.Equal(a.Bytes(), b.Bytes()) {
			t.Fatalf("two runs, two reports:\n%s\n%s", a.String(), b.String())
		}
	})
}
