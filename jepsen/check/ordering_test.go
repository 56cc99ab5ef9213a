package check

import "testing"

func TestOrderingGood(t *testing.T) {
	r := Ordering(load(t, "ord_good.jsonl"), OrderingOptions{OrderlyGroups: []string{"O"}})
	wantVerdict(t, r, Pass)
	if r.Counts["redeliveries"] != 4 || r.Counts["keys"] != 1 {
		t.Fatalf("counts %v", r.Counts)
	}
	// A dead-lettered message is not a gap in its key's order.
	wantVerdict(t, Ordering(load(t, "ord_key_gap_dlq.jsonl"), OrderingOptions{OrderlyGroups: []string{"O"}}), Pass)
}
