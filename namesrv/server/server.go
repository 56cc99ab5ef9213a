// Package server is the name server node: a runtime.Node that serves
// RocketMQ's name server requests over the remoting endpoint, keeps the route
// table, and expires silent brokers. Like every node it is single-threaded
// and event-driven; it never talks to other name servers.
package server

import (
	"fmt"
	"log/slog"
	"maps"
	"slices"

	"rocketsim/namesrv/kvconfig"
	"rocketsim/namesrv/routes"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Server is one name server.
type Server struct {
	rt    runtime.Runtime
	log   *slog.Logger
	cfg   Config
	ep    *remoting.Endpoint
	ln    runtime.Listener
	table *routes.Table
	kv    *kvconfig.Store
	scan  runtime.Timer
	// conns are the open inbound connections by id, so an expired broker's
	// connection can be closed, as Java closes its channel.
	conns   map[uint64]runtime.Conn
	stopped bool
}

// New returns the constructor a runtime uses to build the name server.
func New(cfg Config) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) { return Start(rt, cfg) }
}

// Start builds the name server on rt: it loads the KV config, listens, and
// arms the liveness scan.
func Start(rt runtime.Runtime, cfg Config) (*Server, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("namesrv config: %w", err)
	}
	kv, err := kvconfig.Open(rt.Disk(), cfg.KVConfigPath)
	if err != nil {
		return nil, fmt.Errorf("namesrv: %w", err)
	}
	s := &Server{
		rt:    rt,
		log:   rt.Log().With(slog.String("component", "namesrv")),
		cfg:   cfg,
		table: routes.New(),
		kv:    kv,
		conns: map[uint64]runtime.Conn{},
	}
	s.ep = remoting.NewEndpoint(rt, remoting.Options{
		MaxFrameSize: cfg.FrameMaxLength,
		OnConnect:    func(c runtime.Conn) { s.conns[c.ID()] = c },
		OnClose:      s.onClose,
	})
	s.register()
	ln, err := rt.Listen(cfg.ListenAddr(), s.ep.Accept)
	if err != nil {
		return nil, fmt.Errorf("namesrv: listen %s: %w", cfg.ListenAddr(), err)
	}
	s.ln = ln
	s.armScan()
	s.log.Info("name server started", slog.String("addr", ln.Addr()))
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() string { return s.ln.Addr() }

// Table exposes the route table to tests and tools on the node's loop.
func (s *Server) Table() *routes.Table { return s.table }

// Stop closes the listener and every connection and cancels the scan.
func (s *Server) Stop() {
	if s.stopped {
		return
	}
	s.stopped = true
	s.scan.Stop()
	_ = s.ln.Close()
	for _, id := range slices.Sorted(maps.Keys(s.conns)) {
		_ = s.conns[id].Close()
	}
	s.ep.Close()
	s.log.Info("name server stopped")
}

func (s *Server) armScan() {
	s.scan = s.rt.AfterFunc(s.cfg.ScanNotActiveBrokerInterval, func() {
		if s.stopped {
			return
		}
		s.scanNotActiveBrokers()
		s.closeIdleConns()
		s.armScan()
	})
}

// scanNotActiveBrokers drops brokers silent for BrokerChannelExpiredTime and
// closes their connections.
func (s *Server) scanNotActiveBrokers() {
	for _, l := range s.table.Expire(s.rt.Monotonic(), s.cfg.BrokerChannelExpiredTime) {
		s.log.Warn("broker expired", slog.String("broker", l.Addr),
			slog.Duration("silent", s.rt.Monotonic()-l.LastUpdate))
		if c, ok := s.conns[l.ConnID]; ok {
			_ = c.Close()
		}
	}
}

// closeIdleConns closes connections silent both ways for
// ServerChannelMaxIdleTime, so dead peers do not hold sockets forever.
func (s *Server) closeIdleConns() {
	for _, c := range s.ep.IdleConns(s.cfg.ServerChannelMaxIdleTime) {
		s.log.Info("closing idle connection", slog.String("peer", c.RemoteAddr()),
			slog.Duration("idle", s.cfg.ServerChannelMaxIdleTime))
		_ = c.Close()
	}
}

func (s *Server) onClose(c runtime.Conn, err error) {
	delete(s.conns, c.ID())
	for _, addr := range s.table.ConnClosed(c.ID()) {
		s.log.Info("broker connection closed; broker removed", slog.String("broker", addr), slog.Any("err", err))
	}
}
