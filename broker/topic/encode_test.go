package topic

import (
	"flag"
	"os"
	"testing"
	"time"
)

// update rewrites the golden files; run it only on a commit whose encoding
// is known to match RocketMQ's, since the files pin the bytes Java brokers
// and admin tools read.
var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// The exact bytes of topics.json and of the GET_ALL_TOPIC_CONFIG body for a
// small table: a change of field order, indentation, key order or escaping
// fails here.
func TestEncodePinned(t *testing.T) {
	_, fs := newFS()
	clock := &fakeClock{time.UnixMilli(1_700_000_000_000)}
	tab := open(t, fs, clock, testOptions())
	clock.t = clock.t.Add(time.Second)
	if err := tab.Update(Config{TopicName: "TopicTest", ReadQueueNums: 4, WriteQueueNums: 2, Perm: PermRead, TopicFilterType: MultiTag, Order: true}); err != nil {
		t.Fatal(err)
	}
	clock.t = clock.t.Add(time.Second)
	if _, _, err := tab.CreateInSend("orders", AutoCreateTopicKey, 3, 1); err != nil {
		t.Fatal(err)
	}
	indented, err := tab.Encode()
	if err != nil {
		t.Fatal(err)
	}
	compact, err := tab.EncodeCompact()
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "testdata/topics.json.golden", indented)
	golden(t, "testdata/topics.compact.golden", compact)
}

func golden(t *testing.T, file string, got []byte) {
	t.Helper()
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
