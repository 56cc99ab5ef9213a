package subscription

import (
	"errors"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) Now() time.Time { return c.t }

const path = "store/config/subscriptionGroup.json"

func newDisk() *simdisk.Disk {
	return simdisk.New(simdisk.Options{MetadataNeedsSyncDir: true}, rand.New(rand.NewPCG(7, 8)))
}

func open(t *testing.T, fs runtime.FS, autoCreate bool) *Table {
	t.Helper()
	tab, err := Open(fs, &fakeClock{time.UnixMilli(42)}, Options{Path: path, AutoCreate: autoCreate}, nil)
	if err != nil {
		t.Fatal(err)
	}
	return tab
}

func TestDefaultsAndSystemGroups(t *testing.T) {
	tab := open(t, newDisk().FS(), true)
	if tab.Len() != 7 {
		t.Errorf("%d groups at start: %v", tab.Len(), tab.Names())
	}
	for _, g := range []string{"TOOLS_CONSUMER", "FILTERSRV_CONSUMER", "SELF_TEST_C_GROUP", "CID_ONS-HTTP-PROXY",
		"CID_ONSAPI_PULL", "CID_ONSAPI_PERMISSION", "CID_ONSAPI_OWNER"} {
		if _, ok := tab.Get(g); !ok {
			t.Errorf("system group %s missing", g)
		}
	}
	g := NewGroup("g")
	if !g.ConsumeEnable || !g.ConsumeBroadcastEnable || !g.ConsumeFromMinEnable || g.RetryQueueNums != 1 ||
		g.RetryMaxTimes != 16 || g.BrokerID != 0 || g.WhichBrokerWhenConsumeSlowly != 1 || !g.NotifyConsumerIdsChangedEnable {
		t.Fatalf("defaults %+v", g)
	}
	if tab.Version().Timestamp != 42 || tab.Version().Counter != 0 {
		t.Fatalf("version %+v", tab.Version())
	}
}

func TestFindAutoCreates(t *testing.T) {
	d := newDisk()
	tab := open(t, d.FS(), true)
	g, created, err := tab.Find("orders_consumer")
	if err != nil || !created || g != NewGroup("orders_consumer") {
		t.Fatalf("%+v %v %v", g, created, err)
	}
	if _, created, _ := tab.Find("orders_consumer"); created {
		t.Fatal("created twice")
	}
	if _, _, err := tab.Find("bad group"); !errors.Is(err, ErrBadName) {
		t.Fatalf("bad name: %v", err)
	}
	d.PowerLoss()
	tab2 := open(t, d.FS(), false)
	if _, ok := tab2.Get("orders_consumer"); !ok {
		t.Fatal("auto-created group not persisted")
	}
	if _, _, err := tab2.Find("other"); !errors.Is(err, ErrNoGroup) {
		t.Fatalf("without auto-create: %v", err)
	}
	if _, created, err := tab2.Find("CID_RMQ_SYS_X"); err != nil || !created {
		t.Fatalf("system group without auto-create: %v", err)
	}
}

func TestUpdateDeleteReload(t *testing.T) {
	d := newDisk()
	tab := open(t, d.FS(), true)
	g := NewGroup("g1")
	g.RetryMaxTimes, g.ConsumeBroadcastEnable, g.RetryQueueNums = 3, false, 2
	if err := tab.Update(g); err != nil {
		t.Fatal(err)
	}
	_ = tab.Update(NewGroup("g2"))
	if ok, err := tab.Delete("g2"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if ok, _ := tab.Delete("g2"); ok {
		t.Fatal("deleted twice")
	}
	for _, bad := range []Group{{GroupName: ""}, {GroupName: strings.Repeat("x", 256)}, {GroupName: "a", RetryQueueNums: -1}, {GroupName: "a", RetryMaxTimes: -1}, {GroupName: "a", BrokerID: -1}} {
		if err := tab.Update(bad); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
	before, _ := tab.Encode()
	d.PowerLoss()
	tab2 := open(t, d.FS(), true)
	after, _ := tab2.Encode()
	if string(before) != string(after) {
		t.Fatalf("reload differs:\n%s\n%s", before, after)
	}
	if got, _ := tab2.Get("g1"); got != g {
		t.Fatalf("g1 %+v", got)
	}
	if tab2.Version().Counter != 3 || tab2.Len() != 8 || tab2.Names()[0] != "CID_ONS-HTTP-PROXY" {
		t.Fatalf("version %+v len %d names %v", tab2.Version(), tab2.Len(), tab2.Names())
	}
}

func TestReadsRocketMQFile(t *testing.T) {
	fs := newDisk().FS()
	file := `{"dataVersion":{"counter":3,"timestamp":1655976032361},"subscriptionGroupTable":{
"please_rename_unique_group_name_4":{"brokerId":0,"consumeBroadcastEnable":true,"consumeEnable":true,"consumeFromMinEnable":true,"groupName":"please_rename_unique_group_name_4","notifyConsumerIdsChangedEnable":true,"retryMaxTimes":16,"retryQueueNums":1,"whichBrokerWhenConsumeSlowly":1,"groupSysFlag":0,"consumeTimeoutMinute":15}}}`
	_ = fs.MkdirAll("store/config")
	f, _ := fs.Open(path, runtime.ReadWrite|runtime.Create)
	_, _ = f.WriteAt([]byte(file), 0)
	_ = f.Close()
	tab := open(t, fs, false)
	if g, ok := tab.Get("please_rename_unique_group_name_4"); !ok || g != NewGroup("please_rename_unique_group_name_4") {
		t.Fatalf("%+v", g)
	}
	if tab.Version().Counter != 3 {
		t.Fatalf("version %+v", tab.Version())
	}
}
