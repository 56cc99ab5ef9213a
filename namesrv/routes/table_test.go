package routes

import (
	"reflect"
	"testing"
	"time"
)

func reg(cluster, name string, id int64, addr string, conn uint64, now time.Duration, topics ...string) Registration {
	r := Registration{Cluster: cluster, BrokerName: name, BrokerID: id, BrokerAddr: addr, HAServerAddr: addr + "-ha",
		ConnID: conn, Now: now, DataVersion: DataVersion{Timestamp: 1, Counter: int64(len(topics))}}
	if topics != nil {
		r.Topics = map[string]TopicConfig{}
		for _, tp := range topics {
			r.Topics[tp] = TopicConfig{TopicName: tp, ReadQueueNums: 4, WriteQueueNums: 4, Perm: PermRead | PermWrite}
		}
	}
	return r
}

func TestRegisterAndRoute(t *testing.T) {
	tb := New()
	tb.Register(reg("c1", "a", 0, "10.0.0.1:10911", 1, 0, "T", "U"))
	tb.Register(reg("c1", "b", 0, "10.0.0.2:10911", 2, 0, "T"))
	res := tb.Register(reg("c1", "a", 1, "10.0.0.3:10911", 3, 0, "T", "SLAVE_ONLY"))
	if res.MasterAddr != "10.0.0.1:10911" || res.HAServerAddr != "10.0.0.1:10911-ha" {
		t.Fatalf("slave registration result %+v", res)
	}
	r, ok := tb.Route("T")
	if !ok {
		t.Fatal("no route for T")
	}
	want := TopicRoute{
		QueueDatas: []QueueData{{BrokerName: "a", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}, {BrokerName: "b", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6}},
		BrokerDatas: []BrokerData{
			{Cluster: "c1", BrokerName: "a", Addrs: map[int64]string{0: "10.0.0.1:10911", 1: "10.0.0.3:10911"}},
			{Cluster: "c1", BrokerName: "b", Addrs: map[int64]string{0: "10.0.0.2:10911"}},
		},
		FilterServerTable: map[string][]string{},
	}
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("route\n got %+v\nwant %+v", r, want)
	}
	if _, ok := tb.Route("SLAVE_ONLY"); ok {
		t.Fatal("a slave's topic table must not create queue data")
	}
	if _, ok := tb.Route("nope"); ok {
		t.Fatal("route for unknown topic")
	}
	if got := tb.Topics(); !reflect.DeepEqual(got, []string{"T", "U"}) {
		t.Fatalf("topics %v", got)
	}
}

func TestUnchangedDataVersionSkipsTopicTable(t *testing.T) {
	tb := New()
	r := reg("c", "a", 0, "x:1", 1, 0, "T")
	tb.Register(r)
	r.Topics["T"] = TopicConfig{TopicName: "T", ReadQueueNums: 9, WriteQueueNums: 9, Perm: 6}
	tb.Register(r) // same data version: ignored
	if rt, _ := tb.Route("T"); rt.QueueDatas[0].ReadQueueNums != 4 {
		t.Fatalf("table re-read despite unchanged version: %+v", rt.QueueDatas)
	}
	r.DataVersion.Counter++
	tb.Register(r)
	if rt, _ := tb.Route("T"); rt.QueueDatas[0].ReadQueueNums != 9 {
		t.Fatalf("new version not applied: %+v", rt.QueueDatas)
	}
	if !tb.TopicConfigChanged("x:1", DataVersion{}) || tb.TopicConfigChanged("x:1", r.DataVersion) {
		t.Fatal("TopicConfigChanged")
	}
}

func TestSlavePromotionMovesAddress(t *testing.T) {
	tb := New()
	tb.Register(reg("c", "a", 0, "m:1", 1, 0, "T"))
	tb.Register(reg("c", "a", 1, "s:1", 2, 0))
	tb.Unregister("m:1")
	tb.Register(reg("c", "a", 0, "s:1", 2, 0, "T"))
	ci := tb.ClusterInfo()
	if !reflect.DeepEqual(ci.Brokers[0].Addrs, map[int64]string{0: "s:1"}) {
		t.Fatalf("addrs %v", ci.Brokers[0].Addrs)
	}
}

func TestUnregisterLastAddressDropsTopicsAndCluster(t *testing.T) {
	tb := New()
	tb.Register(reg("c", "a", 0, "m:1", 1, 0, "T"))
	tb.Register(reg("c", "b", 0, "n:1", 2, 0, "T", "V"))
	tb.Unregister("n:1")
	if got := tb.Topics(); !reflect.DeepEqual(got, []string{"T"}) {
		t.Fatalf("topics %v", got)
	}
	tb.Unregister("m:1")
	if len(tb.Topics()) != 0 || len(tb.ClusterInfo().Clusters) != 0 || len(tb.LiveBrokers()) != 0 {
		t.Fatalf("left over: %v %v", tb.Topics(), tb.ClusterInfo())
	}
}

func TestExpireAndConnClosed(t *testing.T) {
	tb := New()
	tb.Register(reg("c", "a", 0, "m:1", 1, 0, "T"))
	tb.Register(reg("c", "b", 0, "n:1", 2, 50*time.Second, "T"))
	tb.Register(reg("c", "a", 1, "s:1", 3, 0))
	timeout := 120 * time.Second
	if gone := tb.Expire(120*time.Second, timeout); len(gone) != 0 {
		t.Fatalf("expired at the boundary: %v", gone)
	}
	tb.Touch("s:1", 100*time.Second)
	gone := tb.Expire(121*time.Second, timeout)
	if len(gone) != 1 || gone[0].Addr != "m:1" || gone[0].ConnID != 1 {
		t.Fatalf("gone %+v", gone)
	}
	// The slave keeps broker name a alive, so T still lists a.
	if r, _ := tb.Route("T"); len(r.QueueDatas) != 2 {
		t.Fatalf("route %+v", r)
	}
	if got := tb.ConnClosed(2); !reflect.DeepEqual(got, []string{"n:1"}) {
		t.Fatalf("conn closed dropped %v", got)
	}
	if got := tb.ConnClosed(99); got != nil {
		t.Fatalf("unknown conn dropped %v", got)
	}
	if got := tb.LiveBrokers(); !reflect.DeepEqual(got, []string{"s:1"}) {
		t.Fatalf("live %v", got)
	}
}

func TestPermsDeleteAndQueries(t *testing.T) {
	tb := New()
	tb.Register(reg("c1", "a", 0, "m:1", 1, 0, "T", "U"))
	tb.Register(reg("c2", "b", 0, "n:1", 2, 0, "T", "W"))
	if n := tb.WipeWritePerm("a"); n != 2 {
		t.Fatalf("wiped %d", n)
	}
	r, _ := tb.Route("T")
	if r.QueueDatas[0].Perm != PermRead || r.QueueDatas[1].Perm != PermRead|PermWrite {
		t.Fatalf("perms %+v", r.QueueDatas)
	}
	if n := tb.AddWritePerm("a"); n != 2 {
		t.Fatalf("added %d", n)
	}
	if r, _ := tb.Route("U"); r.QueueDatas[0].Perm != 6 {
		t.Fatal("write perm not restored")
	}
	if got := tb.TopicsByCluster("c2"); !reflect.DeepEqual(got, []string{"T", "W"}) {
		t.Fatalf("by cluster %v", got)
	}
	if got, addr := tb.SystemTopics(); !reflect.DeepEqual(got, []string{"a", "b", "c1", "c2"}) || addr != "m:1" {
		t.Fatalf("system topics %v %s", got, addr)
	}
	tb.DeleteTopic("T", "c1")
	if r, _ := tb.Route("T"); len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "b" {
		t.Fatalf("after cluster delete %+v", r)
	}
	tb.DeleteTopic("T", "")
	if _, ok := tb.Route("T"); ok {
		t.Fatal("T survived delete")
	}
}

func TestFilterServers(t *testing.T) {
	tb := New()
	r := reg("c", "a", 0, "m:1", 1, 0, "T")
	r.FilterServers = []string{"f:1"}
	tb.Register(r)
	rt, _ := tb.Route("T")
	if !reflect.DeepEqual(rt.FilterServerTable, map[string][]string{"m:1": {"f:1"}}) {
		t.Fatalf("filters %v", rt.FilterServerTable)
	}
	r.FilterServers = nil // absent: keep
	tb.Register(r)
	if rt, _ := tb.Route("T"); len(rt.FilterServerTable) != 1 {
		t.Fatal("absent list cleared filters")
	}
	r.FilterServers = []string{} // empty: clear
	tb.Register(r)
	if rt, _ := tb.Route("T"); len(rt.FilterServerTable) != 0 {
		t.Fatal("empty list kept filters")
	}
}

func TestRenamedBrokerLeavesNoStaleGroup(t *testing.T) {
	tb := New()
	tb.Register(reg("c", "old", 0, "m:1", 1, 0, "T"))
	tb.Register(reg("c", "new", 0, "m:1", 2, 0, "T"))
	ci := tb.ClusterInfo()
	if len(ci.Brokers) != 1 || ci.Brokers[0].BrokerName != "new" || !reflect.DeepEqual(ci.Clusters["c"], []string{"new"}) {
		t.Fatalf("cluster info %+v", ci)
	}
	if r, _ := tb.Route("T"); len(r.QueueDatas) != 1 || r.QueueDatas[0].BrokerName != "new" {
		t.Fatalf("route %+v", r)
	}
}

func TestUnregisterTakesTheAddressAsTruth(t *testing.T) {
	tb := New()
	tb.Register(reg("c", "a", 0, "m:1", 1, 0, "T"))
	tb.Register(reg("c", "a", 1, "s:1", 2, 0))
	tb.Unregister("s:1") // whatever name/id the request carried
	ci := tb.ClusterInfo()
	if !reflect.DeepEqual(ci.Brokers[0].Addrs, map[int64]string{0: "m:1"}) || !reflect.DeepEqual(tb.LiveBrokers(), []string{"m:1"}) {
		t.Fatalf("after unregister: %+v live %v", ci.Brokers, tb.LiveBrokers())
	}
}
