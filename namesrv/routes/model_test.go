package routes

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// checkInvariants fails when the table is in a state no sequence of
// requests should reach.
func checkInvariants(t *testing.T, tb *Table, step int, op string) {
	t.Helper()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("after step %d (%s): %s", step, op, fmt.Sprintf(format, args...))
	}
	for topic, byBroker := range tb.topics {
		if len(byBroker) == 0 {
			fail("topic %s has an empty queue map", topic)
		}
		for name, qd := range byBroker {
			if tb.brokers[name] == nil {
				fail("topic %s lists broker %s that no longer exists", topic, name)
			}
			if qd.BrokerName != name {
				fail("queue data keyed %s names %s", name, qd.BrokerName)
			}
		}
	}
	seen := map[string]string{}
	for name, bd := range tb.brokers {
		if len(bd.Addrs) == 0 {
			fail("broker %s has no addresses", name)
		}
		for _, a := range bd.Addrs {
			if other, dup := seen[a]; dup {
				fail("address %s under both %s and %s", a, other, name)
			}
			seen[a] = name
			// Every routed address must be live, or nothing would ever
			// expire it.
			if _, ok := tb.live[a]; !ok {
				fail("address %s of %s is routed but not live", a, name)
			}
		}
		inSomeCluster := false
		for _, names := range tb.clusters {
			inSomeCluster = inSomeCluster || names[name]
		}
		if !inSomeCluster {
			fail("broker %s belongs to no cluster", name)
		}
	}
	for cluster, names := range tb.clusters {
		if len(names) == 0 {
			fail("cluster %s is empty", cluster)
		}
		for name := range names {
			if tb.brokers[name] == nil {
				fail("cluster %s lists missing broker %s", cluster, name)
			}
		}
	}
}

// snapshot renders everything observable, for comparing two tables.
func snapshot(tb *Table) string {
	s := fmt.Sprint(tb.Topics(), tb.LiveBrokers(), tb.ClusterInfo().Brokers)
	ci := tb.ClusterInfo()
	for _, c := range slices.Sorted(maps.Keys(ci.Clusters)) {
		s += fmt.Sprint(c, ci.Clusters[c])
	}
	for _, topic := range tb.Topics() {
		r, _ := tb.Route(topic)
		s += fmt.Sprintf("%s%+v", topic, r)
	}
	return s
}

// TestRandomOperationsKeepInvariants drives the table with random
// registrations (masters, slaves, promotions, address moves), unregisters
// (some mistaken), connection closes, expiries, deletes and permission
// changes, checking the invariants after each and that a second table fed
// the same operations ends identical.
func TestRandomOperationsKeepInvariants(t *testing.T) {
	for seed := uint64(1); seed <= 30; seed++ {
		rng := rand.New(rand.NewPCG(seed, 99))
		a, b := New(), New()
		now := time.Duration(0)
		clusters := []string{"c1", "c2"}
		names := []string{"a", "b", "c"}
		addrs := []string{"10.0.0.1:1", "10.0.0.2:1", "10.0.0.3:1", "10.0.0.4:1", "10.0.0.5:1"}
		topics := []string{"T", "U", "V", "W"}
		for step := 0; step < 400; step++ {
			now += time.Duration(rng.IntN(20)) * time.Second
			var op string
			var apply func(*Table)
			switch rng.IntN(8) {
			case 0, 1, 2:
				r := Registration{
					Cluster: clusters[rng.IntN(2)], BrokerName: names[rng.IntN(3)], BrokerAddr: addrs[rng.IntN(5)],
					BrokerID: int64(rng.IntN(3)), ConnID: uint64(rng.IntN(6)), Now: now,
					DataVersion: DataVersion{Counter: int64(rng.IntN(3))},
				}
				if rng.IntN(4) > 0 {
					r.Topics = map[string]TopicConfig{}
					for _, tp := range topics {
						if rng.IntN(2) == 0 {
							r.Topics[tp] = TopicConfig{TopicName: tp, ReadQueueNums: 1 + rng.IntN(8), WriteQueueNums: 4, Perm: 6}
						}
					}
				}
				if rng.IntN(3) == 0 {
					r.FilterServers = []string{"f:1"}
				}
				op = fmt.Sprintf("register %+v", r)
				apply = func(tb *Table) { tb.Register(r) }
			case 3:
				c, addr, name, id := clusters[rng.IntN(2)], addrs[rng.IntN(5)], names[rng.IntN(3)], int64(rng.IntN(3))
				op = fmt.Sprintf("unregister %s %s %s %d", c, addr, name, id)
				apply = func(tb *Table) { tb.Unregister(addr) }
			case 4:
				id := uint64(rng.IntN(6))
				op = fmt.Sprintf("conn %d closed", id)
				apply = func(tb *Table) { tb.ConnClosed(id) }
			case 5:
				op = fmt.Sprintf("expire at %v", now)
				apply = func(tb *Table) { tb.Expire(now, 120*time.Second) }
			case 6:
				tp, c := topics[rng.IntN(4)], []string{"", "c1", "c2"}[rng.IntN(3)]
				op = fmt.Sprintf("delete %s in %q", tp, c)
				apply = func(tb *Table) { tb.DeleteTopic(tp, c) }
			case 7:
				name := names[rng.IntN(3)]
				if rng.IntN(2) == 0 {
					op = "wipe " + name
					apply = func(tb *Table) { tb.WipeWritePerm(name) }
				} else {
					op = "add perm " + name
					apply = func(tb *Table) { tb.AddWritePerm(name) }
				}
			}
			apply(a)
			apply(b)
			checkInvariants(t, a, step, op)
		}
		if snapshot(a) != snapshot(b) {
			t.Fatalf("seed %d: two tables fed the same operations differ", seed)
		}
	}
}
