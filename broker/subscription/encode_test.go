package subscription

import (
	"flag"
	"os"
	"testing"
	"time"
)

// update rewrites the golden file; run it only on a commit whose encoding
// is known to match RocketMQ's, since the file pins the bytes Java brokers
// and admin tools read.
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

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
	const file = "testdata/subscriptionGroup.json.golden"
	if *update {
		if err := os.WriteFile(file, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		t.Fatalf("%s differs:\ngot:\n%s\nwant:\n%s", file, got, want)
	}
}
