package topic

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/sim/simdisk"
)

// A random run of table changes on a disk whose fsyncs fail at random and
// whose power is cut at random: after every power loss the reloaded table
// is one that a successful or attempted write produced, never an older one
// than the last write that reported success, and never a torn file.
func TestRandomChangesUnderFaults(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { runModel(t, seed) })
	}
}

func runModel(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	d := simdisk.New(simdisk.Options{MetadataNeedsSyncDir: true, FsyncFailProb: 0.2}, rand.New(rand.NewPCG(seed, 100)))
	clock := &fakeClock{time.UnixMilli(1)}
	tab := open(t, d.FS(), clock, testOptions())
	initial, _ := tab.Encode()
	// acceptable: states a reload may return. The last successful write
	// resets it; a failed write adds its state (it may have landed).
	acceptable := map[string]bool{string(initial): true}
	// freshOK: no write has reported success yet, so a reload may find no
	// file and build a fresh table (stamped with the clock at reload).
	freshOK := true
	for step := 0; step < 150; step++ {
		clock.t = clock.t.Add(time.Millisecond)
		var err error
		wrote := true // false when the call changed nothing and wrote nothing
		name := fmt.Sprintf("t%d", rng.IntN(8))
		switch rng.IntN(5) {
		case 0, 1:
			c := NewConfig(name)
			c.ReadQueueNums, c.WriteQueueNums = rng.IntN(16), rng.IntN(16)
			err = tab.Update(c)
		case 2:
			wrote, err = tab.Delete(name)
		case 3:
			_, wrote, err = tab.CreateInSend(name, AutoCreateTopicKey, 1+rng.IntN(8), 0)
		case 4:
			d.PowerLoss()
			reopened, oerr := Open(d.FS(), clock, testOptions(), nil)
			if oerr != nil {
				t.Fatalf("step %d: reopen after power loss: %v", step, oerr)
			}
			got, _ := reopened.Encode()
			if freshOK {
				fresh, _ := Open(simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 1))).FS(), clock, testOptions(), nil)
				b, _ := fresh.Encode()
				acceptable[string(b)] = true
			}
			if !acceptable[string(got)] {
				t.Fatalf("step %d: reloaded a table no write produced:\n%s", step, got)
			}
			tab = reopened
			acceptable = map[string]bool{string(got): true}
			continue
		}
		if !wrote {
			continue
		}
		state, _ := tab.Encode()
		if err == nil {
			acceptable = map[string]bool{string(state): true}
			freshOK = false
		} else {
			acceptable[string(state)] = true
		}
	}
}
