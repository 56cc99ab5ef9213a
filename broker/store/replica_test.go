package store

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"testing"
	"time"

	"rocketsim/broker/config"
	"rocketsim/broker/store/internal/fakeclock"
	"rocketsim/broker/store/internal/memfs"
	"rocketsim/broker/store/message"
)

// replicaPair is a master and a slave store, each on its own disk, sharing
// a fake clock.
type replicaPair struct {
	t      *testing.T
	master *harness
	slave  *harness
	sdisk  faultDisk
}

func newReplicaPair(t *testing.T, slaveFlush config.FlushDiskType) *replicaPair {
	clock := fakeclock.New(testStart)
	m := &harness{t: t, fs: memfs.New(0, 1), clock: clock, cfg: testConfig(config.AsyncFlush)}
	m.open()
	d := newSimDisk(7, clock)
	s := &harness{t: t, fs: d.FS(), clock: clock, cfg: testConfig(slaveFlush)}
	s.open()
	return &replicaPair{t: t, master: m, slave: s, sdisk: d}
}

// fill puts n messages on the master, spread over topics and queues.
func (p *replicaPair) fill(from, n int) {
	p.t.Helper()
	for i := from; i < from+n; i++ {
		m := testMessage([]string{"A", "B"}[i%2], int32(i%3), i, 100+(i*37)%900)
		if r := p.master.putSync(m); r.Status != PutOK {
			p.t.Fatalf("put %d: %v %v", i, r.Status, r.Err)
		}
	}
}

// copyAll streams the master's log to the slave in batches of at most
// batch bytes, cut again into pieces by cut (nil: whole batches).
func (p *replicaPair) copyAll(r *Replica, batch int, cut func(n int) int) {
	p.t.Helper()
	for i := 0; r.Offset() < p.master.s.MaxPhyOffset(); i++ {
		if i > 100000 {
			p.t.Fatal("replication does not progress")
		}
		from := r.Offset()
		if r.Pending() > 0 {
			p.t.Fatalf("our master cuts no record, yet %d bytes are pending", r.Pending())
		}
		data, _, err := p.master.s.ReadReplica(from, batch)
		if err != nil {
			p.t.Fatalf("read replica at %d: %v", from, err)
		}
		if len(data) == 0 {
			p.t.Fatalf("empty batch at %d below master end %d", from, p.master.s.MaxPhyOffset())
		}
		if len(data) > batch {
			// Only a single record bigger than the batch may exceed it.
			if _, _, err := p.master.s.cl.ReadRecord(from); err != nil || p.master.s.cl.Segments().Find(from) == nil {
				p.t.Fatalf("batch of %d > %d at %d", len(data), batch, from)
			}
		}
		off := from
		for len(data) > 0 {
			n := len(data)
			if cut != nil {
				n = min(max(cut(n), 1), len(data))
			}
			if err := r.Append(off, data[:n]); err != nil {
				p.t.Fatalf("append %d bytes at %d: %v", n, off, err)
			}
			off += int64(n)
			data = data[n:]
		}
	}
	p.settle()
}

// settle lets writes, dispatch and fsyncs run.
func (p *replicaPair) settle() {
	for i := 0; i < 50; i++ {
		p.master.clock.Advance(time.Millisecond)
	}
}

// same checks that the slave holds the master's log byte for byte and
// serves the same messages from every queue.
func (p *replicaPair) same() {
	p.t.Helper()
	ms, ss := p.master.s, p.slave.s
	if ms.MaxPhyOffset() != ss.MaxPhyOffset() {
		p.t.Fatalf("master ends at %d, slave at %d", ms.MaxPhyOffset(), ss.MaxPhyOffset())
	}
	n := 0
	err := ms.cl.Iterate(ss.MinPhyOffset(), ms.MaxPhyOffset(), func(_ *message.Record, off int64, size int) error {
		_, mb, err := ms.LookMessageByOffset(off)
		if err != nil {
			return err
		}
		_, sb, err := ss.LookMessageByOffset(off)
		if err != nil {
			p.t.Fatalf("slave lacks record at %d: %v", off, err)
		}
		if !bytes.Equal(mb, sb) {
			p.t.Fatalf("record at %d differs", off)
		}
		n++
		return nil
	})
	if err != nil {
		p.t.Fatal(err)
	}
	if n == 0 {
		p.t.Fatal("no records compared")
	}
	for topic, qids := range ms.Topics() {
		for _, q := range qids {
			if a, b := ms.MaxOffsetInQueue(topic, q), ss.MaxOffsetInQueue(topic, q); a != b {
				p.t.Fatalf("%s-%d: master max queue offset %d, slave %d", topic, q, a, b)
			}
			mr := ms.GetMessage(topic, q, ss.MinOffsetInQueue(topic, q), 1000, nil)
			sr := ss.GetMessage(topic, q, ss.MinOffsetInQueue(topic, q), 1000, nil)
			if mr.Status != sr.Status || !bytes.Equal(mr.Body(), sr.Body()) {
				p.t.Fatalf("%s-%d: master %v (%d bytes), slave %v (%d bytes)", topic, q, mr.Status, len(mr.Body()), sr.Status, len(sr.Body()))
			}
		}
	}
}

func TestReplicaCatchesUpAcrossSegments(t *testing.T) {
	p := newReplicaPair(t, config.AsyncFlush)
	p.fill(0, 300)
	if n := len(p.master.s.cl.Segments().Segments()); n < 3 {
		t.Fatalf("only %d master segments: the test crosses no segment boundary", n)
	}
	r := p.slave.s.NewReplica()
	p.copyAll(r, 32<<10, nil)
	p.same()
	// Live appends follow.
	p.fill(300, 50)
	p.copyAll(r, 32<<10, nil)
	p.same()
}

func TestReplicaBatchesCutAnywhere(t *testing.T) {
	// A Java master cuts batches at any byte: the slave holds the
	// partial record back and must end up the same.
	p := newReplicaPair(t, config.SyncFlush)
	p.fill(0, 200)
	rng := rand.New(rand.NewPCG(3, 4))
	r := p.slave.s.NewReplica()
	p.copyAllRaw(r, func(n int) int { return 1 + rng.IntN(min(n, 700)) })
	p.same()
	if p.slave.s.SyncedPhyOffset() != p.slave.s.MaxPhyOffset() {
		t.Fatalf("SYNC_FLUSH slave synced %d of %d", p.slave.s.SyncedPhyOffset(), p.slave.s.MaxPhyOffset())
	}
}

// copyAllRaw is copyAll with pieces that may end anywhere, so Pending is
// allowed between pieces (not between master batches).
func (p *replicaPair) copyAllRaw(r *Replica, cut func(n int) int) {
	p.t.Helper()
	for r.Offset() < p.master.s.MaxPhyOffset() {
		data, _, err := p.master.s.ReadReplica(r.Offset(), 32<<10)
		if err != nil || len(data) == 0 {
			p.t.Fatalf("read replica at %d: %d bytes, %v", r.Offset(), len(data), err)
		}
		off := r.Offset()
		for len(data) > 0 {
			n := min(max(cut(len(data)), 1), len(data))
			if err := r.Append(off, data[:n]); err != nil {
				p.t.Fatalf("append %d bytes at %d: %v", n, off, err)
			}
			// Completing a blank's header jumps to the next segment; a
			// batch ends with its blank.
			jumped := n == len(data) && r.Offset()%p.master.s.cl.SegmentSize() == 0
			if r.Offset() != off+int64(n) && !jumped {
				p.t.Fatalf("offset %d after appending %d bytes at %d", r.Offset(), n, off)
			}
			off += int64(n)
			data = data[n:]
		}
	}
	if r.Pending() != 0 {
		p.t.Fatalf("%d bytes pending at the end", r.Pending())
	}
	p.settle()
}

func TestReplicaRefusesWrongOffsetAndCorruption(t *testing.T) {
	p := newReplicaPair(t, config.AsyncFlush)
	p.fill(0, 20)
	r := p.slave.s.NewReplica()
	data, _, err := p.master.s.ReadReplica(0, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Append(100, data); !errors.Is(err, ErrReplicaOffset) {
		t.Fatalf("batch at the wrong offset: %v, want ErrReplicaOffset", err)
	}
	// Corrupt the 5th record's body: the first four land, the rest not.
	var ends []int64
	_ = p.master.s.cl.Iterate(0, p.master.s.MaxPhyOffset(), func(_ *message.Record, off int64, size int) error {
		ends = append(ends, off+int64(size))
		return nil
	})
	bad := append([]byte(nil), data...)
	bad[ends[4]-10] ^= 0x5a
	if err := r.Append(0, bad); !errors.Is(err, ErrReplicaCorrupt) {
		t.Fatalf("corrupt batch: %v, want ErrReplicaCorrupt", err)
	}
	if got := p.slave.s.MaxPhyOffset(); got != ends[3] {
		t.Fatalf("slave ends at %d after a corrupt 5th record, want %d", got, ends[3])
	}
	// A record moved to another offset (a master that lost its tail and
	// wrote new records where the slave's old ones are) is refused too.
	shifted := data[ends[3]:ends[4]]
	r2 := p.slave.s.NewReplica()
	if err := r2.Append(ends[3], data[ends[4]:ends[5]]); !errors.Is(err, ErrReplicaCorrupt) {
		t.Fatalf("record with another PHYSICALOFFSET: %v, want ErrReplicaCorrupt", err)
	}
	if err := r2.Append(ends[3], shifted); err != nil {
		t.Fatalf("the right record after a refusal: %v", err)
	}
	p.copyAll(r2, 4096, nil)
	p.same()
}

func TestReplicaSlaveRecoversAfterCrashAndPowerLoss(t *testing.T) {
	for _, fault := range []string{"crash", "powerloss"} {
		t.Run(fault, func(t *testing.T) {
			p := newReplicaPair(t, config.AsyncFlush)
			p.fill(0, 150)
			r := p.slave.s.NewReplica()
			p.copyAll(r, 8<<10, nil)
			synced := p.slave.s.SyncedPhyOffset()
			before := p.slave.s.MaxPhyOffset()
			// Half of a record in flight when the slave dies.
			p.fill(150, 10)
			data, _, _ := p.master.s.ReadReplica(r.Offset(), 1<<20)
			if err := r.Append(r.Offset(), data[:len(data)/2+3]); err != nil {
				t.Fatal(err)
			}
			if fault == "crash" {
				p.sdisk.Crash()
			} else {
				p.sdisk.PowerLoss()
			}
			p.slave.open()
			end := p.slave.s.MaxPhyOffset()
			if fault == "crash" && end < before {
				t.Fatalf("a process crash lost replicated bytes: end %d < %d", end, before)
			}
			if end < synced {
				t.Fatalf("recovery lost synced replicated bytes: end %d < synced %d", end, synced)
			}
			// The master resends from the slave's end; the slave ends
			// equal to the master.
			p.copyAll(p.slave.s.NewReplica(), 8<<10, nil)
			p.same()
		})
	}
}

func TestReadReplicaStopsAtBlank(t *testing.T) {
	p := newReplicaPair(t, config.AsyncFlush)
	p.fill(0, 200)
	segSize := p.master.s.cl.SegmentSize()
	end := p.master.s.MaxPhyOffset()
	blanks := 0
	for from := int64(0); from < end; {
		// A batch bigger than a segment: only the blank can stop it.
		data, next, err := p.master.s.ReadReplica(from, 2*int(segSize))
		if err != nil {
			t.Fatal(err)
		}
		if len(data) == 0 {
			t.Fatalf("empty batch at %d below the end %d", from, end)
		}
		if next == end {
			break
		}
		blankAt := from + int64(len(data)) - message.BlankSizeMin
		kind, size, err := message.Peek(data[len(data)-message.BlankSizeMin:])
		if err != nil || kind != message.KindBlank {
			t.Fatalf("batch [%d,%d) ends neither at the log end %d nor with a blank: %v %v", from, next, end, kind, err)
		}
		if (blankAt+int64(size))%segSize != 0 || blankAt/segSize != from/segSize {
			t.Fatalf("blank of %d at %d does not end the batch's segment", size, blankAt)
		}
		if next != blankAt+int64(size) {
			t.Fatalf("next %d after a blank of %d at %d", next, size, blankAt)
		}
		blanks++
		from = next
	}
	if blanks < 2 {
		t.Fatalf("%d batches ended at a blank, want at least 2", blanks)
	}
}

func TestReplicaFreshSlaveStartsAtMastersLastSegment(t *testing.T) {
	p := newReplicaPair(t, config.AsyncFlush)
	p.fill(0, 300)
	segs := p.master.s.cl.Segments().Segments()
	base := segs[len(segs)-1].Base
	if base == 0 {
		t.Fatal("master has one segment: nothing to skip")
	}
	r := p.slave.s.NewReplica()
	if err := r.Append(base+1, nil); !errors.Is(err, ErrReplicaOffset) {
		t.Fatalf("empty slave accepted a start off a segment boundary: %v", err)
	}
	data, _, err := p.master.s.ReadReplica(base, 32<<10)
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Append(base, data); err != nil {
		t.Fatalf("empty slave refused the master's last segment: %v", err)
	}
	p.copyAll(r, 32<<10, nil)
	if got := p.slave.s.MinPhyOffset(); got != base {
		t.Fatalf("slave log starts at %d, want %d", got, base)
	}
	p.same()
	// And it survives a restart starting there.
	p.sdisk.Crash()
	p.slave.open()
	p.fill(300, 20)
	p.copyAll(p.slave.s.NewReplica(), 32<<10, nil)
	p.same()
}

// TestReplicaNeverStoresACorruptByte: a byte flipped anywhere in what the
// master sends, cut into pieces anywhere, never reaches the slave's log:
// what the slave holds is always a byte-for-byte prefix of the master's.
func TestReplicaNeverStoresACorruptByte(t *testing.T) {
	p := newReplicaPair(t, config.AsyncFlush)
	p.fill(0, 120)
	end := p.master.s.MaxPhyOffset()
	var stream [][2]int64 // batches: start, next
	var all []byte
	for from := int64(0); from < end; {
		data, next, err := p.master.s.ReadReplica(from, 16<<10)
		if err != nil {
			t.Fatal(err)
		}
		stream = append(stream, [2]int64{from, int64(len(all))})
		all = append(all, data...)
		from = next
	}
	rng := rand.New(rand.NewPCG(11, 12))
	for round := range 40 {
		h := &harness{t: t, fs: memfs.New(0, uint64(round)), clock: p.master.clock, cfg: testConfig(config.AsyncFlush)}
		h.open()
		r := h.s.NewReplica()
		bad := append([]byte(nil), all...)
		flip := rng.IntN(len(bad))
		bad[flip] ^= byte(1 + rng.IntN(255))
		failed := false
		for i, b := range stream {
			stop := len(bad)
			if i+1 < len(stream) {
				stop = int(stream[i+1][1])
			}
			data, off := bad[b[1]:stop], b[0]
			for len(data) > 0 && !failed {
				n := min(1+rng.IntN(3000), len(data))
				if err := r.Append(off, data[:n]); err != nil {
					failed = true
				}
				off += int64(n)
				data = data[n:]
			}
			if failed {
				break
			}
		}
		if !failed {
			t.Fatalf("round %d: a byte flipped at %d of %d went unnoticed", round, flip, len(bad))
		}
		h.clock.Advance(10 * time.Millisecond)
		// Every record the slave holds is the master's, byte for byte.
		err := h.s.cl.Iterate(h.s.MinPhyOffset(), h.s.MaxPhyOffset(), func(_ *message.Record, off int64, size int) error {
			_, sb, err := h.s.LookMessageByOffset(off)
			if err != nil {
				return err
			}
			_, mb, err := p.master.s.LookMessageByOffset(off)
			if err != nil {
				return err
			}
			if !bytes.Equal(sb, mb) {
				t.Fatalf("round %d: slave record at %d differs from the master's", round, off)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		h.s.Close()
	}
}
