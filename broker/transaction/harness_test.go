package transaction

import (
	"flag"
	"fmt"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/offset"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

const testGroup = "pg"

// seedsMax is how many seeds the randomized fault tests run
// (go test -args -seeds=200 for a longer hunt).
var seedsMax = flag.Uint64("seeds", 5, "seeds for the randomized fault tests")

// testNode is a broker reduced to what transactions touch: the store, the
// consumer offset table (the service's progress) and the service.
type testNode struct {
	rt    runtime.Runtime
	st    *store.Store
	offs  *offset.Table
	svc   *Service
	flush runtime.Timer
}

func (n *testNode) Stop() {
	n.svc.Stop()
	n.flush.Stop()
	if err := n.offs.Persist(); err != nil {
		panic(err)
	}
	if err := n.st.Close(); err != nil {
		panic(err)
	}
}

// outcome is what the test producer's local transaction decided.
type outcome int32

const (
	unknown  = outcome(StateUnknown)
	commit   = outcome(StateCommit)
	rollback = outcome(StateRollback)
)

// tx is one transaction of the test producer, which outlives broker crashes.
type tx struct {
	uniq    string
	first   outcome // what the producer's END says
	onCheck outcome // what it answers to a check
	halfOK  bool    // the half message was acknowledged
	halfPhy int64
	halfOff int64
	checks  int
}

type env struct {
	t    *testing.T
	w    *simrt.World
	node *simrt.Node
	cfg  store.Config
	opt  Options
	txs  map[string]*tx
	// wrapPut, when set, stands between the service and the store.
	wrapPut func(n *testNode, m *store.Message, done func(store.PutResult))
	// checkAnswerDelay is how long the producer takes to answer a check.
	checkAnswerDelay time.Duration
	endErrs          []error
	noProducer       bool
}

func newEnv(t *testing.T, seed uint64, opt Options) *env {
	t.Helper()
	cfg := store.DefaultConfig()
	cfg.StorePathRootDir = "store"
	cfg.MappedFileSizeCommitLog = 256 << 10
	cfg.MappedFileSizeConsumeQueue = 100 * 20
	cfg.MaxMessageSize = 16 << 10
	cfg.FlushDiskType = config.SyncFlush
	e := &env{t: t, w: simrt.New(seed, simrt.Options{}), cfg: cfg, opt: opt, txs: map[string]*tx{},
		checkAnswerDelay: 20 * time.Millisecond}
	e.node = e.w.AddNode("broker", simrt.NodeConfig{}, e.newNode)
	e.node.Start()
	if err := e.node.Err(); err != nil {
		t.Fatalf("start: %v", err)
	}
	return e
}

func (e *env) newNode(rt runtime.Runtime) (runtime.Node, error) {
	n := &testNode{rt: rt}
	fs := rt.Disk()
	if err := fs.MkdirAll(e.cfg.ConfigDir()); err != nil {
		return nil, err
	}
	var err error
	if n.offs, err = offset.Open(fs, e.cfg.ConsumerOffsetPath()); err != nil {
		return nil, err
	}
	host := message.AddrV4(192, 0, 2, 1, 10911)
	if n.st, err = store.Open(e.cfg, store.Options{FS: fs, Clock: rt, Log: rt.Log(), StoreHost: host}); err != nil {
		return nil, err
	}
	put := func(m *store.Message, done func(store.PutResult)) {
		if e.wrapPut != nil {
			e.wrapPut(n, m, done)
			return
		}
		n.st.Put(m, done)
	}
	opt := e.opt
	opt.Clock, opt.Log, opt.StoreHost = rt, rt.Log(), host
	opt.ProducerOnline = func(string) bool { return !e.noProducer }
	if n.svc, err = Start(n.st, put, n.offs, func(group string, req CheckRequest, body []byte) error {
		return e.onCheck(rt, group, req, body)
	}, opt); err != nil {
		return nil, err
	}
	var persist func()
	persist = func() {
		if n.offs.Dirty() {
			if err := n.offs.Persist(); err != nil {
				rt.Log().Error("persist offsets", "err", err)
			}
		}
		n.flush = rt.AfterFunc(5*time.Second, persist)
	}
	n.flush = rt.AfterFunc(5*time.Second, persist)
	return n, nil
}

func (e *env) value() (*testNode, bool) {
	n, ok := e.node.Value().(*testNode)
	return n, ok
}

// onCheck is the producer receiving CHECK_TRANSACTION_STATE: it validates
// what the Go client validates and answers after checkAnswerDelay.
func (e *env) onCheck(rt runtime.Runtime, group string, req CheckRequest, body []byte) error {
	if e.noProducer {
		return fmt.Errorf("no producer of group %s", group)
	}
	rec, err := message.Decode(body, true)
	if err != nil {
		e.t.Errorf("check body: %v", err)
		return nil
	}
	props := message.ParseProperties(rec.Properties)
	tx := e.txs[props[message.PropertyUniqKey]]
	switch {
	case tx == nil:
		e.t.Errorf("check for unknown transaction %q", props[message.PropertyUniqKey])
		return nil
	case group != testGroup || props[PropertyProducerGroup] != testGroup:
		e.t.Errorf("check for group %q / PGROUP %q", group, props[PropertyProducerGroup])
	case rec.Topic != "T" || rec.QueueID != 1:
		e.t.Errorf("check body names %s/%d, want the real topic T/1", rec.Topic, rec.QueueID)
	case req.MsgID != tx.uniq || req.TransactionID != tx.uniq:
		e.t.Errorf("check header ids %q %q, want %q", req.MsgID, req.TransactionID, tx.uniq)
	case rec.QueueOffset != req.TranStateTableOffset || rec.PhysicalOffset != req.CommitLogOffset:
		e.t.Errorf("check body offsets %d/%d, header %d/%d", rec.QueueOffset, rec.PhysicalOffset,
			req.TranStateTableOffset, req.CommitLogOffset)
	}
	if _, a, err := message.ParseID(req.OffsetMsgID); err != nil || a != req.CommitLogOffset {
		e.t.Errorf("check offsetMsgId %q does not name offset %d", req.OffsetMsgID, req.CommitLogOffset)
	}
	tx.checks++
	answer := tx.onCheck
	rt.AfterFunc(e.checkAnswerDelay, func() {
		n, ok := e.value()
		if !ok || n.rt != rt {
			return // the broker restarted: the connection is gone
		}
		n.svc.End(EndRequest{ProducerGroup: testGroup, TranStateTableOffset: req.TranStateTableOffset,
			CommitLogOffset: req.CommitLogOffset, CommitOrRollback: int32(answer), FromTransactionCheck: true,
			MsgID: tx.uniq}, e.endDone)
	})
	return nil
}

func (e *env) endDone(err error) {
	if err != nil {
		e.endErrs = append(e.endErrs, err)
	}
}

// send stores a half message at true time at and, endAfter later, sends
// the producer's END (none when first is unknown).
func (e *env) send(at time.Duration, uniq string, first, onCheck outcome, endAfter time.Duration) *tx {
	t := &tx{uniq: uniq, first: first, onCheck: onCheck}
	e.txs[uniq] = t
	e.w.At(at, func() {
		n, ok := e.value()
		if !ok {
			return
		}
		props := message.FormatProperties(map[string]string{
			message.PropertyUniqKey: uniq, message.PropertyTags: "t", message.PropertyTranPrepared: "true",
			PropertyProducerGroup: testGroup, message.PropertyWaitStoreOK: "true",
		})
		m := &store.Message{Topic: "T", QueueID: 1, Body: []byte("body-" + uniq), Properties: props,
			SysFlag: message.FlagTransPrepared, BornTimestamp: n.rt.Now().UnixMilli(), BornHost: message.AddrV4(10, 0, 0, 2, 4000)}
		PrepareHalf(m)
		rt := n.rt
		n.st.Put(m, func(res store.PutResult) {
			if res.Status != store.PutOK {
				return
			}
			t.halfOK, t.halfPhy, t.halfOff = true, res.PhysicalOffset, res.QueueOffset
			if first == unknown {
				return
			}
			rt.AfterFunc(endAfter, func() { e.end(t, rt, first) })
		})
	})
	return t
}

// end sends the producer's END for t's original half message.
func (e *env) end(t *tx, rt runtime.Runtime, o outcome) {
	n, ok := e.value()
	if !ok || (rt != nil && n.rt != rt) {
		return
	}
	n.svc.End(EndRequest{ProducerGroup: testGroup, TranStateTableOffset: t.halfOff, CommitLogOffset: t.halfPhy,
		CommitOrRollback: int32(o), MsgID: t.uniq}, e.endDone)
}

// delivered counts each UNIQ_KEY in topic's queue qid, checking that every
// record is a COMMIT pointing at a half message.
func (e *env) delivered(topic string, qid int32) map[string]int {
	e.t.Helper()
	n, _ := e.value()
	counts := map[string]int{}
	for off := int64(0); ; {
		res := n.st.GetMessage(topic, qid, off, 32, nil)
		if res.Status != store.Found {
			return counts
		}
		for _, raw := range res.Records {
			r, err := message.Decode(raw, true)
			if err != nil {
				e.t.Fatalf("decode: %v", err)
			}
			u, _ := message.Property(r.Properties, message.PropertyUniqKey)
			counts[u]++
			if topic == "T" && message.TransactionType(r.SysFlag) != message.FlagTransCommit {
				e.t.Errorf("%s in T with transaction type %#x, want COMMIT", u, message.TransactionType(r.SysFlag))
			}
		}
		off = res.NextBeginOffset
	}
}

func txName(i int) string { return fmt.Sprintf("TX%04d", i) }
