package procrun

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/faults"
)

func faultStrings(fs []faults.Fault) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.String())
	}
	return out
}

// The machine keeps the latest disk failpoints and the clock's offset
// and rate, as the simulator's disk and clock outlive a crash.
func TestMachineState(t *testing.T) {
	m := newMachine()
	t0 := time.Unix(1000, 0)
	require.Empty(t, m.faults(t0))

	m.note(faults.Fault{Kind: faults.FsyncFail, Nodes: []string{"b"}, Prob: 0.3}, t0)
	m.note(faults.Fault{Kind: faults.FsyncFail, Prob: 0.5}, t0)
	m.note(faults.Fault{Kind: faults.DiskFull, Capacity: 1 << 20}, t0)
	m.note(faults.Fault{Kind: faults.ClockOffset, Offset: -time.Hour}, t0)
	m.note(faults.Fault{Kind: faults.ClockJump, By: 10 * time.Second}, t0)
	require.Equal(t, []string{
		"{kind: fsync-fail, prob: 0.5}",
		"{kind: disk-full, capacity: 1048576}",
		"{kind: clock-offset, offset: -59m50s}",
	}, faultStrings(m.faults(t0)))

	// Drift: 1.5 x for 10 s adds 5 s; a later jump adds to that.
	m.note(faults.Fault{Kind: faults.ClockDrift, Rate: 1.5}, t0)
	t1 := t0.Add(10 * time.Second)
	m.note(faults.Fault{Kind: faults.ClockJump, By: time.Second}, t1)
	t2 := t1.Add(2 * time.Second)
	require.Equal(t, []string{
		"{kind: fsync-fail, prob: 0.5}",
		"{kind: disk-full, capacity: 1048576}",
		"{kind: clock-offset, offset: -59m43s}", // -3590 + 5 + 1 + 1 (2 s at 1.5)
		"{kind: clock-drift, rate: 1.5}",
	}, faultStrings(m.faults(t2)))

	m.note(faults.Fault{Kind: faults.DiskFree}, t2)
	m.healDisk()
	require.Equal(t, []string{"{kind: clock-offset, offset: -59m43s}", "{kind: clock-drift, rate: 1.5}"},
		faultStrings(m.faults(t2)), "healing the disk leaves the clock")
}
