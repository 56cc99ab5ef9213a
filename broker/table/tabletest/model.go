// Package tabletest checks a persisted table's crash consistency the same
// way for every table built on broker/table: random changes on a simulated
// disk whose fsyncs fail and whose power is cut at random. Each table
// brings its own changes (topic auto-creation, group lookup, ...); the
// judgement is shared.
package tabletest

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/broker/table"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

// Bounds of a model run: enough seeds and steps to hit power losses in
// every step of jsonfile.Write, small enough to run in well under a second.
const (
	Seeds = 20
	Steps = 150
	// PowerLossOneIn is the chance of a power loss (and reopen) at a step.
	PowerLossOneIn = 5
	// FsyncFailProb is the simulated disk's chance that an fsync fails.
	FsyncFailProb = 0.2
)

// Encoder is what the model needs of a table: its file's bytes.
type Encoder interface{ Encode() ([]byte, error) }

// Model is one table under test.
type Model[T Encoder] struct {
	// Open opens the table on fs, as the broker does at start.
	Open func(fs runtime.FS, clock table.Clock) (T, error)
	// Change makes one random change drawn from rng. wrote is false when
	// the call changed nothing and so wrote nothing; err is the write's.
	Change func(tab T, rng *rand.Rand) (wrote bool, err error)
}

type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

// Run checks that after every power loss the reopened table is one that a
// write produced: the last write that reported success or a later one that
// failed (it may have landed), never an older table and never a torn file;
// before any write succeeded, the fresh table of a first start is fine too.
func Run[T Encoder](t *testing.T, m Model[T]) {
	t.Helper()
	for seed := uint64(1); seed <= Seeds; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) { run(t, m, seed) })
	}
}

func run[T Encoder](t *testing.T, m Model[T], seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 99))
	d := simdisk.New(simdisk.Options{MetadataNeedsSyncDir: true, FsyncFailProb: FsyncFailProb}, rand.New(rand.NewPCG(seed, 100)))
	c := &clock{time.UnixMilli(1)}
	tab, err := m.Open(d.FS(), c)
	if err != nil {
		t.Fatal(err)
	}
	// acceptable: states a reload may return. The last successful write
	// resets it; a failed write adds its state.
	acceptable := map[string]bool{encode(t, tab): true}
	// freshOK: no write has reported success yet, so a reload may find no
	// file and build a fresh table (stamped with the clock at reload).
	freshOK := true
	for step := 0; step < Steps; step++ {
		c.t = c.t.Add(time.Millisecond)
		if rng.IntN(PowerLossOneIn) != 0 {
			wrote, err := m.Change(tab, rng)
			if !wrote {
				continue
			}
			state := encode(t, tab)
			if err == nil {
				acceptable = map[string]bool{state: true}
				freshOK = false
			} else {
				acceptable[state] = true
			}
			continue
		}
		d.PowerLoss()
		reopened, err := m.Open(d.FS(), c)
		if err != nil {
			t.Fatalf("step %d: reopen after power loss: %v", step, err)
		}
		got := encode(t, reopened)
		if freshOK {
			fresh, err := m.Open(simdisk.New(simdisk.Options{}, rand.New(rand.NewPCG(1, 1))).FS(), c)
			if err != nil {
				t.Fatal(err)
			}
			acceptable[encode(t, fresh)] = true
		}
		if !acceptable[got] {
			t.Fatalf("step %d: reloaded a table no write produced:\n%s", step, got)
		}
		tab = reopened
		acceptable = map[string]bool{got: true}
	}
}

func encode(t *testing.T, tab Encoder) string {
	t.Helper()
	b, err := tab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
