package ha

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simrt"
)

const (
	masterHost = "192.0.2.1"
	slaveHost  = "192.0.2.2"
	haAddr     = masterHost + ":10912"
)

func storeConfig(flush config.FlushDiskType) store.Config {
	c := store.DefaultConfig()
	c.MappedFileSizeCommitLog = 64 << 10
	c.MappedFileSizeConsumeQueue = 100 * 20
	c.MaxMessageSize = 8 << 10
	c.MaxHashSlotNum = 64
	c.MaxIndexNum = 400
	c.FlushDiskType = flush
	return c
}

func haConfig() Config {
	c := DefaultConfig()
	c.TransferBatchSize = 4 << 10 // many batches per segment
	return c
}

type masterNode struct {
	rt runtime.Runtime
	st *store.Store
	ha *Master
	// acked are the puts answered PUT_OK, by physical offset.
	acked map[int64]int
	seq   int
}

func (n *masterNode) Stop() { n.ha.Close(); n.st.Close() }

// put stores k messages and tells the HA service.
func (n *masterNode) put(k int) {
	for range k {
		i := n.seq
		n.seq++
		body := make([]byte, 50+(i*131)%1500)
		for j := range body {
			body[j] = byte(i + j)
		}
		m := &store.Message{Topic: []string{"T1", "T2"}[i%2], QueueID: int32(i % 4), Body: body,
			Properties: message.FormatProperties(map[string]string{message.PropertyKeys: fmt.Sprintf("k%d", i)}),
			BornHost:   message.AddrV4(10, 0, 0, 9, 5555)}
		n.st.Put(m, func(r store.PutResult) {
			if r.Status == store.PutOK {
				n.acked[r.PhysicalOffset] = i
			}
		})
	}
	n.ha.Notify()
}

type slaveNode struct {
	st *store.Store
	ha *Slave
}

func (n *slaveNode) Stop() { n.ha.Close(); n.st.Close() }

type pair struct {
	t             *testing.T
	w             *simrt.World
	master, slave *simrt.Node
}

func newPair(t *testing.T, seed uint64, masterFlush config.FlushDiskType) *pair {
	return newPairWith(t, seed, masterFlush, nil)
}

// buggyRuntime takes the rare path at one buggify site, always.
type buggyRuntime struct {
	runtime.Runtime
	site string
}

func (b buggyRuntime) Buggify(site string) bool { return site == b.site }

// newPairWith is newPair whose master's HA service sees its runtime
// through wrap (nil: as it is).
func newPairWith(t *testing.T, seed uint64, masterFlush config.FlushDiskType, wrap func(runtime.Runtime) runtime.Runtime) *pair {
	w := simrt.New(seed, simrt.Options{})
	disk := simdisk.Options{FsyncLatency: func(r *rand.Rand) time.Duration { return time.Duration(r.IntN(2000)) * time.Microsecond }}
	p := &pair{t: t, w: w}
	p.master = w.AddNode("master", simrt.NodeConfig{Host: masterHost, Disk: disk}, func(rt runtime.Runtime) (runtime.Node, error) {
		st, err := store.Open(storeConfig(masterFlush), store.Options{FS: rt.Disk(), Clock: rt, Log: rt.Log(),
			Post: rt.Post, StoreHost: message.AddrV4(192, 0, 2, 1, 10911)})
		if err != nil {
			return nil, err
		}
		haRT := rt
		if wrap != nil {
			haRT = wrap(rt)
		}
		m := NewMaster(haRT, st, haConfig())
		if err := m.Listen(haAddr); err != nil {
			st.Close()
			return nil, err
		}
		return &masterNode{rt: rt, st: st, ha: m, acked: map[int64]int{}}, nil
	})
	p.slave = w.AddNode("slave", simrt.NodeConfig{Host: slaveHost, Disk: disk}, func(rt runtime.Runtime) (runtime.Node, error) {
		st, err := store.Open(storeConfig(config.AsyncFlush), store.Options{FS: rt.Disk(), Clock: rt, Log: rt.Log(),
			Post: rt.Post, StoreHost: message.AddrV4(192, 0, 2, 1, 10911)})
		if err != nil {
			return nil, err
		}
		s := NewSlave(rt, st, haConfig())
		s.SetMasterAddr(haAddr)
		return &slaveNode{st: st, ha: s}, nil
	})
	return p
}

func (p *pair) m() *masterNode { return p.master.Value().(*masterNode) }
func (p *pair) s() *slaveNode  { return p.slave.Value().(*slaveNode) }

// put makes the master store k messages, on its loop.
func (p *pair) put(k int) {
	p.master.Runtime().Post(func() { p.m().put(k) })
	p.w.RunFor(100 * time.Millisecond)
}

// converge runs until the slave's log ends where the master's does.
func (p *pair) converge(limit time.Duration) {
	p.t.Helper()
	ok := p.w.RunUntil(func() bool {
		return p.slave.Value() != nil && p.master.Value() != nil &&
			p.s().st.MaxPhyOffset() == p.m().st.MaxPhyOffset() && p.m().st.MaxPhyOffset() > 0
	}, limit)
	if !ok {
		p.t.Fatalf("slave at %d, master at %d after %v", p.s().st.MaxPhyOffset(), p.m().st.MaxPhyOffset(), limit)
	}
	p.w.RunFor(100 * time.Millisecond) // dispatch
}

// same checks that every record of the slave's log is the master's, byte
// for byte, and that the slave serves each queue like the master.
func (p *pair) same() {
	p.t.Helper()
	ms, ss := p.m().st, p.s().st
	if ms.MaxPhyOffset() != ss.MaxPhyOffset() {
		p.t.Fatalf("master ends at %d, slave at %d", ms.MaxPhyOffset(), ss.MaxPhyOffset())
	}
	n := 0
	for off := ss.MinPhyOffset(); off < ss.MaxPhyOffset(); {
		data, next, err := ms.ReadReplica(off, 1<<20)
		if err != nil {
			p.t.Fatal(err)
		}
		sdata, snext, err := ss.ReadReplica(off, 1<<20)
		if err != nil {
			p.t.Fatal(err)
		}
		if next != snext || !bytes.Equal(data, sdata) {
			p.t.Fatalf("logs differ at %d", off)
		}
		n += len(data)
		off = next
	}
	if n == 0 {
		p.t.Fatal("nothing compared")
	}
	for topic, qids := range ms.Topics() {
		for _, q := range qids {
			if a, b := ms.MaxOffsetInQueue(topic, q), ss.MaxOffsetInQueue(topic, q); a != b {
				p.t.Fatalf("%s-%d: master max queue offset %d, slave %d", topic, q, a, b)
			}
		}
	}
}

func TestSlaveCatchesUpAndFollows(t *testing.T) {
	p := newPair(t, 1, config.AsyncFlush)
	p.master.Start()
	p.put(400)
	if segs := p.m().st.MaxPhyOffset() / p.m().st.CommitLogSegmentSize(); segs < 2 {
		t.Fatalf("master log spans %d segments, want several", segs+1)
	}
	p.slave.Start()
	p.converge(time.Minute)
	// Java: a slave with an empty log starts at the master's last segment.
	last := p.m().st.MaxPhyOffset() - p.m().st.MaxPhyOffset()%p.m().st.CommitLogSegmentSize()
	if got := p.s().st.MinPhyOffset(); got != last {
		t.Fatalf("fresh slave's log starts at %d, want the master's last segment %d", got, last)
	}
	for range 20 {
		p.put(25)
	}
	p.converge(time.Minute)
	p.same()
	if p.m().ha.SlaveAcked() != p.m().st.MaxPhyOffset() {
		t.Fatalf("master counts %d acknowledged, log ends at %d", p.m().ha.SlaveAcked(), p.m().st.MaxPhyOffset())
	}
}

func TestSlaveFromZeroCopiesEverything(t *testing.T) {
	p := newPair(t, 2, config.AsyncFlush)
	p.master.Start()
	p.slave.Start()
	p.w.RunFor(time.Second)
	if !p.s().ha.Connected() {
		t.Fatal("slave not connected")
	}
	for range 40 {
		p.put(20)
	}
	p.converge(time.Minute)
	if p.s().st.MinPhyOffset() != 0 {
		t.Fatalf("slave that followed from the start begins at %d", p.s().st.MinPhyOffset())
	}
	p.same()
}

func TestReplicationSurvivesPartitionAndCrashes(t *testing.T) {
	for seed := uint64(1); seed <= 3; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			p := newPair(t, seed, config.AsyncFlush)
			p.master.Start()
			p.slave.Start()
			p.put(50)
			p.converge(time.Minute)

			// A partition longer than haHousekeepingInterval: both sides
			// drop the connection; the slave reconnects after the heal.
			if err := p.w.Net().Partition([]string{"master"}, []string{"slave"}); err != nil {
				t.Fatal(err)
			}
			for range 10 {
				p.put(20)
				p.w.RunFor(3 * time.Second)
			}
			if p.s().st.MaxPhyOffset() == p.m().st.MaxPhyOffset() {
				t.Fatal("slave kept up through a partition")
			}
			dropped := p.m().ha.Stats.Dropped
			if dropped == 0 {
				t.Fatal("master kept a connection silent for 30 s")
			}
			p.w.Net().Heal()
			p.converge(time.Minute)
			p.same()

			// Slave crash, with puts meanwhile.
			p.slave.Crash()
			p.put(100)
			p.slave.Restart()
			p.converge(time.Minute)
			p.same()

			// Master crash (process: its page cache survives).
			p.put(30)
			p.master.Crash()
			p.w.RunFor(2 * time.Second)
			p.master.Restart()
			p.put(30)
			p.converge(time.Minute)
			p.same()
		})
	}
}

// A master that lost its tail in a power loss meets a slave that is ahead:
// the slave's reports must not count as acknowledgements, and the slave
// must not take the master's new records as its own.
func TestSlaveAheadOfMasterAfterPowerLoss(t *testing.T) {
	var p *pair
	var slaveEnd int64
	for seed := uint64(5); ; seed++ {
		if seed > 15 {
			t.Fatal("no seed made the master lose its tail in a power loss")
		}
		p = newPair(t, seed, config.AsyncFlush)
		p.master.Start()
		p.slave.Start()
		p.put(60)
		p.converge(time.Minute)
		// The master's periodic flush (500 ms) has synced little of a
		// burst right before the power loss; the slave has all of it.
		p.put(60)
		p.converge(time.Minute)
		slaveEnd = p.s().st.MaxPhyOffset()
		p.master.PowerLoss()
		p.master.Restart()
		p.w.RunFor(time.Second)
		if p.m().st.MaxPhyOffset() < slaveEnd {
			break
		}
	}
	p.w.RunFor(30 * time.Second)
	if p.m().ha.Stats.Diverged == 0 {
		t.Fatal("master did not see that the slave is ahead")
	}
	if p.m().ha.SlaveAcked() > p.m().st.MaxPhyOffset() {
		t.Fatalf("master counts %d acknowledged beyond its own end %d", p.m().ha.SlaveAcked(), p.m().st.MaxPhyOffset())
	}
	// New records on the master land where the slave holds old ones.
	p.put(200)
	p.w.RunFor(30 * time.Second)
	var got []bool
	p.master.Runtime().Post(func() {
		end := p.m().st.MaxPhyOffset()
		p.m().ha.WaitSlave(end, time.Second, func(ok bool) { got = append(got, ok) })
	})
	p.w.RunFor(3 * time.Second)
	if len(got) != 1 || got[0] {
		t.Fatalf("a put past the divergence was acknowledged by the slave that never got it: %v", got)
	}
	// The slave refused the master's new records at the old offsets: its
	// log still ends with its own old records (or the master's, if they
	// happened to align), never a mix that fails its checks.
	if p.s().st.MaxPhyOffset() < slaveEnd {
		t.Fatalf("slave lost records: %d < %d", p.s().st.MaxPhyOffset(), slaveEnd)
	}
}

func TestWaitSlave(t *testing.T) {
	p := newPair(t, 7, config.AsyncFlush)
	p.master.Start()
	p.slave.Start()
	p.put(10)
	p.converge(time.Minute)
	results := map[string]bool{}
	wait := func(name string) {
		p.master.Runtime().Post(func() {
			m := p.m()
			m.put(1)
			end := m.st.MaxPhyOffset()
			if !m.ha.SlaveOK(end) {
				results[name+"-notok"] = true
				return
			}
			m.ha.WaitSlave(end, 3*time.Second, func(ok bool) { results[name] = ok })
		})
		p.w.RunFor(5 * time.Second)
	}
	wait("connected")
	if ok, done := results["connected"]; !done || !ok {
		t.Fatalf("connected slave: answered %v, ok %v", done, ok)
	}
	if err := p.w.Net().Partition([]string{"master"}, []string{"slave"}); err != nil {
		t.Fatal(err)
	}
	wait("partitioned")
	if ok, done := results["partitioned"]; !done || ok {
		t.Fatalf("partitioned slave: answered %v, ok %v (want a timeout)", done, ok)
	}
	if p.m().ha.Stats.SlaveTimeouts == 0 {
		t.Fatal("no slave timeout counted")
	}
	// Past haHousekeepingInterval the master drops the slave: no slave.
	p.w.RunFor(30 * time.Second)
	wait("gone")
	if !results["gone-notok"] {
		t.Fatalf("no slave connected, yet SlaveOK: %v", results)
	}
	p.w.Net().Heal()
	p.w.RunFor(10 * time.Second)
	wait("back")
	if ok := results["back"]; !ok {
		t.Fatalf("slave back: %v", results)
	}
}

func TestFrames(t *testing.T) {
	f := appendBatch(nil, 1234, []byte("abc"))
	start, data, err := parseBatch(f)
	if err != nil || start != 1234 || string(data) != "abc" {
		t.Fatalf("batch round trip: %d %q %v", start, data, err)
	}
	if _, _, err := parseBatch(f[:len(f)-1]); err == nil {
		t.Fatal("short batch accepted")
	}
	r := appendReport(nil, 99)
	if off, err := parseReport(r); err != nil || off != 99 {
		t.Fatalf("report round trip: %d %v", off, err)
	}
	if _, err := parseReport(append(r, 0)); err == nil {
		t.Fatal("long report accepted")
	}
}

// fakeMaster answers every report with a batch at a wrong offset.
type fakeMaster struct{ sent, reports int }

func (f *fakeMaster) Stop()                  {}
func (f *fakeMaster) OnConnect(runtime.Conn) {}
func (f *fakeMaster) OnFrame(c runtime.Conn, fr []byte) {
	off, err := parseReport(fr)
	if err != nil {
		panic(err)
	}
	f.reports++
	_ = c.Send(appendBatch(nil, off+100, []byte("not a record at all, and at the wrong place")))
	f.sent++
}
func (f *fakeMaster) OnClose(runtime.Conn, error) {}

func TestSlaveRefusesMismatchedOffset(t *testing.T) {
	p := newPair(t, 9, config.AsyncFlush)
	p.master.Start()
	p.slave.Start()
	p.put(20)
	p.converge(time.Minute)
	before := p.s().st.MaxPhyOffset()
	// Another "master" takes over the address.
	p.master.Crash()
	fake := &fakeMaster{}
	impostor := p.w.AddNode("impostor", simrt.NodeConfig{Host: "192.0.2.3"}, func(rt runtime.Runtime) (runtime.Node, error) {
		_, err := rt.Listen("192.0.2.3:10912", func(runtime.Conn) runtime.ConnHandler { return fake })
		return fake, err
	})
	impostor.Start()
	p.slave.Runtime().Post(func() { p.s().ha.SetMasterAddr("192.0.2.3:10912") })
	p.w.RunFor(30 * time.Second)
	if fake.sent < 2 {
		t.Fatalf("impostor sent %d batches: the slave did not keep reconnecting", fake.sent)
	}
	if p.s().ha.Stats.Refused < 2 {
		t.Fatalf("slave refused %d batches at a wrong offset", p.s().ha.Stats.Refused)
	}
	if got := p.s().st.MaxPhyOffset(); got != before {
		t.Fatalf("slave log moved from %d to %d on refused batches", before, got)
	}
}

// With the ha/batch-one buggify site always firing the master sends one
// record per batch, and the slave still ends with the master's log, byte
// for byte.
func TestSlaveFollowsOneRecordBatches(t *testing.T) {
	p := newPairWith(t, 5, config.AsyncFlush, func(rt runtime.Runtime) runtime.Runtime {
		return buggyRuntime{Runtime: rt, site: "ha/batch-one"}
	})
	p.master.Start()
	p.slave.Start()
	for range 8 {
		p.put(25)
	}
	p.converge(time.Minute)
	p.same()
	if b := p.m().ha.Stats.Batches; b < 200 {
		t.Fatalf("%d batches for 200 records: the site did not make batches of one", b)
	}
}
