package pingpong

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Server logs every request durably before acknowledging it.
type Server struct {
	rt  runtime.Runtime
	cfg Config
	lis runtime.Listener
	log runtime.File
	// end is where the next record goes: the log's valid length. A failed
	// write does not move it, so the next record overwrites any partial one.
	end int64
	// recovered is what the log held when this incarnation started.
	recovered []Record
	stopped   bool
	bugs      Bugs

	// synced is the log's durable prefix: the end of the last successful
	// fsync. syncing says one is running; waiting are the requests it (or
	// the next one) will acknowledge, in log order.
	synced  int64
	syncing bool
	waiting []waiter
	// flusher is the async mode's periodic fsync timer.
	flusher runtime.Timer
}

// Bugs are deliberate defects a test can plant in the server to show that
// the checker catches them. Scenario files cannot set them.
type Bugs struct {
	// AckBeforeSync acknowledges as soon as the record is in the page
	// cache and never fsyncs: a power loss loses acknowledged requests.
	AckBeforeSync bool
	// LogPhantom logs a second record no client sent with every request.
	LogPhantom bool
	// RetryFsyncBlindly does not rewrite the unsynced range after a failed
	// fsync: with a disk that drops dirty pages on a failed fsync (as Linux
	// does), acknowledged records after the hole are lost on recovery.
	RetryFsyncBlindly bool
}

// NewServer returns a runtime.NewNode that recovers the log on the node's
// disk and listens on cfg.Port of the node's host.
func NewServer(cfg Config, host string) runtime.NewNode {
	return NewServerWith(cfg, host, Bugs{})
}

// NewServerWith is NewServer with planted bugs, for tests of the checker.
func NewServerWith(cfg Config, host string, bugs Bugs) runtime.NewNode {
	cfg = cfg.WithDefaults()
	return func(rt runtime.Runtime) (runtime.Node, error) {
		s := &Server{rt: rt, cfg: cfg, bugs: bugs}
		if err := s.open(); err != nil {
			return nil, err
		}
		addr := host + ":" + strconv.Itoa(cfg.Port)
		lis, err := rt.Listen(addr, s.accept)
		if err != nil {
			s.log.Close()
			return nil, fmt.Errorf("pingpong server: listen on %s: %w", addr, err)
		}
		s.lis = lis
		if cfg.Flush == FlushAsync {
			s.flusher = rt.AfterFunc(cfg.FlushInterval, s.flush)
		}
		return s, nil
	}
}

func (s *Server) open() error {
	f, err := s.rt.Disk().Open(LogName, runtime.ReadWrite|runtime.Create)
	if err != nil {
		return fmt.Errorf("pingpong server: open %s: %w", LogName, err)
	}
	recs, end, err := recoverLog(f)
	if err != nil {
		f.Close()
		return fmt.Errorf("pingpong server: recover: %w", err)
	}
	// Cut the torn tail so later records never follow garbage.
	if size, err := f.Size(); err == nil && size > end {
		if err := f.Truncate(end); err != nil {
			f.Close()
			return fmt.Errorf("pingpong server: truncate torn tail at %d: %w", end, err)
		}
		s.rt.Log().Info("pingpong: cut torn tail", slog.Int64("from", size), slog.Int64("to", end))
	}
	// What survived a process crash may still be only in the page cache.
	// Make it durable before building on it. If that fails, the failed
	// fsync may have dropped those pages (marked clean, never written):
	// rewrite the whole log from the page cache so the next fsync writes
	// it, as after any failed fsync. Without the rewrite, records
	// acknowledged later sit behind a hole and a power loss takes them.
	s.log, s.end, s.synced, s.recovered = f, end, end, recs
	if err := f.Sync(); err != nil {
		s.rt.Log().Warn("pingpong: fsync after recovery failed", slog.Any("err", err))
		s.synced = 0
		s.rewriteUnsynced()
	}
	return nil
}

// Recovered returns the records the log held when this incarnation started:
// after a power loss, exactly what had been synced.
func (s *Server) Recovered() []Record { return s.recovered }

// Stop closes the listener and the log.
func (s *Server) Stop() {
	s.stopped = true
	if s.flusher != nil {
		s.flusher.Stop()
	}
	if s.lis != nil {
		s.lis.Close()
	}
	if s.log != nil {
		s.log.Close()
	}
}

func (s *Server) accept(c runtime.Conn) runtime.ConnHandler { return serverConn{s} }

// serverConn handles one accepted connection.
type serverConn struct{ s *Server }

func (serverConn) OnConnect(runtime.Conn)      {}
func (serverConn) OnClose(runtime.Conn, error) {}

func (h serverConn) OnFrame(c runtime.Conn, frame []byte) {
	s := h.s
	if s.stopped {
		return
	}
	hdr, err := decodeFrame(frame)
	if err == nil && (hdr.Code != CodePing || hdr.IsResponse()) {
		err = fmt.Errorf("unexpected command %v", hdr)
	}
	var rec Record
	if err == nil {
		rec, err = parseRequest(hdr)
	}
	if err != nil {
		// A peer that sends garbage is not one we can answer sensibly.
		s.rt.Log().Warn("pingpong: bad request, closing", slog.Uint64("conn", c.ID()), slog.Any("err", err))
		c.Close()
		return
	}
	if _, err := s.log.WriteAt(rec.encode(), s.end); err != nil {
		// Nothing valid was written: a partial record fails its checksum
		// and the next write overwrites it.
		reply(c, hdr.Opaque, CodeFailed, err.Error())
		return
	}
	s.end += recordSize
	if s.bugs.LogPhantom {
		phantom := Record{Session: rec.Session ^ 0x5A5A, Seq: rec.Seq}
		if _, err := s.log.WriteAt(phantom.encode(), s.end); err == nil {
			s.end += recordSize
		}
	}
	if s.bugs.AckBeforeSync {
		reply(c, hdr.Opaque, CodeOK, "")
		return
	}
	if s.cfg.Flush == FlushAsync {
		// ASYNC_FLUSH: in the page cache is good enough; the flusher
		// makes it durable within a flush interval, unless the power
		// goes first.
		reply(c, hdr.Opaque, CodeOK, "")
		return
	}
	if len(s.waiting) >= waitingMax {
		// More unacknowledged requests than any client window allows: a
		// stuck fsync. Refuse rather than grow without bound; the record
		// may still become durable, so the outcome is unknown.
		reply(c, hdr.Opaque, CodeUnknown, "too many requests waiting for fsync")
		return
	}
	s.waiting = append(s.waiting, waiter{conn: c, opaque: hdr.Opaque, end: s.end})
	s.sync()
}

// flush is the async mode's periodic fsync: one at a time, like sync's.
func (s *Server) flush() {
	if s.stopped {
		return
	}
	s.flusher = s.rt.AfterFunc(s.cfg.FlushInterval, s.flush)
	if s.syncing || s.synced >= s.end {
		return
	}
	s.syncing = true
	target, f := s.end, s.log
	f.SyncAsync(func(err error) {
		if s.stopped || s.log != f {
			return
		}
		s.syncing = false
		if err != nil {
			s.fsyncFailed(target, err)
			return
		}
		s.synced = max(s.synced, target)
	})
}

// waitingMax bounds the requests waiting for an fsync.
const waitingMax = 1 << 16

// waiter is a request whose record ends at end and is not yet durable.
type waiter struct {
	conn   runtime.Conn
	opaque int32
	end    int64
}

// sync starts an fsync unless one is running: group commit. One fsync at a
// time keeps the durable prefix simple to reason about: when it succeeds,
// every byte below the end it was started at is on the media.
func (s *Server) sync() {
	if s.syncing || len(s.waiting) == 0 {
		return
	}
	s.syncing = true
	target := s.end
	f := s.log
	f.SyncAsync(func(err error) {
		if s.stopped || s.log != f {
			return
		}
		s.syncing = false
		if err != nil {
			s.fsyncFailed(target, err)
		} else {
			s.synced = max(s.synced, target)
			n := 0
			for _, w := range s.waiting {
				if w.end <= target {
					reply(w.conn, w.opaque, CodeOK, "")
					n++
				}
			}
			s.waiting = s.waiting[n:]
		}
		s.sync()
	})
}

// fsyncFailed answers the requests the failed fsync covered as unknown and
// makes the unsynced range dirty again. After a failed fsync Linux may mark
// the pages clean without writing them; retrying the fsync would then
// "succeed" with the records missing from the media, and a later record
// acknowledged on top of that hole would be lost on recovery. Rewriting the
// range from the page cache (which still reads correctly) closes the hole.
func (s *Server) fsyncFailed(target int64, err error) {
	s.rt.Log().Warn("pingpong: fsync failed", slog.Int64("synced", s.synced), slog.Int64("target", target), slog.Any("err", err))
	n := 0
	for _, w := range s.waiting {
		if w.end <= target {
			reply(w.conn, w.opaque, CodeUnknown, err.Error())
			n++
		}
	}
	s.waiting = s.waiting[n:]
	if s.bugs.RetryFsyncBlindly {
		return
	}
	s.rewriteUnsynced()
}

// rewriteUnsynced writes [synced, end) again from the page cache, so that
// pages a failed fsync marked clean without writing are dirty again and
// the next fsync writes them.
func (s *Server) rewriteUnsynced() {
	if s.synced >= s.end {
		return
	}
	buf := make([]byte, s.end-s.synced)
	if _, err := s.log.ReadAt(buf, s.synced); err != nil {
		panic(fmt.Sprintf("pingpong: re-read of written log range [%d, %d): %v", s.synced, s.end, err))
	}
	if _, err := s.log.WriteAt(buf, s.synced); err != nil {
		// Overwriting needs no new space, so only a dying disk gets
		// here. Anything not yet acknowledged stays unacknowledged.
		s.rt.Log().Error("pingpong: rewrite after failed fsync", slog.Any("err", err))
	}
}

func reply(c runtime.Conn, opaque int32, code int16, remark string) {
	resp := remoting.NewResponse(&remoting.Command{Opaque: opaque}, code, remark)
	err := c.Send(encodeFrame(resp))
	if err != nil && !errors.Is(err, runtime.ErrClosed) && !errors.Is(err, runtime.ErrSendQueueFull) {
		panic(fmt.Sprintf("pingpong: send returned an error the runtime does not document: %v", err))
	}
}

// parseRequest reads the session and seq of a ping. The body carries them
// again in binary so a corrupted body cannot pass as a valid request.
func parseRequest(h *remoting.Command) (Record, error) {
	body := h.Body
	session, err := strconv.ParseUint(h.ExtFields["session"], 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("session: %w", err)
	}
	seq, err := strconv.ParseUint(h.ExtFields["seq"], 10, 64)
	if err != nil {
		return Record{}, fmt.Errorf("seq: %w", err)
	}
	if len(body) < 16 || binary.BigEndian.Uint64(body) != session || binary.BigEndian.Uint64(body[8:]) != seq {
		return Record{}, fmt.Errorf("body does not repeat session %d seq %d", session, seq)
	}
	return Record{Session: session, Seq: seq}, nil
}
