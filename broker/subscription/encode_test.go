package subscription

import (
	"testing"
	"time"

	"rocketsim/broker/table/tabletest"
)

// The exact bytes of subscriptionGroup.json, which are also the body of
// GET_ALL_SUBSCRIPTIONGROUP_CONFIG, for a small table.
func TestEncodePinned(t *testing.T) {
	clock := &fakeClock{time.UnixMilli(1_700_000_000_000)}
	tab, err := Open(newDisk().FS(), clock, Options{Path: path, AutoCreate: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Second)
	g := NewGroup("orders_consumer")
	g.RetryMaxTimes, g.ConsumeBroadcastEnable, g.BrokerID = 3, false, 1
	if err := tab.Update(g); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Second)
	if _, _, err := tab.Find("auto_group"); err != nil {
		t.Fatal(err)
	}
	got, err := tab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	tabletest.Golden(t, "testdata/subscriptionGroup.json.golden", got)
}
