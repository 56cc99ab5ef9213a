package check

import (
	"fmt"
	"time"

	"rocketsim/jepsen/history"
)

// DefaultWindow is the availability window when none is given.
const DefaultWindow = time.Second

// StatsOptions configures the statistics checker.
type StatsOptions struct {
	// Window is the width of an availability window (0: DefaultWindow).
	Window time.Duration `yaml:"window" json:"window,omitempty"`
	// MinAvailability and MinWindowAvailability are lower bounds on the
	// share of sends that succeeded, over the whole run and in the worst
	// window; 0: report only.
	MinAvailability       float64 `yaml:"min_availability" json:"min_availability,omitempty"`
	MinWindowAvailability float64 `yaml:"min_window_availability" json:"min_window_availability,omitempty"`
}

// Window is the sends invoked during one availability window.
type Window struct {
	// Start is the client time the window begins (ns).
	Start        int64   `json:"start"`
	Sends        int     `json:"sends"`
	OK           int     `json:"ok"`
	Fail         int     `json:"fail"`
	Info         int     `json:"info"`
	Availability float64 `json:"availability"`
}

// Availability splits the sends by invoke time into windows of width w
// (0: DefaultWindow), counting each window's outcomes; windows with no send
// are left out (availability is undefined there), the rest are in time
// order. A send that never completed counts as info.
func Availability(ops []history.Op, w time.Duration) ([]Window, error) {
	if w <= 0 {
		w = DefaultWindow
	}
	paired, err := history.Pair(ops)
	if err != nil {
		return nil, err
	}
	var sends []history.Operation
	for _, o := range paired {
		if o.Op().F == history.FSend && o.Invoke != nil {
			sends = append(sends, o)
		}
	}
	if len(sends) == 0 {
		return nil, nil
	}
	t0 := sends[0].Start()
	for _, s := range sends {
		t0 = min(t0, s.Start())
	}
	byIdx := map[int64]*Window{}
	var idxs []int64
	for _, s := range sends {
		i := (s.Start() - t0) / int64(w)
		win := byIdx[i]
		if win == nil {
			win = &Window{Start: t0 + i*int64(w)}
			byIdx[i] = win
			idxs = append(idxs, i)
		}
		win.Sends++
		switch s.Type() {
		case history.OK:
			win.OK++
		case history.Fail:
			win.Fail++
		default:
			win.Info++
		}
	}
	sortInt64(idxs)
	out := make([]Window, 0, len(idxs))
	for _, i := range idxs {
		win := byIdx[i]
		win.Availability = float64(win.OK) / float64(win.Sends)
		out = append(out, *win)
	}
	return out, nil
}

// Stats measures availability (share of sends acknowledged, overall and per
// window) and latency percentiles in milliseconds: send (invoke to ack, one
// client's clock) and end-to-end (send invoke to first delivery in any
// group, across clocks, so within the clock-error bound). Delayed and
// transactional messages are left out of end-to-end latency: their delay is
// by design and judged by their own checkers.
func Stats(ops []history.Op, opt StatsOptions) Result {
	b := newBuilder("stats")
	b.ensure(countNames["stats"]...)
	windows, err := Availability(ops, opt.Window)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	ms, err := indexMessages(ops)
	if err != nil {
		b.fail(err.Error())
		return b.result()
	}
	worst := 1.0
	for _, w := range windows {
		b.add("sends", int64(w.Sends))
		b.add("sends_ok", int64(w.OK))
		b.add("sends_fail", int64(w.Fail))
		b.add("sends_info", int64(w.Info))
		b.add("windows", 1)
		worst = min(worst, w.Availability)
	}
	if n := b.count("sends"); n > 0 {
		avail := float64(b.count("sends_ok")) / float64(n)
		b.figure("availability", avail)
		b.figure("availability_worst_window", worst)
		if opt.MinAvailability > 0 && avail < opt.MinAvailability {
			b.fail(fmt.Sprintf("availability: %.4f < required %.4f", avail, opt.MinAvailability))
		}
		if opt.MinWindowAvailability > 0 && worst < opt.MinWindowAvailability {
			b.fail(fmt.Sprintf("availability_worst_window: %.4f < required %.4f", worst, opt.MinWindowAvailability))
		}
	}
	sendLat, e2e := latencies(ms)
	if n := b.count("sends"); n > 0 {
		b.figure("longest_outage_ms", float64(longestOutage(ms.ops))/float64(time.Millisecond))
	}
	addPercentiles(b, "send_latency_ms", sendLat)
	addPercentiles(b, "e2e_latency_ms", e2e)
	return b.result()
}

// longestOutage is the longest time between two consecutive acknowledged
// sends (or from the last one to the history's end) during which some send
// was tried and did not succeed: how long producers could not write. Idle
// stretches with no attempt are not outages.
func longestOutage(ops []history.Operation) int64 {
	var acks []int64
	var misses []int64 // invoke times of sends that failed or stayed unknown
	var end int64
	for _, o := range ops {
		op := o.Op()
		end = max(end, op.Time)
		if op.F != history.FSend || o.Invoke == nil {
			continue
		}
		if o.Type() == history.OK {
			acks = append(acks, o.End())
		} else {
			misses = append(misses, o.Start())
		}
	}
	sortInt64(acks)
	sortInt64(misses)
	var longest int64
	from := int64(-1) // start of the current span: the last ack (or the first miss)
	if len(misses) > 0 && (len(acks) == 0 || misses[0] < acks[0]) {
		from = misses[0]
	}
	mi := 0
	for _, a := range append(acks, end) {
		missed := false
		for mi < len(misses) && misses[mi] <= a {
			if misses[mi] >= from {
				missed = true
			}
			mi++
		}
		if missed && from >= 0 {
			longest = max(longest, a-from)
		}
		from = a
	}
	return longest
}

// Latencies returns the raw samples behind the latency percentiles, in ms:
// send (invoke to ack of acknowledged sends, in history order) and
// end-to-end (send invoke to first delivery, by message id). Reports use
// them for distributions and confidence intervals.
func Latencies(ops []history.Op) (send, endToEnd []float64, err error) {
	ms, err := indexMessages(ops)
	if err != nil {
		return nil, nil, err
	}
	send, endToEnd = latencies(ms)
	return send, endToEnd, nil
}

func latencies(ms *messages) (send, e2e []float64) {
	for _, o := range ms.ops {
		if o.Op().F == history.FSend && o.Invoke != nil && o.Type() == history.OK {
			send = append(send, float64(o.End()-o.Start())/float64(time.Millisecond))
		}
	}
	for _, id := range ms.ids {
		m := ms.byID[id]
		s, ok := m.firstOK()
		if !ok || s.Op().DelayLevel > 0 || s.Op().TxnID != "" || len(m.receives) == 0 {
			continue
		}
		first := m.receives[0].Time
		for _, r := range m.receives {
			first = min(first, r.Time)
		}
		e2e = append(e2e, float64(first-s.Start())/float64(time.Millisecond))
	}
	return send, e2e
}
