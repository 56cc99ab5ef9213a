package schedule

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// fakeStore is one level's queue of SCHEDULE_TOPIC_XXXX whose first
// entries retention may have removed, for the paths a real store reaches
// only after days.
type fakeStore struct {
	min     int64
	records [][]byte // by queue offset
}

func (f *fakeStore) GetMessage(topic string, qid int32, off int64, n int, _ store.Filter) store.GetResult {
	max := int64(len(f.records))
	switch {
	case qid != 0:
		return store.GetResult{Status: store.NoMatchedLogicQueue}
	case off < f.min:
		return store.GetResult{Status: store.OffsetTooSmall, NextBeginOffset: f.min, MinOffset: f.min, MaxOffset: max}
	case off == max:
		return store.GetResult{Status: store.OffsetOverflowOne, NextBeginOffset: off, MinOffset: f.min, MaxOffset: max}
	case off > max:
		return store.GetResult{Status: store.OffsetOverflowBadly, NextBeginOffset: max, MinOffset: f.min, MaxOffset: max}
	}
	res := store.GetResult{Status: store.Found, MinOffset: f.min, MaxOffset: max}
	for o := off; o < max && len(res.Records) < n; o++ {
		res.Records = append(res.Records, f.records[o])
	}
	res.NextBeginOffset = off + int64(len(res.Records))
	return res
}

func (f *fakeStore) MinOffsetInQueue(string, int32) int64 { return f.min }
func (f *fakeStore) SyncedPhyOffset() int64               { return 1 << 62 }
func (f *fakeStore) MaxOffsetInQueue(_ string, qid int32) int64 {
	if qid != 0 {
		return 0
	}
	return int64(len(f.records))
}

func parked(t *testing.T, off int64, props map[string]string) []byte {
	rec := message.Record{QueueOffset: off, Topic: store.ScheduleTopic, Body: []byte("b"),
		Properties: message.FormatProperties(props), BornHost: message.AddrV4(1, 2, 3, 4, 5),
		StoreHost: message.AddrV4(1, 2, 3, 4, 6), StoreTimestamp: 0}
	b, err := message.Append(nil, &rec)
	require.NoError(t, err)
	return b
}

type edgeNode struct{ svc *Service }

func (n *edgeNode) Stop() { _ = n.svc.Stop() }

// Entries removed by retention are counted lost and passed; records
// without a usable REAL_TOPIC/REAL_QID, or corrupt, are skipped; the rest
// are delivered in order.
func TestRetentionAndBadRecords(t *testing.T) {
	real := func(qid string) map[string]string {
		return map[string]string{message.PropertyRealTopic: "T", message.PropertyRealQueueID: qid,
			message.PropertyDelayLevel: "1", message.PropertyUniqKey: "U" + qid}
	}
	corrupt := parked(t, 4, real("4"))
	corrupt[message.OffsetMagic] ^= 0xff // not a record any more
	f := &fakeStore{min: 2, records: [][]byte{
		nil, nil, // removed by retention
		parked(t, 2, real("2")),
		parked(t, 3, map[string]string{message.PropertyRealQueueID: "1"}), // no REAL_TOPIC
		corrupt,
		parked(t, 5, real("x")), // REAL_QID not a number
		parked(t, 6, real("6")),
	}}
	var got []string
	w := simrt.New(1, simrt.Options{})
	node := w.AddNode("broker", simrt.NodeConfig{}, func(rt runtime.Runtime) (runtime.Node, error) {
		svc, err := Start(f, func(m *store.Message, done func(store.PutResult)) {
			_, delayed := message.Property(m.Properties, message.PropertyDelayLevel)
			require.False(t, delayed)
			got = append(got, m.Topic+"/"+string(rune('0'+m.QueueID)))
			done(store.PutResult{Status: store.PutOK})
		}, Options{Clock: rt, FS: rt.Disk(), Levels: config.DelayLevels{time.Second}, Path: "config/delayOffset.json"})
		return &edgeNode{svc: svc}, err
	})
	node.Start()
	require.NoError(t, node.Err())
	w.RunFor(5 * time.Second)
	svc := node.Value().(*edgeNode).svc
	require.Equal(t, []string{"T/2", "T/6"}, got)
	require.Equal(t, map[int]int64{1: 7}, svc.Offsets())
	require.Equal(t, int64(3), svc.Stats.Skipped)
	require.Zero(t, svc.Stats.Lost, "the start offset was corrected to the queue's first entry")

	// Retention passes the scheduler while it runs.
	f.records = append(f.records, parked(t, 7, real("7")), parked(t, 8, real("8")))
	f.min = 8
	svc.Notify()
	w.RunFor(5 * time.Second)
	require.Equal(t, []string{"T/2", "T/6", "T/8"}, got)
	require.Equal(t, int64(1), svc.Stats.Lost)
}
