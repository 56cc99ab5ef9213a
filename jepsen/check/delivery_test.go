package check

import (
	"testing"
	"time"
)

func TestDeliveryGood(t *testing.T) {
	zero := 0.0
	r := Delivery(load(t, "del_good.jsonl"), DeliveryOptions{MaxDupRatio: &zero})
	wantVerdict(t, r, Pass)
	want := map[string]int64{"acknowledged": 3, "unknown_sent": 1, "lost": 0, "duplicates": 0, "unexpected": 0, "dead_lettered": 1, "delivered": 5, "deliveries": 6}
	for k, v := range want {
		if r.Counts[k] != v {
			t.Errorf("%s = %d, want %d (counts %v)", k, r.Counts[k], v, r.Counts)
		}
	}
}

func TestDeliveryDuplicatesReportedNotJudgedByDefault(t *testing.T) {
	r := Delivery(load(t, "del_duplicate.jsonl"), DeliveryOptions{})
	wantVerdict(t, r, Pass)
	if r.Figures["dup_ratio"] != 0.5 {
		t.Fatalf("dup_ratio %v", r.Figures["dup_ratio"])
	}
}

func TestDeliverySettle(t *testing.T) {
	// b is acknowledged at 56, the history ends at 60: lost without settle
	// time, pending with it.
	wantVerdict(t, Delivery(load(t, "del_pending.jsonl"), DeliveryOptions{}), Fail)
	r := Delivery(load(t, "del_pending.jsonl"), DeliveryOptions{Settle: 10 * time.Nanosecond})
	wantVerdict(t, r, Pass)
	if r.Counts["pending"] != 1 {
		t.Fatalf("counts %v", r.Counts)
	}
	// Loss can be reported without being judged.
	wantVerdict(t, Delivery(load(t, "del_lost.jsonl"), DeliveryOptions{MaxLost: -1}), Pass)
}

func TestDeliveryBroadcast(t *testing.T) {
	opt := DeliveryOptions{BroadcastGroups: []string{"B"}}
	r := Delivery(load(t, "del_broadcast_good.jsonl"), opt)
	wantVerdict(t, r, Pass)
	if r.Counts["delivered"] != 4 {
		t.Fatalf("counts %v", r.Counts)
	}
	// Instance c2 never got b: lost for c2, though the group as a whole
	// (clustering) received everything.
	r = Delivery(load(t, "del_broadcast_lost.jsonl"), opt)
	wantVerdict(t, r, Fail)
	wantAnomaly(t, r, "lost", 2)
	if r.Counts["lost:B@c2"] != 1 {
		t.Fatalf("counts %v", r.Counts)
	}
	wantVerdict(t, Delivery(load(t, "del_broadcast_lost.jsonl"), DeliveryOptions{}), Pass)
}

func TestDeliveryTagSubscriptions(t *testing.T) {
	ops := load(t, "del_tags.jsonl")
	// Without a subscription, G is taken to want all of T: b is lost.
	r := Delivery(ops, DeliveryOptions{})
	wantAnomaly(t, r, "lost", 2)
	for _, sub := range []string{"T:A||C", "T:A || C", "T:sql a > 1"} {
		wantVerdict(t, Delivery(ops, DeliveryOptions{Subscriptions: map[string][]string{"G": {sub}}}), Pass)
	}
	for _, sub := range []string{"T", "T:*", "T:A||B||C"} {
		r := Delivery(ops, DeliveryOptions{Subscriptions: map[string][]string{"G": {sub}}})
		wantVerdict(t, r, Fail)
		wantAnomaly(t, r, "lost", 2)
	}
}

func TestDeliveryFilterViolation(t *testing.T) {
	// G subscribes to tag A only, yet received c (tag C).
	r := Delivery(load(t, "del_tags.jsonl"), DeliveryOptions{Subscriptions: map[string][]string{"G": {"T:A"}}})
	wantVerdict(t, r, Fail)
	wantAnomaly(t, r, "unexpected_filtered", 7)
	r = Delivery(load(t, "del_tags.jsonl"), DeliveryOptions{Subscriptions: map[string][]string{"G": {"Other"}}})
	wantAnomaly(t, r, "unexpected_filtered", 6)
}
