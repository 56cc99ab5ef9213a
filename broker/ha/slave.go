package ha

import (
	"fmt"
	"log/slog"
	"time"

	"rocketsim/broker/store"
	"rocketsim/runtime"
)

// SlaveLog is what the slave needs of its store.
type SlaveLog interface {
	MaxPhyOffset() int64
	NewReplica() *store.Replica
}

// Slave is a slave's HA client (Java HAClient): it keeps one connection
// to the master's HA port, reports its offset and appends what it gets.
type Slave struct {
	rt  runtime.Runtime
	log *slog.Logger
	cfg Config
	st  SlaveLog

	masterAddr string
	conn       runtime.Conn
	h          *slaveConn // handler of conn
	// redial is the pending reconnect; tick the periodic heartbeat and
	// housekeeping of a connection.
	redial runtime.Timer
	closed bool

	Stats SlaveStats
}

// SlaveStats counts what the slave did, for tests and reports.
type SlaveStats struct {
	Dials, Connects, Batches, Heartbeats, Bytes, Reports int64
	// Refused counts batches refused (wrong offset, invalid record).
	Refused int64
}

// NewSlave makes a slave's HA client appending to st. It dials once a
// master address is known (SetMasterAddr).
func NewSlave(rt runtime.Runtime, st SlaveLog, cfg Config) *Slave {
	if cfg.ReconnectDelay <= 0 {
		cfg.ReconnectDelay = ReconnectDelayDefault
	}
	return &Slave{rt: rt, log: rt.Log().With(slog.String("component", "ha-slave")), cfg: cfg, st: st}
}

// MasterAddr is the master's HA address the slave follows.
func (s *Slave) MasterAddr() string { return s.masterAddr }

// Connected reports whether a connection to the master is up.
func (s *Slave) Connected() bool { return s.h != nil && s.h.up }

// SetMasterAddr sets (haMasterAddress) or updates (learned from the name
// server's register answer) the master's HA address; a change drops the
// connection to the old one.
func (s *Slave) SetMasterAddr(addr string) {
	if s.closed || addr == s.masterAddr {
		return
	}
	s.log.Info("following master", slog.String("master", addr), slog.String("was", s.masterAddr))
	s.masterAddr = addr
	s.drop(nil)
	if addr != "" {
		s.dial()
	}
}

// Close drops the connection and stops reconnecting.
func (s *Slave) Close() {
	s.closed = true
	if s.redial != nil {
		s.redial.Stop()
		s.redial = nil
	}
	s.drop(nil)
}

func (s *Slave) dial() {
	if s.closed || s.masterAddr == "" || s.conn != nil {
		return
	}
	if s.redial != nil {
		s.redial.Stop()
		s.redial = nil
	}
	s.Stats.Dials++
	h := &slaveConn{s: s, rep: nil}
	s.h = h
	s.conn = s.rt.Dial(s.masterAddr, h)
	h.c = s.conn
}

// drop closes the current connection, if any; err says why.
func (s *Slave) drop(err error) {
	h := s.h
	if h == nil {
		return
	}
	h.forget(err)
	h.c.Close()
}

// scheduleRedial reconnects after ReconnectDelay.
func (s *Slave) scheduleRedial() {
	if s.closed || s.masterAddr == "" || s.redial != nil {
		return
	}
	s.redial = s.rt.AfterFunc(s.cfg.ReconnectDelay, func() {
		s.redial = nil
		s.dial()
	})
}

// slaveConn is one connection to the master.
type slaveConn struct {
	s   *Slave
	c   runtime.Conn
	rep *store.Replica
	up  bool
	// done: this connection is over (a later one may exist).
	done                bool
	lastRead, lastWrite time.Duration
	reported            int64
	timer               runtime.Timer
}

func (h *slaveConn) OnConnect(runtime.Conn) {
	if h.done {
		return
	}
	s := h.s
	h.up = true
	s.Stats.Connects++
	h.rep = s.st.NewReplica()
	now := s.rt.Monotonic()
	h.lastRead, h.lastWrite = now, now
	s.log.Info("connected to master", slog.String("master", s.masterAddr), slog.Int64("offset", s.st.MaxPhyOffset()))
	h.report()
	h.arm()
}

// report sends the slave's max offset.
func (h *slaveConn) report() {
	off := h.s.st.MaxPhyOffset()
	if err := h.c.Send(appendReport(nil, off)); err != nil {
		return // OnClose follows, or the next tick retries
	}
	h.s.Stats.Reports++
	h.reported = off
	h.lastWrite = h.s.rt.Monotonic()
}

func (h *slaveConn) OnFrame(_ runtime.Conn, f []byte) {
	if h.done {
		return
	}
	s := h.s
	start, data, err := parseBatch(f)
	if err != nil {
		s.Stats.Refused++
		h.s.drop(fmt.Errorf("ha: from master %s: %w", s.masterAddr, err))
		return
	}
	h.lastRead = s.rt.Monotonic()
	if len(data) == 0 {
		s.Stats.Heartbeats++
		// Java checks a heartbeat's offset too; an empty log accepts
		// any start.
		if s.st.MaxPhyOffset() != 0 && start != h.rep.Offset() {
			s.Stats.Refused++
			s.drop(fmt.Errorf("ha: master %s heartbeat at %d, slave is at %d: %w", s.masterAddr, start, h.rep.Offset(), store.ErrReplicaOffset))
		}
		return
	}
	if err := h.rep.Append(start, data); err != nil {
		s.Stats.Refused++
		s.drop(fmt.Errorf("ha: from master %s: %w", s.masterAddr, err))
		// What was valid of the batch is stored: say so next time.
		return
	}
	s.Stats.Batches++
	s.Stats.Bytes += int64(len(data))
	if s.st.MaxPhyOffset() != h.reported {
		h.report()
	}
}

func (h *slaveConn) arm() {
	d := min(h.s.cfg.HeartbeatInterval, h.s.cfg.HousekeepingInterval)
	h.timer = h.s.rt.AfterFunc(d, h.tick)
}

func (h *slaveConn) tick() {
	if h.done {
		return
	}
	s := h.s
	now := s.rt.Monotonic()
	if now-h.lastRead > s.cfg.HousekeepingInterval {
		s.drop(fmt.Errorf("ha: master %s silent for %v: %w", s.masterAddr, now-h.lastRead, runtime.ErrTimeout))
		return
	}
	if now-h.lastWrite >= s.cfg.HeartbeatInterval || s.st.MaxPhyOffset() != h.reported {
		h.report()
	}
	h.arm()
}

func (h *slaveConn) OnClose(_ runtime.Conn, err error) {
	if h.done {
		return
	}
	if err == nil {
		err = fmt.Errorf("ha: master %s closed the connection", h.s.masterAddr)
	}
	h.forget(err)
}

// forget ends this connection's life on the slave and plans a reconnect.
func (h *slaveConn) forget(err error) {
	if h.done {
		return
	}
	h.done = true
	s := h.s
	if h.timer != nil {
		h.timer.Stop()
	}
	if s.h == h {
		s.h, s.conn = nil, nil
	}
	if err != nil {
		s.log.Warn("connection to master lost", slog.String("master", s.masterAddr), slog.Any("err", err))
	}
	s.scheduleRedial()
}
