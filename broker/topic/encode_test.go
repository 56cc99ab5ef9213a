package topic

import (
	"testing"
	"time"

	"rocketsim/broker/table/tabletest"
)

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
	tabletest.Golden(t, "testdata/topics.json.golden", indented)
	tabletest.Golden(t, "testdata/topics.compact.golden", compact)
}
