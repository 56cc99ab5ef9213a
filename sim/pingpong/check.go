package pingpong

import (
	"fmt"
	"slices"
	"time"
)

// Timed is an Event with the true (simulated) time at which it happened.
// Checkers use true time only to place events relative to the harness's own
// actions (the final heal); the clients' clocks may be skewed.
type Timed struct {
	At time.Duration
	Event
}

// Result is the judgement of one run.
type Result struct {
	Sent, Acked, Failed, Unknown int
	// Durable counts the distinct records in the server's log after the
	// final recovery.
	Durable int
	// Lost are acknowledged requests missing from the durable log.
	Lost []Record
	// Unexpected are durable records no client sent, or whose send the
	// server reported as definitely failed.
	Unexpected []Record
	// AcksAfterHeal counts, per client, the acknowledgements at or after the
	// final heal: the liveness measure.
	AcksAfterHeal map[string]int
}

// Check compares the clients' history with the server's durable log.
// clients lists every client node, so a client that never got an answer
// after the heal is counted with zero.
func Check(history []Timed, durable []Record, healAt time.Duration, clients []string) Result {
	res := Result{AcksAfterHeal: map[string]int{}}
	for _, c := range clients {
		res.AcksAfterHeal[c] = 0
	}
	final := map[Record]Outcome{}
	for _, e := range history {
		r := Record{Session: e.Session, Seq: e.Seq}
		switch e.Outcome {
		case Invoked:
			res.Sent++
			final[r] = Invoked
			continue
		case OK:
			res.Acked++
			if e.At >= healAt {
				res.AcksAfterHeal[e.Client]++
			}
		case Failed:
			res.Failed++
		case Unknown:
			res.Unknown++
		}
		if prev, ok := final[r]; !ok || prev != Invoked {
			panic(fmt.Sprintf("pingpong: history completes %v (%s) without a pending invoke", r, e.Outcome))
		}
		final[r] = e.Outcome
	}
	inLog := map[Record]bool{}
	for _, r := range durable {
		if inLog[r] {
			continue
		}
		inLog[r] = true
		res.Durable++
		if o, ok := final[r]; !ok || o == Failed {
			res.Unexpected = append(res.Unexpected, r)
		}
	}
	for r, o := range final {
		if o == OK && !inLog[r] {
			res.Lost = append(res.Lost, r)
		}
	}
	slices.SortFunc(res.Lost, compareRecords)
	slices.SortFunc(res.Unexpected, compareRecords)
	return res
}

func compareRecords(a, b Record) int {
	if a.Session != b.Session {
		if a.Session < b.Session {
			return -1
		}
		return 1
	}
	if a.Seq < b.Seq {
		return -1
	}
	if a.Seq > b.Seq {
		return 1
	}
	return 0
}

// Metrics returns the measured figures by checker and metric name, the
// shape scenario expectations are written against.
func (r Result) Metrics() map[string]map[string]float64 {
	minAfter := -1
	for _, n := range r.AcksAfterHeal {
		if minAfter < 0 || n < minAfter {
			minAfter = n
		}
	}
	if minAfter < 0 {
		minAfter = 0
	}
	return map[string]map[string]float64{
		"durability": {"lost": float64(len(r.Lost)), "acked": float64(r.Acked), "durable": float64(r.Durable)},
		"integrity":  {"unexpected": float64(len(r.Unexpected))},
		"liveness":   {"acks-after-heal": float64(minAfter)},
	}
}
