package runs

import (
	"bytes"
	"strings"
	"testing"
)

// FuzzRead: any input either reads or fails with an error naming the
// file; what reads writes back and reads again to the same runs.
func FuzzRead(f *testing.F) {
	f.Add(`{"scenario":"s","seed":1,"verdict":"pass"}`)
	f.Add(`{"scenario":"s","seed":2,"verdict":"fail","metrics":{"delivery":{"lost":3}},"samples":{"clock":"true","send_latency_ms":[1,2],"window_ns":1000,"availability":[{"start":0,"sends":1,"ok":1,"availability":1}]}}`)
	f.Add("# comment\n\n{}")
	f.Fuzz(func(t *testing.T, in string) {
		rs, err := Read(strings.NewReader(in), "f.jsonl")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "f.jsonl") {
				t.Fatalf("error %q does not name the file", err)
			}
			return
		}
		var buf bytes.Buffer
		if err := Write(&buf, rs); err != nil {
			t.Fatalf("a run that read does not write: %v", err)
		}
		again, err := Read(&buf, "again")
		if err != nil || len(again) != len(rs) {
			t.Fatalf("written runs read back as %d runs, %v", len(again), err)
		}
	})
}
