package ha

import (
	"fmt"
	"log/slog"
	"sort"
	"time"

	"rocketsim/runtime"
)

// Log is what the master reads from its store.
type Log interface {
	// ReadReplica returns whole records from `from` (see store.ReadReplica).
	ReadReplica(from int64, maxBytes int) (data []byte, next int64, err error)
	MaxPhyOffset() int64
	CommitLogSegmentSize() int64
}

// Config is the HA part of the broker's configuration (Java
// MessageStoreConfig's ha* keys).
type Config struct {
	// HeartbeatInterval: haSendHeartbeatInterval. A side that wrote
	// nothing for this long sends a heartbeat (the master an empty batch,
	// the slave its offset).
	HeartbeatInterval time.Duration
	// HousekeepingInterval: haHousekeepingInterval. A side that heard
	// nothing for this long drops the connection.
	HousekeepingInterval time.Duration
	// TransferBatchSize: haTransferBatchSize, the most bytes per batch
	// (a single bigger record goes whole).
	TransferBatchSize int
	// SlaveFallbehindMax: haSlaveFallbehindMax. A SYNC_MASTER put is
	// answered SLAVE_NOT_AVAILABLE at once when the slaves' acknowledged
	// offset trails the record's end by this much or more.
	SlaveFallbehindMax int64
	// ReconnectDelay paces a slave's reconnects (Java's HAClient waits
	// 5 s after a failed connect).
	ReconnectDelay time.Duration
}

// DefaultConfig is Java's defaults.
func DefaultConfig() Config {
	return Config{HeartbeatInterval: 5 * time.Second, HousekeepingInterval: 20 * time.Second,
		TransferBatchSize: 32 << 10, SlaveFallbehindMax: 256 << 20, ReconnectDelay: ReconnectDelayDefault}
}

// ReconnectDelayDefault is Java HAClient's wait after a failed connect.
const ReconnectDelayDefault = 5 * time.Second

// transferWindowMax bounds the bytes a master sends a slave beyond what
// the slave acknowledged. Java relies on the socket buffer; our runtime's
// send queue would only refuse frames, so the window keeps a slow slave
// from filling it and costs the master no memory beyond one batch.
const transferWindowMax = 4 << 20

// Master is a master's HA service: it accepts slaves and streams the log.
type Master struct {
	rt  runtime.Runtime
	log *slog.Logger
	cfg Config
	st  Log
	ln  runtime.Listener

	conns map[uint64]*masterConn
	// acked is the highest offset a slave acknowledged that counts for
	// SYNC_MASTER (Java push2SlaveMaxOffset; never lowered).
	acked   int64
	waiters waitQueue
	// pumpPosted: a transfer to every slave is queued on the loop.
	pumpPosted bool
	pumpFn     func()
	closed     bool

	Stats MasterStats
}

// MasterStats counts what the master did, for tests and reports.
type MasterStats struct {
	Accepted, Dropped, Batches, Heartbeats, Bytes int64
	// Diverged counts slaves that reported an offset the master does not
	// hold as a record start (ahead of it, or inside a record).
	Diverged int64
	// SlaveTimeouts and NotAvailable count SYNC_MASTER puts answered
	// FLUSH_SLAVE_TIMEOUT and SLAVE_NOT_AVAILABLE.
	SlaveTimeouts, NotAvailable int64
}

// NewMaster makes a master's HA service over st. Call Listen to accept
// slaves.
func NewMaster(rt runtime.Runtime, st Log, cfg Config) *Master {
	m := &Master{rt: rt, log: rt.Log().With(slog.String("component", "ha-master")), cfg: cfg, st: st,
		conns: map[uint64]*masterConn{}}
	m.pumpFn = m.pumpAll
	m.waiters.m = m
	return m
}

// Listen accepts slaves on addr ("host:port").
func (m *Master) Listen(addr string) error {
	ln, err := m.rt.Listen(addr, m.accept)
	if err != nil {
		return fmt.Errorf("ha: listen on %s: %w", addr, err)
	}
	m.ln = ln
	m.log.Info("HA service listening", slog.String("addr", ln.Addr()))
	return nil
}

// Addr is the address slaves dial (haServerAddr), once listening.
func (m *Master) Addr() string {
	if m.ln == nil {
		return ""
	}
	return m.ln.Addr()
}

// Close stops accepting, drops every slave and fails every waiting put.
func (m *Master) Close() {
	if m.closed {
		return
	}
	m.closed = true
	if m.ln != nil {
		m.ln.Close()
	}
	for _, c := range m.sortedConns() {
		c.close(nil)
	}
	m.waiters.failAll()
}

// Notify says the log grew: every slave gets the new bytes one loop turn
// later, so the puts of one turn share a batch.
func (m *Master) Notify() {
	if m.pumpPosted || m.closed || len(m.conns) == 0 {
		return
	}
	m.pumpPosted = true
	m.rt.Post(m.pumpFn)
}

func (m *Master) pumpAll() {
	m.pumpPosted = false
	for _, c := range m.sortedConns() {
		c.pump()
	}
}

// SlaveAcked is the highest acknowledged offset that counts.
func (m *Master) SlaveAcked() int64 { return m.acked }

// Slaves is the number of connected slaves whose reports count.
func (m *Master) Slaves() int {
	n := 0
	for _, c := range m.conns {
		if c.trusted {
			n++
		}
	}
	return n
}

// SlaveOK is Java's isSlaveOK: a slave is connected and the acknowledged
// offset trails end by less than haSlaveFallbehindMax.
func (m *Master) SlaveOK(end int64) bool {
	return m.Slaves() > 0 && end-m.acked < m.cfg.SlaveFallbehindMax
}

// WaitSlave calls done(true) once a slave acknowledged end, or
// done(false) after timeout (FLUSH_SLAVE_TIMEOUT). Callers check SlaveOK
// first (SLAVE_NOT_AVAILABLE).
func (m *Master) WaitSlave(end int64, timeout time.Duration, done func(ok bool)) {
	if m.closed {
		done(false)
		return
	}
	if end <= m.acked {
		done(true)
		return
	}
	m.waiters.add(end, m.rt.Monotonic()+timeout, done)
	m.Notify()
}

func (m *Master) sortedConns() []*masterConn {
	ids := make([]uint64, 0, len(m.conns))
	for id := range m.conns {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := make([]*masterConn, len(ids))
	for i, id := range ids {
		out[i] = m.conns[id]
	}
	return out
}

func (m *Master) accept(c runtime.Conn) runtime.ConnHandler {
	if m.closed {
		c.Close()
		return &masterConn{m: m, done: true}
	}
	now := m.rt.Monotonic()
	mc := &masterConn{m: m, c: c, next: -1, lastRead: now, lastWrite: now}
	m.conns[c.ID()] = mc
	m.Stats.Accepted++
	m.log.Info("slave connected", slog.String("slave", c.RemoteAddr()))
	mc.arm()
	return mc
}

// ack records a slave's acknowledgement that counts.
func (m *Master) ack(off int64) {
	if off > m.acked {
		m.acked = off
		m.waiters.answer(off)
	}
}

// masterConn is one slave's connection (Java HAConnection).
type masterConn struct {
	m *Master
	c runtime.Conn
	// next is the offset the next batch starts at; -1 until the slave's
	// first report.
	next int64
	// reported is the slave's last report; trusted says whether its
	// reports count (see the package comment).
	reported int64
	trusted  bool
	// sent is the end of the data sent on this connection: a report
	// counts only up to it.
	sent                int64
	lastRead, lastWrite time.Duration
	timer               runtime.Timer
	done                bool
}

func (c *masterConn) OnConnect(runtime.Conn) {}

func (c *masterConn) OnFrame(_ runtime.Conn, f []byte) {
	if c.done {
		return
	}
	off, err := parseReport(f)
	if err != nil {
		c.close(fmt.Errorf("ha: slave %s: %w", c.c.RemoteAddr(), err))
		return
	}
	c.lastRead = c.m.rt.Monotonic()
	if c.next < 0 {
		c.start(off)
		if c.done {
			return
		}
	} else if c.trusted && off <= c.sent {
		c.m.ack(off)
	}
	c.reported = off
	c.pump()
}

// start places the transfer after the slave's first report.
func (c *masterConn) start(off int64) {
	m := c.m
	end := m.st.MaxPhyOffset()
	switch {
	case off == 0:
		seg := m.st.CommitLogSegmentSize()
		c.next = end - end%seg
		c.sent, c.trusted = c.next, true
	case off > end:
		// The slave has bytes the master does not: the master lost its
		// tail, or the slave was another master's. Java streams from
		// the slave's offset once the master gets there; the bytes then
		// are not the slave's records. Heartbeats only, no acks.
		c.next = off
		m.Stats.Diverged++
		m.log.Error("slave is ahead of the master: its reports will not count for SYNC_MASTER",
			slog.String("slave", c.c.RemoteAddr()), slog.Int64("slaveOffset", off), slog.Int64("masterOffset", end))
	default:
		if off < end {
			if _, _, err := m.st.ReadReplica(off, 1); err != nil {
				m.Stats.Diverged++
				c.close(fmt.Errorf("ha: slave %s reports offset %d, not a record start on the master: %w", c.c.RemoteAddr(), off, err))
				return
			}
		}
		c.next, c.sent, c.trusted = off, off, true
		m.ack(off)
	}
	m.log.Info("slave transfer starts", slog.String("slave", c.c.RemoteAddr()),
		slog.Int64("from", c.next), slog.Int64("masterOffset", end), slog.Bool("trusted", c.trusted))
}

// pump sends batches while there is data and the window allows.
func (c *masterConn) pump() {
	m := c.m
	if c.done || c.next < 0 {
		return
	}
	for c.next < m.st.MaxPhyOffset() && c.next-c.reported < transferWindowMax {
		size := m.cfg.TransferBatchSize
		if runtime.Buggify(m.rt, "ha/batch-one") {
			// One record per batch: any batch size is legal, and the
			// slave's acknowledgements then move in the smallest steps.
			size = 1
		}
		data, next, err := m.st.ReadReplica(c.next, size)
		if err != nil {
			c.close(fmt.Errorf("ha: read the log for slave %s at %d: %w", c.c.RemoteAddr(), c.next, err))
			return
		}
		if len(data) == 0 {
			return
		}
		if err := c.c.Send(appendBatch(make([]byte, 0, lengthSize+batchHeaderSize+len(data)), c.next, data)); err != nil {
			// A full send queue waits for the slave's next report;
			// a closed connection reports OnClose.
			return
		}
		m.Stats.Batches++
		m.Stats.Bytes += int64(len(data))
		c.lastWrite = m.rt.Monotonic()
		c.next = next
		c.sent = max(c.sent, next)
	}
}

// arm runs the connection's housekeeping every heartbeat interval.
func (c *masterConn) arm() {
	d := min(c.m.cfg.HeartbeatInterval, c.m.cfg.HousekeepingInterval)
	c.timer = c.m.rt.AfterFunc(d, c.tick)
}

func (c *masterConn) tick() {
	if c.done {
		return
	}
	now := c.m.rt.Monotonic()
	if now-c.lastRead > c.m.cfg.HousekeepingInterval {
		c.close(fmt.Errorf("ha: slave %s silent for %v: %w", c.c.RemoteAddr(), now-c.lastRead, runtime.ErrTimeout))
		return
	}
	c.pump()
	if c.next >= 0 && now-c.lastWrite >= c.m.cfg.HeartbeatInterval {
		if err := c.c.Send(appendBatch(nil, c.next, nil)); err == nil {
			c.m.Stats.Heartbeats++
			c.lastWrite = now
		}
	}
	c.arm()
}

func (c *masterConn) OnClose(_ runtime.Conn, err error) {
	if c.done {
		return
	}
	c.forget(err)
}

// close drops the connection; err says why (nil: our own shutdown).
func (c *masterConn) close(err error) {
	if c.done {
		return
	}
	c.forget(err)
	c.c.Close()
}

func (c *masterConn) forget(err error) {
	c.done = true
	if c.timer != nil {
		c.timer.Stop()
	}
	delete(c.m.conns, c.c.ID())
	c.m.Stats.Dropped++
	if err != nil {
		c.m.log.Warn("slave connection closed", slog.String("slave", c.c.RemoteAddr()), slog.Any("err", err))
	} else {
		c.m.log.Info("slave connection closed", slog.String("slave", c.c.RemoteAddr()))
	}
}
