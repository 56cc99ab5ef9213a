package simrt

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// TestQueueAgainstSortedModel drives the hand-rolled heap with random
// pushes, pops, removals and re-keying, and checks every pop against a
// sorted reference.
func TestQueueAgainstSortedModel(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var q queue
	var model []*event
	seq := uint64(0)
	cmp := func(a, b *event) int {
		switch {
		case a.before(b):
			return -1
		case b.before(a):
			return 1
		}
		return 0
	}
	for step := range 20000 {
		switch op := r.IntN(10); {
		case op < 5:
			seq++
			e := &event{at: time.Duration(r.IntN(50)), tie: uint64(r.IntN(3)), seq: seq}
			q.push(e)
			model = append(model, e)
		case op < 8 && len(model) > 0:
			slices.SortFunc(model, cmp)
			got := q.pop()
			if got != model[0] {
				t.Fatalf("step %d: pop gave (%v,%d,%d), want (%v,%d,%d)", step, got.at, got.tie, got.seq, model[0].at, model[0].tie, model[0].seq)
			}
			if got.idx != -1 {
				t.Fatal("popped event keeps a heap index")
			}
			model = model[1:]
		case op < 9 && len(model) > 0:
			i := r.IntN(len(model))
			q.remove(model[i])
			model = slices.Delete(model, i, i+1)
		case len(model) > 0:
			// Re-key some events in place, as a drift change does.
			for _, e := range model {
				if r.IntN(4) == 0 {
					e.at = time.Duration(r.IntN(50))
				}
			}
			q.init()
		}
		if q.len() != len(model) {
			t.Fatalf("step %d: heap holds %d, model %d", step, q.len(), len(model))
		}
		for i, e := range q.h {
			if int(e.idx) != i {
				t.Fatalf("step %d: event at %d records index %d", step, i, e.idx)
			}
		}
	}
	q.filter(func(e *event) bool { return e.seq%2 == 0 })
	slices.SortFunc(model, cmp)
	for _, want := range model {
		if want.seq%2 != 0 {
			continue
		}
		if got := q.pop(); got != want {
			t.Fatal("filter broke the heap order")
		}
	}
	if q.len() != 0 {
		t.Fatal("filter kept events it should drop")
	}
}
