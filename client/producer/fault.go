package producer

import (
	"slices"
	"time"
)

// Java MQFaultStrategy's tables: a send that took at least latencyMax[i]
// makes its broker unavailable for notAvailableDuration[i]. A failed send
// counts as 30 s (isolation), so its broker is avoided for 10 minutes unless
// every broker is.
var (
	latencyMax           = []time.Duration{50 * time.Millisecond, 100 * time.Millisecond, 550 * time.Millisecond, time.Second, 2 * time.Second, 3 * time.Second, 15 * time.Second}
	notAvailableDuration = []time.Duration{0, 0, 30 * time.Second, time.Minute, 2 * time.Minute, 3 * time.Minute, 10 * time.Minute}
)

// isolationLatency is the latency a failed send is recorded with.
const isolationLatency = 30 * time.Second

// faultTable remembers, per broker, until when it should be avoided (Java
// LatencyFaultToleranceImpl). Times are the node's monotonic clock.
type faultTable struct {
	items map[string]faultItem
}

type faultItem struct {
	latency    time.Duration
	availAfter time.Duration
}

func newFaultTable() *faultTable { return &faultTable{items: map[string]faultItem{}} }

// update records a send to broker that took latency (isolation: it failed).
func (f *faultTable) update(broker string, latency time.Duration, isolation bool, now time.Duration) {
	if isolation {
		latency = isolationLatency
	}
	var d time.Duration
	for i := len(latencyMax) - 1; i >= 0; i-- {
		if latency >= latencyMax[i] {
			d = notAvailableDuration[i]
			break
		}
	}
	f.items[broker] = faultItem{latency: latency, availAfter: now + d}
}

func (f *faultTable) available(broker string, now time.Duration) bool {
	it, ok := f.items[broker]
	return !ok || now >= it.availAfter
}

// leastBad is the avoided broker that will recover first (ties: lowest
// latency, then name), "" when none is recorded.
func (f *faultTable) leastBad() string {
	names := make([]string, 0, len(f.items))
	for n := range f.items {
		names = append(names, n)
	}
	slices.Sort(names)
	best := ""
	for _, n := range names {
		if best == "" {
			best = n
			continue
		}
		a, b := f.items[n], f.items[best]
		if a.availAfter < b.availAfter || (a.availAfter == b.availAfter && a.latency < b.latency) {
			best = n
		}
	}
	return best
}
