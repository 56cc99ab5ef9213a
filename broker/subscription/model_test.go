package subscription

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/sim/simdisk"
)

// Random group changes on a disk with failing fsyncs and power cuts: a
// reload never returns a table older than the last write that reported
// success, nor one no write produced.
func TestRandomChangesUnderFaults(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			rng := rand.New(rand.NewPCG(seed, 7))
			d := simdisk.New(simdisk.Options{MetadataNeedsSyncDir: true, FsyncFailProb: 0.2}, rand.New(rand.NewPCG(seed, 8)))
			clock := &fakeClock{time.UnixMilli(1)}
			opts := Options{Path: path, AutoCreate: true}
			tab, err := Open(d.FS(), clock, opts, nil)
			if err != nil {
				t.Fatal(err)
			}
			fresh := func() string {
				f, _ := Open(simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 1))).FS(), clock, opts, nil)
				b, _ := f.Encode()
				return string(b)
			}
			acceptable := map[string]bool{}
			freshOK := true
			for step := 0; step < 150; step++ {
				clock.t = clock.t.Add(time.Millisecond)
				name := fmt.Sprintf("g%d", rng.IntN(6))
				var err error
				wrote := true
				switch rng.IntN(5) {
				case 0:
					g := NewGroup(name)
					g.RetryMaxTimes = rng.IntN(20)
					err = tab.Update(g)
				case 1:
					wrote, err = tab.Delete(name)
				case 2, 3:
					_, wrote, err = tab.Find(name)
				case 4:
					d.PowerLoss()
					re, oerr := Open(d.FS(), clock, opts, nil)
					if oerr != nil {
						t.Fatalf("step %d: reopen: %v", step, oerr)
					}
					got, _ := re.Encode()
					if !acceptable[string(got)] && !(freshOK && string(got) == fresh()) {
						t.Fatalf("step %d: reloaded a table no write produced:\n%s", step, got)
					}
					tab = re
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
		})
	}
}
