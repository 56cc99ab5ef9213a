package subscription

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rocketsim/broker/table/tabletest"
	"rocketsim/runtime"
)

// The group table's changes (admin updates and deletes, auto-creation on
// lookup) under failing fsyncs and power cuts: see tabletest.Run.
func TestRandomChangesUnderFaults(t *testing.T) {
	opts := Options{Path: path, AutoCreate: true}
	tabletest.Run(t, tabletest.Model[*Table]{
		Open: func(fs runtime.FS, clock Clock) (*Table, error) {
			return Open(fs, clock, opts, nil)
		},
		Change: func(tab *Table, rng *rand.Rand) (bool, error) {
			name := fmt.Sprintf("g%d", rng.IntN(6))
			switch rng.IntN(4) {
			case 0:
				g := NewGroup(name)
				g.RetryMaxTimes = rng.IntN(20)
				return true, tab.Update(g)
			case 1:
				return tab.Delete(name)
			default:
				_, created, err := tab.Find(name)
				return created, err
			}
		},
	})
}
