package check

import (
	"math"
	"testing"
	"time"

	"rocketsim/jepsen/history"
)

// statsHistory: window 0 has sends of 1, 2, 3, 4 ms latency (all ok);
// window 1 has one ok (5 ms) and one failure and one timeout.
func statsHistory() []history.Op {
	r := history.NewRecorder()
	ms := int64(time.Millisecond)
	send := func(key string, at, lat int64, t history.Type) {
		i := r.Invoke(history.Op{Process: "p" + key, F: history.FSend, Topic: "T", Key: key, Time: at})
		r.Complete(i, t, at+lat, nil)
	}
	send("a", 0, 1*ms, history.OK)
	send("b", 100*ms, 2*ms, history.OK)
	send("c", 200*ms, 3*ms, history.OK)
	send("d", 300*ms, 4*ms, history.OK)
	send("e", 1000*ms, 5*ms, history.OK)
	send("f", 1100*ms, 5*ms, history.Fail)
	send("g", 1200*ms, 5*ms, history.Info)
	r.Add(history.Op{Process: "c", Type: history.OK, F: history.FReceive, Topic: "T", Key: "a", Group: "G", Time: 10 * ms})
	r.Add(history.Op{Process: "c", Type: history.OK, F: history.FReceive, Topic: "T", Key: "b", Group: "G", Time: 130 * ms})
	return r.Ops()
}

func TestAvailabilityWindows(t *testing.T) {
	ws, err := Availability(statsHistory(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(ws) != 2 || ws[0].Sends != 4 || ws[0].Availability != 1 || ws[1].Sends != 3 || ws[1].OK != 1 || ws[1].Fail != 1 || ws[1].Info != 1 {
		t.Fatalf("windows %+v", ws)
	}
	if ws[1].Start != int64(time.Second) {
		t.Fatalf("window start %d", ws[1].Start)
	}
}

func TestStats(t *testing.T) {
	r := Stats(statsHistory(), StatsOptions{})
	wantVerdict(t, r, Pass)
	if r.Counts["sends"] != 7 || r.Counts["sends_ok"] != 5 {
		t.Fatalf("counts %v", r.Counts)
	}
	near := func(name string, want float64) {
		t.Helper()
		if math.Abs(r.Figures[name]-want) > 1e-9 {
			t.Errorf("%s = %v, want %v", name, r.Figures[name], want)
		}
	}
	near("availability", 5.0/7)
	near("availability_worst_window", 1.0/3)
	near("send_latency_ms_p50", 3)
	near("send_latency_ms_max", 5)
	near("e2e_latency_ms_max", 30)
	near("e2e_latency_ms_p50", 10)
	// Bounds turn measurements into verdicts.
	wantVerdict(t, Stats(statsHistory(), StatsOptions{MinAvailability: 0.9}), Fail)
	wantVerdict(t, Stats(statsHistory(), StatsOptions{MinWindowAvailability: 0.5}), Fail)
	wantVerdict(t, Stats(statsHistory(), StatsOptions{MinAvailability: 0.7, MinWindowAvailability: 0.3}), Pass)
}

func TestLongestOutage(t *testing.T) {
	ms := int64(time.Millisecond)
	r := history.NewRecorder()
	send := func(key string, at int64, typ history.Type) {
		i := r.Invoke(history.Op{Process: "p", F: history.FSend, Topic: "T", Key: key, Time: at * ms})
		r.Complete(i, typ, (at+1)*ms, nil)
	}
	send("a", 0, history.OK)     // ack at 1
	send("b", 10, history.Fail)  // outage begins
	send("c", 20, history.Info)  //
	send("d", 50, history.OK)    // ack at 51: outage 1..51 = 50 ms
	send("e", 200, history.OK)   // idle gap 51..201: no attempt, no outage
	send("f", 210, history.Fail) // tail outage from 201 to the end (211)
	got := longestOutage(mustPair(t, r.Ops()))
	if got != 50*ms {
		t.Fatalf("longest outage %v, want 50ms", time.Duration(got))
	}
	res := Stats(r.Ops(), StatsOptions{})
	if res.Figures["longest_outage_ms"] != 50 {
		t.Fatalf("figures %v", res.Figures)
	}
}

func mustPair(t *testing.T, ops []history.Op) []history.Operation {
	t.Helper()
	p, err := history.Pair(ops)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLatencySamples(t *testing.T) {
	send, e2e, err := Latencies(statsHistory())
	if err != nil {
		t.Fatal(err)
	}
	if len(send) != 5 || send[0] != 1 || send[4] != 5 || len(e2e) != 2 || e2e[0] != 10 || e2e[1] != 30 {
		t.Fatalf("send %v e2e %v", send, e2e)
	}
}

func TestSummarize(t *testing.T) {
	var xs []float64
	for i := 100; i >= 1; i-- {
		xs = append(xs, float64(i))
	}
	p := Summarize(xs)
	if p.N != 100 || p.P50 != 50 || p.P90 != 90 || p.P99 != 99 || p.Max != 100 || xs[0] != 100 {
		t.Fatalf("%+v (input reordered: %v)", p, xs[0] != 100)
	}
	if Summarize(nil).N != 0 {
		t.Fatal("empty sample")
	}
}
