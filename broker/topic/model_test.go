package topic

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"rocketsim/broker/table/tabletest"
	"rocketsim/runtime"
)

// The topic table's changes (admin updates and deletes, auto-creation in
// send) under failing fsyncs and power cuts: see tabletest.Run.
func TestRandomChangesUnderFaults(t *testing.T) {
	tabletest.Run(t, tabletest.Model[*Table]{
		Open: func(fs runtime.FS, clock Clock) (*Table, error) {
			return Open(fs, clock, testOptions(), nil)
		},
		Change: func(tab *Table, rng *rand.Rand) (bool, error) {
			name := fmt.Sprintf("t%d", rng.IntN(8))
			switch rng.IntN(4) {
			case 0, 1:
				c := NewConfig(name)
				c.ReadQueueNums, c.WriteQueueNums = rng.IntN(16), rng.IntN(16)
				return true, tab.Update(c)
			case 2:
				return tab.Delete(name)
			default:
				_, created, err := tab.CreateInSend(name, AutoCreateTopicKey, 1+rng.IntN(8), 0)
				return created, err
			}
		},
	})
}
