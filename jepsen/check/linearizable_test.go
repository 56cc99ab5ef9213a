package check

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"rocketsim/jepsen/history"
)

func TestLinearizableGood(t *testing.T) {
	r := Linearizable(load(t, "lin_good.jsonl"), LinearizableOptions{})
	wantVerdict(t, r, Pass)
	if r.Counts["queues_ok"] != 1 || r.Counts["writes"] != 2 || r.Counts["writes_inferred"] != 2 || r.Counts["reads"] != 6 {
		t.Fatalf("counts %v", r.Counts)
	}
	// Client time with a clock-error bound judges the same history alike.
	wantVerdict(t, Linearizable(load(t, "lin_good.jsonl"), LinearizableOptions{UseClientTime: true, ClockError: 1}), Pass)
}

func TestLinearizableVisualizesFailingQueue(t *testing.T) {
	dir := t.TempDir()
	r := Linearizable(load(t, "lin_lost_write.jsonl"), LinearizableOptions{VisualizeDir: dir})
	wantVerdict(t, r, Fail)
	path := filepath.Join(dir, "linearizability-T_b_0.html")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no visualisation: %v (anomalies %+v)", err, r.Anomalies)
	}
	if !strings.Contains(string(b), "<html") || !strings.Contains(r.Anomalies[0].Explanation, path) {
		t.Fatalf("visualisation not HTML or not named in %q", r.Anomalies[0].Explanation)
	}
}

// hardHistory writes a at offset 0, then n long reads that find it overlap a
// pull that finds nothing at offset 0, which no order allows. A proof needs
// every subset of the reads (each linearized before the pull or not): 2^n
// search states, far beyond any timeout.
func hardHistory(n int) []history.Op {
	r := history.NewRecorder()
	q := &history.Queue{Broker: "b"}
	w := r.Invoke(history.Op{Process: "p", F: history.FSend, Topic: "T", Queue: q, Key: "a", Time: 1})
	r.Complete(w, history.OK, 2, func(o *history.Op) { o.Offset = history.Int64(0) })
	var reads []int64
	for i := 0; i < n; i++ {
		reads = append(reads, r.Invoke(history.Op{Process: fmt.Sprintf("c%d", i), F: history.FReceive, Group: "G", Topic: "T", Queue: q, Key: "a", Offset: history.Int64(0), Time: 3}))
	}
	p := r.Invoke(history.Op{Process: "c", F: history.FPull, Topic: "T", Queue: q, Offset: history.Int64(0), Time: 4})
	r.Complete(p, history.OK, 5, func(o *history.Op) { o.Status = history.PullNoNewMsg })
	for _, id := range reads {
		r.Complete(id, history.OK, 6, nil)
	}
	return r.Ops()
}

func TestLinearizableTimeoutIsUnknown(t *testing.T) {
	start := time.Now()
	r := Linearizable(hardHistory(64), LinearizableOptions{QueueTimeout: 200 * time.Millisecond})
	wantVerdict(t, r, Unknown)
	if r.Counts["queues_unknown"] != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("counts %v after %v", r.Counts, time.Since(start))
	}
}

// synthetic builds a valid history of about n events over queues queues:
// concurrent sends (offsets assigned in completion order, which is a valid
// linearization), receives of written offsets, pulls past the end, and some
// timed-out sends that later show up in reads.
func synthetic(n, queues int, seed uint64) []history.Op {
	rng := rand.New(rand.NewPCG(seed, 1))
	r := history.NewRecorder()
	const slots = 4
	type slot struct {
		open bool
		inv  int64
		key  string
	}
	type qstate struct {
		q       history.Queue
		next    int64
		written []string
		slots   [slots]slot
		pending []string // timed-out sends not yet stored
	}
	qs := make([]*qstate, queues)
	for i := range qs {
		qs[i] = &qstate{q: history.Queue{Broker: "b", ID: i}}
	}
	msg := 0
	for tm := int64(1); r.Len() < n; tm++ {
		s := qs[rng.IntN(queues)]
		q := &s.q
		proc := func(k int) string { return fmt.Sprintf("q%d-p%d", q.ID, k) }
		switch x := rng.IntN(10); {
		case x < 4: // start or finish a send
			k := rng.IntN(slots)
			sl := &s.slots[k]
			if !sl.open {
				msg++
				sl.key = fmt.Sprint("m", msg)
				sl.inv = r.Invoke(history.Op{Process: proc(k), F: history.FSend, Topic: "T", Queue: q, Key: sl.key, Time: tm})
				sl.open = true
				continue
			}
			sl.open = false
			if rng.IntN(50) == 0 {
				r.Complete(sl.inv, history.Info, tm, func(o *history.Op) { o.Error = "timeout" })
				s.pending = append(s.pending, sl.key)
				continue
			}
			off := s.next
			s.next++
			s.written = append(s.written, sl.key)
			r.Complete(sl.inv, history.OK, tm, func(o *history.Op) { o.Offset = history.Int64(off) })
		case x < 5 && len(s.pending) > 0: // a timed-out send lands
			s.written = append(s.written, s.pending[0])
			s.pending = s.pending[1:]
			s.next++
		case x < 9 && len(s.written) > 0:
			off := rng.IntN(len(s.written))
			r.Add(history.Op{Process: fmt.Sprintf("c%d", q.ID), Type: history.OK, F: history.FReceive, Topic: "T", Queue: q,
				Offset: history.Int64(int64(off)), Key: s.written[off], Group: "G", Time: tm})
		default:
			off := s.next + int64(rng.IntN(2))
			p := r.Invoke(history.Op{Process: fmt.Sprintf("c%d", q.ID), F: history.FPull, Topic: "T", Queue: q, Offset: history.Int64(off), Time: tm})
			r.Complete(p, history.OK, tm, func(o *history.Op) { o.Status = history.PullNoNewMsg })
		}
	}
	return r.Ops()
}

func TestLinearizableSynthetic(t *testing.T) {
	ops := synthetic(20000, 8, 7)
	r := Linearizable(ops, LinearizableOptions{QueueTimeout: 5 * time.Second})
	wantVerdict(t, r, Pass)
	// Break it: one read of an acknowledged offset now claims nothing is there.
	for i := range ops {
		if ops[i].F == history.FPull && ops[i].Type == history.OK && *ops[i].Offset >= 5 {
			*ops[i].Offset = 0
			break
		}
	}
	wantVerdict(t, Linearizable(ops, LinearizableOptions{QueueTimeout: 5 * time.Second}), Fail)
}

// BenchmarkLinearizable100k checks a 100,000-event history; the bound is
// under 2 s and 1 GiB per check.
func BenchmarkLinearizable100k(b *testing.B) {
	ops := synthetic(100000, 16, 1)
	b.ReportAllocs()
	b.ResetTimer()
	var peak uint64
	for i := 0; i < b.N; i++ {
		r := Linearizable(ops, LinearizableOptions{})
		if r.Verdict != Pass {
			b.Fatalf("verdict %s: %v", r.Verdict, r.Reasons)
		}
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if ms.HeapSys > peak {
			peak = ms.HeapSys
		}
	}
	b.ReportMetric(float64(len(ops)), "events/op")
	b.ReportMetric(float64(peak)/(1<<20), "heapMiB")
}

// Tightening intervals must change speed only: on small random histories,
// valid and broken, the verdict with and without it is the same.
func TestTightenKeepsVerdicts(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 42))
	verdicts := map[Verdict]int{}
	for i := 0; i < 300; i++ {
		ops := synthetic(40+rng.IntN(40), 1, uint64(i))
		// Break about half of them: move one offset somewhere else.
		if rng.IntN(2) == 0 {
			var withOffset []int
			for j := range ops {
				if ops[j].Offset != nil && ops[j].Type != history.Invoke {
					withOffset = append(withOffset, j)
				}
			}
			if len(withOffset) > 0 {
				j := withOffset[rng.IntN(len(withOffset))]
				ops[j].Offset = history.Int64(int64(rng.IntN(8)))
			}
		}
		a := Linearizable(ops, LinearizableOptions{})
		b := Linearizable(ops, LinearizableOptions{untightened: true})
		if a.Verdict != b.Verdict {
			var sb strings.Builder
			history.Write(&sb, ops)
			t.Fatalf("history %d: tightened %s, untightened %s\n%s", i, a.Verdict, b.Verdict, sb.String())
		}
		verdicts[a.Verdict]++
	}
	if verdicts[Pass] < 50 || verdicts[Fail] < 50 {
		t.Fatalf("the sample should hold both kinds: %v", verdicts)
	}
}

func TestLinearizableBudget(t *testing.T) {
	// Two hard queues, a budget for about one: the second is not searched.
	a := hardHistory(64)
	b := hardHistory(64)
	for i := range b {
		b[i].Queue = &history.Queue{Broker: "b", ID: 1}
		b[i].Process += "-q1"
		b[i].Time += 10
	}
	ops := history.Merge(a, b)
	start := time.Now()
	r := Linearizable(ops, LinearizableOptions{QueueTimeout: time.Second, Budget: 300 * time.Millisecond})
	wantVerdict(t, r, Unknown)
	if r.Counts["queues_unknown"] != 2 || time.Since(start) > 3*time.Second {
		t.Fatalf("counts %v after %v; reasons %v", r.Counts, time.Since(start), r.Reasons)
	}
}
