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
