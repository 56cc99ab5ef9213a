package schedule

import (
	"flag"
	"fmt"
	"strconv"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// seedsMax is how many seeds the randomized fault tests run
// (go test -args -seeds=200 for a longer hunt).
var seedsMax = flag.Uint64("seeds", 6, "seeds for the randomized fault tests")

// testNode is a broker reduced to what the scheduler touches: the store,
// the service, and a put that records what reached a real topic.
type testNode struct {
	rt  runtime.Runtime
	st  *store.Store
	svc *Service
}

func (n *testNode) Stop() {
	if err := n.st.Close(); err != nil {
		panic(err)
	}
	if err := n.svc.Stop(); err != nil {
		panic(err)
	}
}

// delivery is one re-put seen by the putter.
type delivery struct {
	uniq     string
	topic    string
	qid      int32
	trueTime time.Duration // world time of the put
	wallNano int64         // broker clock at the put
}

// sent is a message handed to the store by the test.
type sent struct {
	uniq     string
	level    int // as asked
	trueTime time.Duration
	storeMs  int64 // store timestamp of the parked copy
	acked    bool
}

type env struct {
	t      *testing.T
	w      *simrt.World
	node   *simrt.Node
	cfg    store.Config
	levels config.DelayLevels
	sends  map[string]*sent
	order  []string
	got    []delivery
	// flushDelayOffsetInterval is the service's persist period (0: 10 s).
	flushDelayOffsetInterval time.Duration
	// wrapPut, when set, stands between the service and the store.
	wrapPut func(n *testNode, m *store.Message, done func(store.PutResult))
}

func newEnv(t *testing.T, seed uint64, levels string, flush config.FlushDiskType) *env {
	t.Helper()
	lv, err := config.ParseDelayLevels(levels)
	if err != nil {
		t.Fatal(err)
	}
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = "store"
	cfg.MappedFileSizeCommitLog = 256 << 10
	cfg.MappedFileSizeConsumeQueue = 100 * 20
	cfg.MaxMessageSize = 16 << 10
	cfg.FlushDiskType = flush
	cfg.MessageDelayLevel = lv
	e := &env{t: t, w: simrt.New(seed, simrt.Options{}), cfg: cfg, levels: lv, sends: map[string]*sent{}}
	e.node = e.w.AddNode("broker", simrt.NodeConfig{}, e.newNode)
	e.node.Start()
	if err := e.node.Err(); err != nil {
		t.Fatalf("start: %v", err)
	}
	return e
}

func (e *env) newNode(rt runtime.Runtime) (runtime.Node, error) {
	n := &testNode{rt: rt}
	var err error
	n.st, err = store.Open(e.cfg, store.Options{FS: rt.Disk(), Clock: rt, Log: rt.Log(),
		StoreHost: message.AddrV4(192, 0, 2, 1, 10911)})
	if err != nil {
		return nil, err
	}
	put := func(m *store.Message, done func(store.PutResult)) {
		uniq, _ := message.Property(m.Properties, message.PropertyUniqKey)
		d := delivery{uniq: uniq, topic: m.Topic, qid: m.QueueID, trueTime: e.w.Now(), wallNano: rt.Now().UnixNano()}
		e.got = append(e.got, d)
		if e.wrapPut != nil {
			e.wrapPut(n, m, done)
			return
		}
		n.st.Put(m, done)
	}
	n.svc, err = Start(n.st, put, Options{Clock: rt, FS: rt.Disk(), Log: rt.Log(), Levels: e.cfg.MessageDelayLevel,
		Path: e.cfg.DelayOffsetPath(), FlushInterval: e.flushDelayOffsetInterval})
	if err != nil {
		return nil, err
	}
	return n, nil
}

func (e *env) value() *testNode { return e.node.Value().(*testNode) }

// send puts a message to topic T queue qid with DELAY=level (no property
// when level is 0) at true time at.
func (e *env) send(at time.Duration, uniq string, qid int32, level int) {
	e.w.At(at, func() {
		n, ok := e.node.Value().(*testNode)
		if !ok {
			return // broker down: the send fails, nothing to expect
		}
		props := map[string]string{message.PropertyUniqKey: uniq, message.PropertyTags: "t"}
		if level != 0 {
			props[message.PropertyDelayLevel] = strconv.Itoa(level)
		}
		// The store stamps the record with the clock of this same event.
		s := &sent{uniq: uniq, level: level, trueTime: e.w.Now(), storeMs: n.rt.Now().UnixMilli()}
		e.sends[uniq] = s
		e.order = append(e.order, uniq)
		m := &store.Message{Topic: "T", QueueID: qid, Body: []byte("body-" + uniq),
			Properties: message.FormatProperties(props), BornTimestamp: n.rt.Now().UnixMilli(),
			BornHost: message.AddrV4(10, 0, 0, 2, 4000), ReconsumeTimes: 2}
		n.st.Put(m, func(r store.PutResult) {
			if r.Status == store.PutOK {
				s.acked = true
				if r.StoreTimestamp != s.storeMs {
					panic(fmt.Sprintf("store timestamp %d, expected %d", r.StoreTimestamp, s.storeMs))
				}
			}
		})
		n.svc.Notify()
	})
}

// realRecords reads every record of topic T queue qid.
func (e *env) realRecords(qid int32) []message.Record {
	e.t.Helper()
	n := e.value()
	var out []message.Record
	for off := int64(0); ; {
		res := n.st.GetMessage("T", qid, off, 32, nil)
		if res.Status != store.Found {
			return out
		}
		for _, raw := range res.Records {
			r, err := message.Decode(raw, true)
			if err != nil {
				e.t.Fatalf("decode: %v", err)
			}
			out = append(out, r)
		}
		off = res.NextBeginOffset
	}
}

// effectiveLevel is the level the store parks a message at.
func (e *env) effectiveLevel(level int) int {
	return min(level, len(e.levels))
}

// checkNotEarly: no re-put before the parked copy's store time plus its
// delay by the broker's clock.
func (e *env) checkNotEarly() {
	e.t.Helper()
	for _, d := range e.got {
		s := e.sends[d.uniq]
		if s == nil {
			e.t.Fatalf("delivery of unknown message %q", d.uniq)
		}
		due := time.Duration(s.storeMs)*time.Millisecond + e.levels[e.effectiveLevel(s.level)-1]
		if time.Duration(d.wallNano) < due {
			e.t.Errorf("%s delivered at broker time %v, due %v: early by %v", d.uniq,
				time.Duration(d.wallNano), due, due-time.Duration(d.wallNano))
		}
	}
}

func uniqName(i int) string { return fmt.Sprintf("U%04d", i) }
