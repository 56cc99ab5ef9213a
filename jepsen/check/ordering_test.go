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

func TestOrderingBad(t *testing.T) {
	cases := []struct {
		file, kind string
		ops        []int64
	}{
		{"ord_fifo_reorder.jsonl", "fifo_reorder", []int64{1, 2}},
		{"ord_key_reorder.jsonl", "key_reorder", []int64{7, 8}},
		{"ord_key_gap.jsonl", "key_gap", []int64{2, 7}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r := Ordering(load(t, c.file), OrderingOptions{OrderlyGroups: []string{"O"}})
			wantVerdict(t, r, Fail)
			wantAnomaly(t, r, c.kind, c.ops...)
		})
	}
}

func TestOrderingGroupFilters(t *testing.T) {
	// A concurrent group left out of FIFOGroups is not judged on queue order,
	// and a group not named orderly is not judged on key order.
	wantVerdict(t, Ordering(load(t, "ord_fifo_reorder.jsonl"), OrderingOptions{FIFOGroups: []string{"other"}}), Pass)
	wantVerdict(t, Ordering(load(t, "ord_key_reorder.jsonl"), OrderingOptions{FIFOGroups: []string{}}), Pass)
}
