package store

import (
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/sim/simdisk"
)

// TestSoak runs many more seeds of the fault runs when STORE_SOAK_SEEDS
// is set (e.g. 200); by default it runs a handful so it always executes.
func TestSoak(t *testing.T) {
	seeds := 3
	if v, err := strconv.Atoi(os.Getenv("STORE_SOAK_SEEDS")); err == nil && v > 0 {
		seeds = v
	}
	failing := func(seed uint64, clock *fakeclock.Clock) faultDisk {
		d := simdisk.New(simdisk.Options{
			FsyncLatency:        func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(4000)) * time.Microsecond },
			FsyncFailProb:       0.03,
			FsyncFailDropsDirty: seed%2 == 0,
		}, rand.New(rand.NewPCG(seed, 555)))
		d.Bind(clock.Schedule)
		return d
	}
	for seed := uint64(1000); seed < uint64(1000+seeds); seed++ {
		runFaults(t, seed, config.SyncFlush, failing, 800)
		runFaults(t, seed, config.AsyncFlush, newMemDisk, 800)
		runFaults(t, seed, config.AsyncFlush, failing, 400)
	}
}
