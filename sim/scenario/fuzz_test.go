package scenario

import (
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse: whatever the bytes, Parse returns a scenario or an error and
// never panics; a scenario it accepts also plans and edits without one.
//
//	go test ./sim/scenario -run '^$' -fuzz FuzzParse -fuzztime 30s
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("../../scenarios/*.yaml")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Add([]byte(base))
	f.Add([]byte("duration: 1m\n"))
	f.Add([]byte("faults: [{at: 1s, fault: {kind: crash}}]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := Parse(data, "fuzz.yaml")
		if err != nil {
			return
		}
		if _, err := s.Plan(rand.New(rand.NewPCG(1, 2))); err != nil {
			t.Fatalf("a validated scenario does not plan: %v", err)
		}
		if len(s.Faults) > 0 {
			s.Edit(Edit{DropFaults: []int{0}})
		}
		s.Judge(nil)
	})
}
