package topic

import (
	"errors"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

func testOptions() Options {
	c := config.Defaults()
	c.BrokerName = "broker-a"
	c.StorePathRootDir = "store"
	return OptionsFrom(&c)
}

func open(t *testing.T, fs runtime.FS, clock Clock, opts Options) *Table {
	t.Helper()
	tab, err := Open(fs, clock, opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func newFS() (*simdisk.Disk, runtime.FS) {
	d := simdisk.New(simdisk.Options{MetadataNeedsSyncDir: true}, rand.New(rand.NewPCG(3, 4)))
	return d, d.FS()
}

func TestSystemTopicsAtStart(t *testing.T) {
	_, fs := newFS()
	clock := &fakeClock{time.UnixMilli(1_700_000_000_000)}
	tab := open(t, fs, clock, testOptions())
	want := map[string]Config{
		"TBW102":                      {TopicName: "TBW102", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 7, TopicFilterType: SingleTag},
		"SCHEDULE_TOPIC_XXXX":         {TopicName: "SCHEDULE_TOPIC_XXXX", ReadQueueNums: 18, WriteQueueNums: 18, Perm: 6, TopicFilterType: SingleTag},
		"SELF_TEST_TOPIC":             {TopicName: "SELF_TEST_TOPIC", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		"OFFSET_MOVED_EVENT":          {TopicName: "OFFSET_MOVED_EVENT", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		"DefaultCluster":              {TopicName: "DefaultCluster", ReadQueueNums: 16, WriteQueueNums: 16, Perm: 7, TopicFilterType: SingleTag},
		"broker-a":                    {TopicName: "broker-a", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 7, TopicFilterType: SingleTag},
		"DefaultCluster_REPLY_TOPIC":  {TopicName: "DefaultCluster_REPLY_TOPIC", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		"RMQ_SYS_TRANS_HALF_TOPIC":    {TopicName: "RMQ_SYS_TRANS_HALF_TOPIC", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		"RMQ_SYS_TRANS_OP_HALF_TOPIC": {TopicName: "RMQ_SYS_TRANS_OP_HALF_TOPIC", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		"BenchmarkTest":               {TopicName: "BenchmarkTest", ReadQueueNums: 1024, WriteQueueNums: 1024, Perm: 6, TopicFilterType: SingleTag},
	}
	if tab.Len() != len(want) {
		t.Errorf("got topics %v", tab.Names())
	}
	for name, w := range want {
		if got, ok := tab.Get(name); !ok || got != w {
			t.Errorf("%s = %+v, want %+v", name, got, w)
		}
		if !tab.IsSystem(name) {
			t.Errorf("%s not a system topic", name)
		}
	}
	if tab.IsSystem("orders") || !tab.IsSystem("rmq_sys_x") || !tab.IsSystem(TransCheckMaxTimeTopic) {
		t.Error("IsSystem wrong")
	}
	if v := tab.Version(); v.Counter != 0 || v.Timestamp != 1_700_000_000_000 {
		t.Errorf("version %+v", v)
	}

	opts := testOptions()
	opts.AutoCreateTopicEnable, opts.ClusterTopicEnable, opts.BrokerTopicEnable = false, false, false
	opts.TraceTopicEnable, opts.TraceTopicName = true, "my_trace"
	_, fs2 := newFS()
	tab = open(t, fs2, clock, opts)
	if _, ok := tab.Get("TBW102"); ok {
		t.Error("TBW102 without autoCreateTopicEnable")
	}
	if c, _ := tab.Get("DefaultCluster"); c.Perm != PermInherit {
		t.Errorf("cluster topic perm %s", PermString(c.Perm))
	}
	if c, _ := tab.Get("broker-a"); c.Perm != PermInherit {
		t.Errorf("broker topic perm %s", PermString(c.Perm))
	}
	if _, ok := tab.Get("my_trace"); !ok {
		t.Error("trace topic missing")
	}
}

func TestAutoCreateFromDefaultTopic(t *testing.T) {
	_, fs := newFS()
	clock := &fakeClock{time.UnixMilli(1000)}
	tab := open(t, fs, clock, testOptions())
	clock.t = time.UnixMilli(2000)
	c, created, err := tab.CreateInSend("orders", "TBW102", 4, 0)
	if err != nil || !created {
		t.Fatalf("%v %v", created, err)
	}
	if c != (Config{TopicName: "orders", ReadQueueNums: 4, WriteQueueNums: 4, Perm: PermReadWrite, TopicFilterType: SingleTag}) {
		t.Fatalf("created %+v", c)
	}
	if v := tab.Version(); v.Counter != 1 || v.Timestamp != 2000 {
		t.Fatalf("version %+v", v)
	}
	// Existing: returned as is, no version bump.
	if again, created, err := tab.CreateInSend("orders", "TBW102", 99, 0); err != nil || created || again != c {
		t.Fatalf("second create: %+v %v %v", again, created, err)
	}
	// Queue count capped by the default topic's write queues.
	if c, _, _ := tab.CreateInSend("big", "TBW102", 100, 0); c.WriteQueueNums != 8 {
		t.Fatalf("big got %d queues", c.WriteQueueNums)
	}
	if c, _, _ := tab.CreateInSend("neg", "TBW102", -3, 0); c.WriteQueueNums != 0 {
		t.Fatalf("neg got %d queues", c.WriteQueueNums)
	}
	// Failures.
	if _, _, err := tab.CreateInSend("x", "nope", 4, 0); !errors.Is(err, ErrNoDefaultTopic) {
		t.Errorf("missing default: %v", err)
	}
	if _, _, err := tab.CreateInSend("y", "orders", 4, 0); !errors.Is(err, ErrNotInherited) {
		t.Errorf("not inherited: %v", err)
	}
	if _, _, err := tab.CreateInSend("bad topic", "TBW102", 4, 0); !errors.Is(err, ErrBadName) {
		t.Errorf("bad name: %v", err)
	}
	// The cluster topic inherits, so it can serve as a default topic.
	if c, created, err := tab.CreateInSend("viaCluster", "DefaultCluster", 2, 0); err != nil || !created || c.Perm != PermReadWrite {
		t.Errorf("via cluster: %+v %v %v", c, created, err)
	}

	// A broker restarted with autoCreateTopicEnable=false keeps TBW102 from
	// the file but refuses to create from it.
	opts := testOptions()
	opts.AutoCreateTopicEnable = false
	tab2 := open(t, fs, clock, opts)
	if _, ok := tab2.Get("TBW102"); !ok {
		t.Fatal("TBW102 lost from file")
	}
	if _, _, err := tab2.CreateInSend("z", "TBW102", 4, 0); !errors.Is(err, ErrAutoCreateDisabled) {
		t.Errorf("disabled: %v", err)
	}
}

func TestPersistAndReload(t *testing.T) {
	d, fs := newFS()
	clock := &fakeClock{time.UnixMilli(5000)}
	tab := open(t, fs, clock, testOptions())
	if err := tab.Update(Config{TopicName: "t1", ReadQueueNums: 2, WriteQueueNums: 3, Perm: PermRead, TopicFilterType: MultiTag, Order: true}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := tab.CreateInSendBack("%RETRY%g1", 1, PermReadWrite, 0); err != nil {
		t.Fatal(err)
	}
	_ = tab.Update(NewConfig("gone"))
	if ok, err := tab.Delete("gone"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := tab.Delete("nope"); ok {
		t.Fatal("deleted a missing topic")
	}
	before, _ := tab.Encode()
	// Power loss right after: everything was synced.
	d.PowerLoss()
	tab2 := open(t, d.FS(), clock, testOptions())
	after, _ := tab2.Encode()
	if string(before) != string(after) {
		t.Fatalf("reload differs\n%s\n%s", before, after)
	}
	if _, ok := tab2.Get("gone"); ok {
		t.Fatal("deleted topic came back")
	}
	// A deleted system topic comes back at the next start, as in RocketMQ.
	_, _ = tab2.Delete(SelfTestTopic)
	if _, ok := open(t, d.FS(), clock, testOptions()).Get(SelfTestTopic); !ok {
		t.Fatal("system topic not re-added")
	}
	if v := tab2.Version(); v.Counter != 5 {
		t.Fatalf("version %+v", v)
	}
}

func TestReadsRocketMQFile(t *testing.T) {
	_, fs := newFS()
	// As written by Apache RocketMQ 4.9 (fastjson, pretty).
	file := `{
	"dataVersion":{
		"counter":7,
		"timestamp":1655976032361
	},
	"topicConfigTable":{
		"TopicTest":{
			"order":false,
			"perm":6,
			"readQueueNums":4,
			"topicFilterType":"SINGLE_TAG",
			"topicName":"TopicTest",
			"topicSysFlag":0,
			"writeQueueNums":4
		},
		"TBW102":{
			"order":false,
			"perm":7,
			"readQueueNums":8,
			"topicFilterType":"SINGLE_TAG",
			"topicName":"TBW102",
			"topicSysFlag":0,
			"writeQueueNums":8,
			"attributes":{}
		}
	}
}`
	_ = fs.MkdirAll("store/config")
	f, _ := fs.Open("store/config/topics.json", runtime.ReadWrite|runtime.Create)
	_, _ = f.WriteAt([]byte(file), 0)
	_ = f.Close()
	tab := open(t, fs, &fakeClock{time.UnixMilli(1)}, testOptions())
	if c, ok := tab.Get("TopicTest"); !ok || c.ReadQueueNums != 4 || c.Perm != 6 {
		t.Fatalf("TopicTest %+v", c)
	}
	if v := tab.Version(); v != (DataVersion{Counter: 7, Timestamp: 1655976032361}) {
		t.Fatalf("version %+v", v)
	}
	compact, _ := tab.EncodeCompact()
	if !strings.Contains(string(compact), `"TopicTest":{"order":false,"perm":6,"readQueueNums":4,"topicFilterType":"SINGLE_TAG","topicName":"TopicTest","topicSysFlag":0,"writeQueueNums":4}`) ||
		!strings.HasPrefix(string(compact), `{"dataVersion":{"counter":7,"timestamp":1655976032361},"topicConfigTable":{`) {
		t.Fatalf("compact %s", compact)
	}
	v, snap := tab.Snapshot()
	snap["TopicTest"] = Config{}
	if c, _ := tab.Get("TopicTest"); c.ReadQueueNums != 4 || v.Counter != 7 || len(snap) != tab.Len() {
		t.Fatal("snapshot aliases the table")
	}
	out, _ := tab.Encode()
	if !strings.Contains(string(out), `"topicName": "TopicTest"`) || !strings.Contains(string(out), `"counter": 7`) {
		t.Fatalf("encoded %s", out)
	}
}

func TestCorruptFileIsAnError(t *testing.T) {
	_, fs := newFS()
	_ = fs.MkdirAll("store/config")
	f, _ := fs.Open("store/config/topics.json", runtime.ReadWrite|runtime.Create)
	_, _ = f.WriteAt([]byte(`{"topicConfigTable":{"a":{"topicName":"b"}}}`), 0)
	_ = f.Close()
	if _, err := Open(fs, &fakeClock{}, testOptions(), nil); err == nil {
		t.Fatal("corrupt table accepted")
	}
}

func TestUpdateValidates(t *testing.T) {
	_, fs := newFS()
	tab := open(t, fs, &fakeClock{}, testOptions())
	for _, c := range []Config{
		{TopicName: "", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		{TopicName: "a/b", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		{TopicName: strings.Repeat("a", 128), ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		{TopicName: "a", ReadQueueNums: 1025, WriteQueueNums: 1, Perm: 6, TopicFilterType: SingleTag},
		{TopicName: "a", ReadQueueNums: 1, WriteQueueNums: -1, Perm: 6, TopicFilterType: SingleTag},
		{TopicName: "a", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 16, TopicFilterType: SingleTag},
		{TopicName: "a", ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6, TopicFilterType: "X"},
	} {
		if err := tab.Update(c); err == nil {
			t.Errorf("%+v accepted", c)
		}
	}
	if tab.Version().Counter != 0 {
		t.Fatal("refused updates bumped the version")
	}
	if err := tab.Update(NewConfig("%RETRY%a|b-c_d")); err != nil {
		t.Fatal(err)
	}
}

func TestUpdateOrderTopics(t *testing.T) {
	_, fs := newFS()
	tab := open(t, fs, &fakeClock{}, testOptions())
	_ = tab.Update(NewConfig("a"))
	_ = tab.Update(NewConfig("b"))
	v := tab.Version().Counter
	changed, err := tab.UpdateOrderTopics([]string{"a", "missing"})
	if err != nil || !changed {
		t.Fatal(changed, err)
	}
	if a, _ := tab.Get("a"); !a.Order {
		t.Fatal("a not ordered")
	}
	if changed, _ := tab.UpdateOrderTopics([]string{"a"}); changed {
		t.Fatal("no-op reported a change")
	}
	if changed, _ := tab.UpdateOrderTopics(nil); !changed {
		t.Fatal("clearing reported no change")
	}
	if a, _ := tab.Get("a"); a.Order || tab.Version().Counter != v+2 {
		t.Fatal("order not cleared or versions wrong")
	}
}

func TestNamesAndPerm(t *testing.T) {
	if RetryTopic("g") != "%RETRY%g" || DLQTopic("g") != "%DLQ%g" || !IsRetryTopic("%RETRY%g") || IsRetryTopic("%RETRY%") || !IsDLQTopic("%DLQ%g") {
		t.Fatal("retry/DLQ names")
	}
	if !IsNotAllowedSend(ScheduleTopic) || IsNotAllowedSend("TopicTest") {
		t.Fatal("not-allowed-send")
	}
	if PermString(7) != "RWX" || PermString(4) != "R--" || PermString(0) != "---" {
		t.Fatal(PermString(7), PermString(4))
	}
	if !Readable(6) || Writable(4) || !Inherited(7) {
		t.Fatal("perm predicates")
	}
	got := []string{}
	for _, c := range []Config{NewConfig("b"), NewConfig("a")} {
		got = append(got, c.TopicName)
	}
	if !reflect.DeepEqual(got, []string{"b", "a"}) {
		t.Fatal(got)
	}
}

func TestSendAndAdminNameChecks(t *testing.T) {
	for name, want := range map[string]error{
		"orders":              nil,
		"%RETRY%g":            nil,
		"TBW102":              nil,
		SelfTestTopic:         ErrNotAllowedSend,
		OffsetMovedEventTopic: ErrNotAllowedSend,
		"SCHEDULE_TOPIC_XXXX": ErrNotAllowedSend,
		TransHalfTopic:        ErrNotAllowedSend,
		"a b":                 ErrBadName,
		"":                    ErrBadName,
	} {
		if err := ValidateSendTopic(name); !errors.Is(err, want) || (want == nil) != (err == nil) {
			t.Errorf("ValidateSendTopic(%q) = %v, want %v", name, err, want)
		}
	}
	_, fs := newFS()
	tab := open(t, fs, &fakeClock{}, testOptions())
	if err := tab.Update(NewConfig("DefaultCluster")); !errors.Is(err, ErrReserved) {
		t.Fatalf("cluster-named topic: %v", err)
	}
}
