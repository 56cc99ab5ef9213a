package table_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rocketsim/broker/table"
	"rocketsim/broker/table/tabletest"
	"rocketsim/runtime"
)

type entry struct {
	N    int    `json:"n"`
	Name string `json:"name"`
}

// The bare table: puts and removes of a few names, each followed by
// Changed, under failing fsyncs and power cuts.
func TestRandomChangesUnderFaults(t *testing.T) {
	spec := table.Spec[entry]{Path: "cfg/e.json", Field: "entries", What: "entry table",
		Name: func(e *entry) *string { return &e.Name }}
	tabletest.Run(t, tabletest.Model[*table.Persisted[entry]]{
		Open: func(fs runtime.FS, clock table.Clock) (*table.Persisted[entry], error) {
			return table.Open(fs, clock, spec, []entry{{Name: "builtin", N: -1}}, nil)
		},
		Change: func(p *table.Persisted[entry], rng *rand.Rand) (bool, error) {
			name := fmt.Sprintf("e%d", rng.IntN(6))
			if rng.IntN(3) == 0 {
				if !p.Remove(name) {
					return false, nil
				}
			} else {
				p.Put(entry{Name: name, N: rng.IntN(100)})
			}
			return true, p.Changed()
		},
	})
}
