// Package server is the broker node: a runtime.Node that serves RocketMQ 4.x
// broker requests (send, pull with long polling, consumer offsets,
// heartbeats, queue locks, retry and dead-letter, queries and admin) over the
// remoting endpoint, on top of the message store, the topic and subscription
// group tables and the consumer offset table, and keeps itself registered
// with every name server.
//
// Like every node it is single-threaded and event-driven: handlers update
// state and ask the runtime for effects; nothing here touches the clock,
// disk, network or randomness except through the runtime.
package server

import (
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"time"

	"rocketsim/broker/bugs"
	"rocketsim/broker/client"
	"rocketsim/broker/config"
	"rocketsim/broker/ha"
	"rocketsim/broker/lock"
	"rocketsim/broker/longpoll"
	"rocketsim/broker/offset"
	"rocketsim/broker/schedule"
	"rocketsim/broker/store"
	"rocketsim/broker/store/message"
	"rocketsim/broker/subscription"
	"rocketsim/broker/topic"
	"rocketsim/broker/transaction"
	"rocketsim/namesrv/registrar"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Periods of the broker's housekeeping.
const (
	// clientScanInterval is how often connections without a recent
	// heartbeat are looked for (Java ClientHousekeepingService, 10 s).
	clientScanInterval = 10 * time.Second
	// ChannelExpiredTimeoutDefault drops a client that sent no heartbeat
	// for this long when the configuration leaves it zero (Java 120 s).
	ChannelExpiredTimeoutDefault = 120 * time.Second
)

// Broker is one broker node.
type Broker struct {
	rt  runtime.Runtime
	log *slog.Logger
	cfg config.Config

	addr      string
	storeHost message.Addr
	ep        *remoting.Endpoint
	ln        runtime.Listener
	conns     map[uint64]runtime.Conn
	// bornHostLast is the last sender address bornHost parsed.
	bornHostLast struct {
		text string
		addr message.Addr
	}

	store   *store.Store
	topics  *topic.Table
	groups  *subscription.Table
	offsets *offset.Table
	clients *client.Tables
	locks   *lock.Table
	holds   *longpoll.Holds
	sched   *schedule.Service
	txn     *transaction.Service
	bugs    *bugs.Set // test-only fault switches (NewWithBugs); nil in production
	reg     *registrar.Registrar
	// Replication (ha.go): the master's HA service or the slave's client.
	haMaster *ha.Master
	haSlave  *ha.Slave
	slave    slaveSync

	// sendsWaiting counts puts not yet answered by the store (under
	// SYNC_FLUSH: waiting for their fsync); SendThreadPoolQueueCapacity
	// bounds it.
	sendsWaiting int

	flushTimer runtime.Timer
	scanTimer  runtime.Timer
	bootTime   time.Time
	stats      Stats
	stopped    bool
}

// Stats counts what the broker served, for GET_BROKER_RUNTIME_INFO and tests.
type Stats struct {
	PutMessages, GetMessages, SendRefused, PullsHeld, PullsWoken int64
	// Registrations counts name server registrations that succeeded.
	Registrations int64
	// SlavePutsRefused counts puts a slave refused from its own services
	// (a slave's log is its master's copy): none is expected.
	SlavePutsRefused int64
}

// New returns the constructor a runtime uses to build the broker.
func New(cfg config.Config) runtime.NewNode {
	return func(rt runtime.Runtime) (runtime.Node, error) { return Start(rt, cfg) }
}

// Start builds the broker on rt: it listens on brokerIP1:listenPort, opens
// the store and the tables (recovering them after a crash), and starts
// registering with the name servers.
func Start(rt runtime.Runtime, cfg config.Config) (*Broker, error) {
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("broker config: %w", err)
	}
	if cfg.ChannelExpiredTimeout <= 0 {
		cfg.ChannelExpiredTimeout = ChannelExpiredTimeoutDefault
	}
	b := &Broker{
		rt:       rt,
		log:      rt.Log().With(slog.String("component", "broker"), slog.String("broker", cfg.BrokerName)),
		cfg:      cfg,
		conns:    map[uint64]runtime.Conn{},
		clients:  client.New(cfg.EnablePropertyFilter),
		locks:    lock.New(lock.MaxLiveDefault),
		holds:    longpoll.New(rt, longpoll.HeldMaxDefault),
		bootTime: rt.Now(),
	}
	b.ep = remoting.NewEndpoint(rt, remoting.Options{
		OnConnect: func(c runtime.Conn) { b.conns[c.ID()] = c },
		OnClose:   b.onClose,
	})
	ln, err := rt.Listen(cfg.ClientAddr(), b.ep.Accept)
	if err != nil {
		return nil, fmt.Errorf("broker: listen %s: %w", cfg.ClientAddr(), err)
	}
	b.ln = ln
	b.addr = ln.Addr()
	fail := func(err error) (*Broker, error) {
		_ = ln.Close()
		if b.txn != nil {
			b.txn.Stop()
		}
		if b.sched != nil {
			_ = b.sched.Stop()
		}
		if b.store != nil {
			_ = b.store.Close()
		}
		return nil, err
	}
	if b.storeHost, err = message.ParseAddr(b.addr); err != nil {
		return fail(fmt.Errorf("broker: store host %q: %w", b.addr, err))
	}
	fs := rt.Disk()
	if err := fs.MkdirAll(cfg.ConfigDir()); err != nil {
		return fail(fmt.Errorf("broker: config dir: %w", err))
	}
	if b.topics, err = topic.Open(fs, rt, topic.OptionsFrom(&b.cfg), b.log); err != nil {
		return fail(fmt.Errorf("broker: %w", err))
	}
	if b.groups, err = subscription.Open(fs, rt, subscription.Options{
		Path: cfg.SubscriptionGroupPath(), AutoCreate: cfg.AutoCreateSubscriptionGroup}, b.log); err != nil {
		return fail(fmt.Errorf("broker: %w", err))
	}
	if b.offsets, err = offset.Open(fs, cfg.ConsumerOffsetPath()); err != nil {
		return fail(fmt.Errorf("broker: %w", err))
	}
	if b.store, err = store.Open(cfg.Store, store.Options{FS: fs, Clock: rt, Post: rt.Post, Log: b.log,
		Buggify: func(site string) bool { return runtime.Buggify(rt, site) }, StoreHost: b.storeHost, MessageArriving: b.arrived}); err != nil {
		return fail(fmt.Errorf("broker: %w", err))
	}
	if b.sched, err = schedule.Start(b.store, b.put, schedule.Options{Clock: rt, FS: fs, Log: b.log,
		Levels: scheduleLevels(&cfg), Path: cfg.DelayOffsetPath(), FlushInterval: cfg.FlushDelayOffsetInterval,
		Buggify: func(site string) bool { return runtime.Buggify(rt, site) }}); err != nil {
		return fail(fmt.Errorf("broker: %w", err))
	}
	if err := b.startTransactions(); err != nil {
		return fail(err)
	}
	if err := b.startHA(); err != nil {
		b.stopHA()
		return fail(fmt.Errorf("broker: %w", err))
	}
	b.handle()
	b.reg = registrar.New(rt, b.ep, registrar.Options{
		NameServers:  cfg.NamesrvAddr,
		Cluster:      cfg.BrokerClusterName,
		BrokerName:   cfg.BrokerName,
		BrokerAddr:   b.addr,
		BrokerID:     cfg.BrokerID,
		HAServerAddr: b.haAddr(),
		Period:       cfg.RegisterNameServerPeriod,
		Timeout:      cfg.RegisterBrokerTimeoutMills,
		Compressed:   cfg.CompressedRegister,
		OnResult: func(ns string, resp *remoting.Command, err error) {
			if err != nil {
				b.log.Warn("register to name server failed", slog.String("namesrv", ns), slog.Any("err", err))
			} else if resp.Code != remoting.RespSuccess {
				b.log.Warn("name server refused registration", slog.String("namesrv", ns),
					slog.Int("code", int(resp.Code)), slog.String("remark", resp.Remark))
			} else {
				b.stats.Registrations++
				b.learnMaster()
			}
		},
	}, b.registerBody)
	b.reg.Start()
	b.armFlush()
	b.armScan()
	b.log.Info("broker started", slog.String("addr", b.addr), slog.String("cluster", cfg.BrokerClusterName),
		slog.Any("namesrv", cfg.NamesrvAddr))
	return b, nil
}

// haAddr is what the broker tells the name servers slaves should connect to.
func (b *Broker) haAddr() string {
	host := b.cfg.BrokerIP2
	if host == "" {
		host = b.cfg.BrokerIP1
	}
	port := strconv.Itoa(b.cfg.HAPort())
	if b.haMaster != nil {
		// The port the HA service got (an ephemeral one when
		// haListenPort and listenPort are 0, as in tests).
		if _, p, err := net.SplitHostPort(b.haMaster.Addr()); err == nil {
			port = p
		}
	}
	return net.JoinHostPort(host, port)
}

// Addr is the address clients reach the broker at.
func (b *Broker) Addr() string { return b.addr }

// Store exposes the message store to tests on the node's loop.
func (b *Broker) Store() *store.Store { return b.store }

// Topics exposes the topic table to tests on the node's loop.
func (b *Broker) Topics() *topic.Table { return b.topics }

// Groups exposes the subscription group table to tests on the node's loop.
func (b *Broker) Groups() *subscription.Table { return b.groups }

// Offsets exposes the consumer offset table to tests on the node's loop.
func (b *Broker) Offsets() *offset.Table { return b.offsets }

// Clients exposes the producer and consumer tables to tests on the loop.
func (b *Broker) Clients() *client.Tables { return b.clients }

// Schedule exposes the delay-level scheduler to tests on the node's loop.
func (b *Broker) Schedule() *schedule.Service { return b.sched }

// Transactions exposes the transaction service to tests on the node's loop.
func (b *Broker) Transactions() *transaction.Service { return b.txn }

// Stats returns the broker's counters.
func (b *Broker) Stats() Stats { return b.stats }

// HeldPulls is the number of pull requests waiting for messages.
func (b *Broker) HeldPulls() int { return b.holds.Len() }

// Stop shuts the broker down gracefully: it tells the name servers it is
// going, persists the consumer offsets and closes the store (flush and
// checkpoint, so the next start recovers fast), then closes its connections.
func (b *Broker) Stop() {
	if b.stopped {
		return
	}
	b.stopped = true
	b.flushTimer.Stop()
	b.scanTimer.Stop()
	b.reg.Stop()
	b.holds.Close()
	b.stopHA()
	b.txn.Stop() // commits its progress into the offset table, persisted next
	if err := b.sched.Stop(); err != nil {
		b.log.Error("persisting delay offsets at shutdown", slog.Any("err", err))
	}
	if err := b.offsets.Persist(); err != nil {
		b.log.Error("persisting consumer offsets at shutdown", slog.Any("err", err))
	}
	if err := b.store.Close(); err != nil {
		b.log.Error("closing the store", slog.Any("err", err))
	}
	_ = b.ln.Close()
	for _, id := range slices.Sorted(maps.Keys(b.conns)) {
		_ = b.conns[id].Close()
	}
	b.ep.Close()
	b.log.Info("broker stopped")
}

// registerBody is the topic table as the name servers want it.
func (b *Broker) registerBody() wire.RegisterBody {
	v, cfgs := b.topics.Snapshot()
	out := wire.RegisterBody{
		DataVersion: routes.DataVersion{Timestamp: v.Timestamp, Counter: v.Counter},
		Topics:      make(map[string]routes.TopicConfig, len(cfgs)),
	}
	for name, c := range cfgs {
		perm := c.Perm
		if !topic.Writable(b.cfg.BrokerPermission) || !topic.Readable(b.cfg.BrokerPermission) {
			perm = b.cfg.BrokerPermission // a broker-wide restriction wins (Java registerBrokerAll)
		}
		out.Topics[name] = routes.TopicConfig{TopicName: c.TopicName, ReadQueueNums: c.ReadQueueNums,
			WriteQueueNums: c.WriteQueueNums, Perm: perm, TopicFilterType: c.TopicFilterType,
			TopicSysFlag: c.TopicSysFlag, Order: c.Order}
	}
	return out
}

// topicsChanged re-registers at once so clients find new topics without
// waiting for the next period (Java registerIncrementBrokerData). A name
// server still answering the previous registration gets this one when its
// answer is in (the registrar follows up).
func (b *Broker) topicsChanged() {
	if b.stopped {
		return
	}
	b.reg.RegisterNow()
}

func (b *Broker) armFlush() {
	d := b.cfg.FlushConsumerOffsetInterval
	if d <= 0 {
		d = 5 * time.Second
	}
	b.flushTimer = b.rt.AfterFunc(d, func() {
		if b.stopped {
			return
		}
		if b.offsets.Dirty() {
			if err := b.offsets.Persist(); err != nil {
				b.log.Error("persisting consumer offsets", slog.Any("err", err))
			}
		}
		b.armFlush()
	})
}

func (b *Broker) armScan() {
	b.scanTimer = b.rt.AfterFunc(clientScanInterval, func() {
		if b.stopped {
			return
		}
		now := b.rt.Monotonic()
		for _, id := range b.clients.Expired(now, b.cfg.ChannelExpiredTimeout) {
			if c, ok := b.conns[id]; ok {
				b.log.Info("client channel expired; closing it", slog.String("peer", c.RemoteAddr()),
					slog.Duration("timeout", b.cfg.ChannelExpiredTimeout))
				_ = c.Close() // onClose removes it from the tables
			} else {
				b.clientGone(id)
			}
		}
		b.locks.Sweep(now)
		if idle := time.Duration(b.cfg.ServerChannelMaxIdleTimeSeconds) * time.Second; idle > 0 {
			for _, c := range b.ep.IdleConns(idle) {
				b.log.Info("closing idle connection", slog.String("peer", c.RemoteAddr()), slog.Duration("idle", idle))
				_ = c.Close()
			}
		}
		b.armScan()
	})
}

func (b *Broker) onClose(c runtime.Conn, err error) {
	delete(b.conns, c.ID())
	b.holds.DropConn(c.ID())
	b.clientGone(c.ID())
}

// clientGone removes a connection from the client tables and tells the
// groups that lost a member, so they rebalance at once.
func (b *Broker) clientGone(connID uint64) {
	for _, g := range b.clients.ConnClosed(connID) {
		b.notifyConsumerIdsChanged(g)
	}
}

// reply sends resp, logging a connection that can no longer take it.
func (b *Broker) reply(req *remoting.Request, resp *remoting.Command) {
	if err := req.Reply(resp); err != nil && !errors.Is(err, runtime.ErrClosed) {
		b.log.Debug("reply failed", slog.String("peer", req.Conn.RemoteAddr()), slog.Any("err", err))
	}
}

// replyBody answers SUCCESS with body.
func (b *Broker) replyBody(req *remoting.Request, body []byte) {
	resp := remoting.NewResponse(req.Cmd, remoting.RespSuccess, "")
	resp.Body = body
	b.reply(req, resp)
}

// replyEncoded answers SUCCESS with body, or SYSTEM_ERROR when encoding
// it failed.
func (b *Broker) replyEncoded(req *remoting.Request, body []byte, err error) {
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.replyBody(req, body)
}

// replyCode answers with just a code and remark.
func (b *Broker) replyCode(req *remoting.Request, code int16, remark string) {
	b.reply(req, remoting.NewResponse(req.Cmd, code, remark))
}
