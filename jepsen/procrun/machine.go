package procrun

import (
	"time"

	"rocketsim/faults"
)

// machine is what a node's faults did to its machine rather than to its
// process: its disk's failpoints and its clock. In the simulator a crash
// keeps them (the disk and the clock belong to the machine); a real
// process holds its failpoints in memory and loses them when it dies, so
// the nemesis keeps them here and gives them back to each new incarnation.
type machine struct {
	// disk holds the latest fsync-fail, fsync-latency and disk-full in
	// force (disk-free removes disk-full).
	disk map[faults.Kind]faults.Fault
	// offset is the wall clock's offset from true time as of driftSince;
	// rate is the clock's rate since then (0 means 1).
	offset     time.Duration
	rate       float64
	driftSince time.Time
	clockSet   bool // some clock fault was applied
}

func newMachine() *machine { return &machine{disk: map[faults.Kind]faults.Fault{}} }

// note records fault f (a control-socket kind) applied at now.
func (m *machine) note(f faults.Fault, now time.Time) {
	f.Nodes, f.Pick = nil, 0
	switch f.Kind {
	case faults.FsyncFail, faults.FsyncLatency, faults.DiskFull:
		m.disk[f.Kind] = f
	case faults.DiskFree:
		delete(m.disk, faults.DiskFull)
	case faults.ClockOffset:
		m.offset, m.driftSince, m.clockSet = f.Offset, now, true
	case faults.ClockJump:
		m.offset, m.driftSince, m.clockSet = m.offsetAt(now)+f.By, now, true
	case faults.ClockDrift:
		m.offset, m.driftSince, m.clockSet = m.offsetAt(now), now, true
		m.rate = f.Rate
	}
}

// offsetAt is the clock's offset at now, drift included.
func (m *machine) offsetAt(now time.Time) time.Duration {
	if m.rate == 0 || m.rate == 1 || m.driftSince.IsZero() {
		return m.offset
	}
	return m.offset + time.Duration((m.rate-1)*float64(now.Sub(m.driftSince)))
}

// faults are the control-socket faults that give a new incarnation, at
// now, the machine's state: the disk's failpoints in a fixed order, then
// the clock's offset and rate.
func (m *machine) faults(now time.Time) []faults.Fault {
	var out []faults.Fault
	for _, k := range []faults.Kind{faults.FsyncFail, faults.FsyncLatency, faults.DiskFull} {
		if f, ok := m.disk[k]; ok {
			out = append(out, f)
		}
	}
	if m.clockSet {
		out = append(out, faults.Fault{Kind: faults.ClockOffset, Offset: m.offsetAt(now)})
		if m.rate != 0 && m.rate != 1 {
			out = append(out, faults.Fault{Kind: faults.ClockDrift, Rate: m.rate})
		}
	}
	return out
}

// healDisk forgets the disk's failpoints (the liveness phase); the clock
// keeps its offset and rate, as the simulator's healing leaves clocks be.
func (m *machine) healDisk() { clear(m.disk) }
