package check

import (
	"testing"
	"time"
)

var txnOpt = TxnOptions{CheckWithin: 10 * time.Second, MaxChecks: 2}

func TestTransactionsGood(t *testing.T) {
	r := Transactions(load(t, "txn_good.jsonl"), txnOpt)
	wantVerdict(t, r, Pass)
	want := map[string]int64{"transactions": 4, "committed": 2, "rolled_back": 1, "undecided": 1, "checks": 4}
	for k, v := range want {
		if r.Counts[k] != v {
			t.Errorf("%s = %d, want %d", k, r.Counts[k], v)
		}
	}
}

func TestTransactionsBad(t *testing.T) {
	cases := []struct {
		file, kind string
		ops        []int64
	}{
		{"txn_committed_lost.jsonl", "committed_lost", []int64{5}},
		{"txn_duplicate.jsonl", "committed_duplicate", []int64{3, 4}},
		{"txn_before_commit.jsonl", "delivered_before_commit", []int64{2, 3}},
		{"txn_rolled_back_delivered.jsonl", "rolled_back_delivered", []int64{2, 3}},
		{"txn_undecided_delivered.jsonl", "undecided_delivered", []int64{2}},
		{"txn_check_missing.jsonl", "check_missing", []int64{0}},
		{"txn_check_late.jsonl", "check_late", []int64{0, 2}},
		{"txn_too_many_checks.jsonl", "too_many_checks", []int64{4}},
		{"txn_conflict.jsonl", "conflicting_decision", []int64{2, 3}},
		{"txn_failed_half_delivered.jsonl", "failed_half_delivered", []int64{0, 2}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			r := Transactions(load(t, c.file), txnOpt)
			wantVerdict(t, r, Fail)
			wantAnomaly(t, r, c.kind, c.ops...)
		})
	}
}

func TestTransactionsOptions(t *testing.T) {
	opt := txnOpt
	opt.AllowDuplicates = true
	wantVerdict(t, Transactions(load(t, "txn_duplicate.jsonl"), opt), Pass)
	// Without a check-back bound, lateness is not judged.
	wantVerdict(t, Transactions(load(t, "txn_check_late.jsonl"), TxnOptions{}), Pass)
	// A group named but silent loses every committed message.
	opt = txnOpt
	opt.Groups = []string{"G", "Z"}
	r := Transactions(load(t, "txn_duplicate.jsonl"), opt)
	wantAnomaly(t, r, "committed_lost", 2)
}
