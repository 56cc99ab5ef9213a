// Package registrar is a broker's half of the name server protocol: it
// registers the broker with every configured name server every period (Java
// registerNameServerPeriod, 30 s), each over its own connection, and
// unregisters on Stop. Name servers never talk to each other, so the broker
// alone keeps them all up to date.
//
// It is event-driven like every node part: the broker owns the remoting
// endpoint and the runtime; the registrar only sets timers and invokes.
package registrar

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// Defaults from Java BrokerConfig.
const (
	PeriodDefault  = 30 * time.Second // registerNameServerPeriod
	TimeoutDefault = 6 * time.Second  // registerBrokerTimeoutMills
)

// Options say who the broker is and where the name servers are.
type Options struct {
	NameServers  []string
	Cluster      string
	BrokerName   string
	BrokerAddr   string
	BrokerID     int64
	HAServerAddr string
	// Period between registrations (PeriodDefault).
	Period time.Duration
	// Timeout of one registration (TimeoutDefault).
	Timeout time.Duration
	// Compressed sends Java's compressed body (which drops topicSysFlag and
	// order, as Java's does).
	Compressed bool
	// OnResult, if set, runs after each registration attempt with the
	// name server's address and the response or error.
	OnResult func(nameServer string, resp *remoting.Command, err error)
}

// Registrar keeps one broker registered.
type Registrar struct {
	rt    runtime.Runtime
	ep    *remoting.Endpoint
	opts  Options
	body  func() wire.RegisterBody
	log   *slog.Logger
	timer runtime.Timer
	// inflight marks name servers with a registration under way, so a slow
	// one gets at most one outstanding request.
	inflight map[string]bool
	// again marks name servers a RegisterNow skipped because one was in
	// flight: the table may have changed since that one was built, so they
	// get a fresh registration as soon as it is answered.
	again      map[string]bool
	masterAddr string
	haAddr     string
	stopped    bool
}

// New returns a registrar; body is called at each round for the broker's
// current topic table.
func New(rt runtime.Runtime, ep *remoting.Endpoint, opts Options, body func() wire.RegisterBody) *Registrar {
	if opts.Period <= 0 {
		opts.Period = PeriodDefault
	}
	if opts.Timeout <= 0 {
		opts.Timeout = TimeoutDefault
	}
	return &Registrar{
		rt: rt, ep: ep, opts: opts, body: body,
		log:      rt.Log().With(slog.String("component", "registrar")),
		inflight: map[string]bool{},
		again:    map[string]bool{},
	}
}

// Start registers at once and then every period.
func (r *Registrar) Start() {
	r.RegisterNow()
	r.arm()
}

func (r *Registrar) arm() {
	r.timer = r.rt.AfterFunc(r.opts.Period, func() {
		if r.stopped {
			return
		}
		r.RegisterNow()
		r.arm()
	})
}

// MasterAddr and HAServerAddr are what the name servers last said about
// this broker's master (slaves only).
func (r *Registrar) MasterAddr() string   { return r.masterAddr }
func (r *Registrar) HAServerAddr() string { return r.haAddr }

// RegisterNow sends a registration to every name server, in configured
// order, e.g. right after the topic table changed. A name server still
// answering the previous one gets this one right after that answer.
func (r *Registrar) RegisterNow() {
	if r.stopped {
		return
	}
	var payload []byte
	for _, ns := range r.opts.NameServers {
		if r.inflight[ns] {
			r.again[ns] = true
			continue
		}
		if payload == nil {
			payload = r.payload()
		}
		r.invoke(ns, r.request(payload))
	}
}

// payload encodes the broker's current table.
func (r *Registrar) payload() []byte {
	return wire.EncodeRegisterBody(r.body(), r.opts.Compressed)
}

func (r *Registrar) request(payload []byte) *remoting.Command {
	req := remoting.NewRequest(remoting.ReqRegisterBroker, r.header())
	req.SetExt("haServerAddr", r.opts.HAServerAddr)
	req.SetExt("compressed", strconv.FormatBool(r.opts.Compressed))
	req.SetExt("bodyCrc32", strconv.FormatInt(int64(crc32Java(payload)), 10))
	req.Body = payload
	return req
}

func (r *Registrar) header() map[string]string {
	return map[string]string{
		"clusterName": r.opts.Cluster,
		"brokerName":  r.opts.BrokerName,
		"brokerAddr":  r.opts.BrokerAddr,
		"brokerId":    strconv.FormatInt(r.opts.BrokerID, 10),
	}
}

// invoke sends req on the endpoint's connection to ns (ConnTo dials anew
// when the last one closed, so a restarted name server is reached at the
// next round).
func (r *Registrar) invoke(ns string, req *remoting.Command) {
	c := r.ep.ConnTo(ns)
	r.inflight[ns] = true
	err := r.ep.Invoke(c, req, r.opts.Timeout, func(resp *remoting.Command, err error) {
		r.inflight[ns] = false
		r.done(ns, c, resp, err)
		r.followUp(ns)
	})
	if err != nil {
		r.inflight[ns] = false
		r.done(ns, c, nil, err)
	}
}

// followUp sends the registration a RegisterNow skipped while ns had one
// in flight.
func (r *Registrar) followUp(ns string) {
	if !r.again[ns] || r.stopped {
		return
	}
	delete(r.again, ns)
	r.invoke(ns, r.request(r.payload()))
}

func (r *Registrar) done(ns string, c runtime.Conn, resp *remoting.Command, err error) {
	switch {
	case err != nil:
		// A connection that timed out is likely stalled behind a partition
		// or a dead peer: close it so the next round dials afresh instead of
		// queueing behind it.
		if errors.Is(err, remoting.ErrTimeout) {
			_ = c.Close()
		}
		r.log.Warn("register broker failed", slog.String("namesrv", ns), slog.Any("err", err))
	case resp.Code != remoting.RespSuccess:
		err = fmt.Errorf("register broker at %s: %s: %s", ns, remoting.ResponseName(resp.Code), resp.Remark)
		r.log.Warn("register broker refused", slog.String("namesrv", ns), slog.Any("err", err))
	default:
		if m := resp.Ext("masterAddr"); m != "" {
			r.masterAddr = m
		}
		if h := resp.Ext("haServerAddr"); h != "" {
			r.haAddr = h
		}
	}
	if r.opts.OnResult != nil {
		r.opts.OnResult(ns, resp, err)
	}
}

// Stop cancels the period and tells every name server the broker is going
// (oneway: a graceful shutdown does not wait for them).
func (r *Registrar) Stop() {
	if r.stopped {
		return
	}
	r.stopped = true
	if r.timer != nil {
		r.timer.Stop()
	}
	for _, ns := range r.opts.NameServers {
		req := remoting.NewRequest(remoting.ReqUnregisterBroker, r.header())
		if err := r.ep.InvokeOneway(r.ep.ConnTo(ns), req); err != nil {
			r.log.Info("unregister not sent", slog.String("namesrv", ns), slog.Any("err", err))
		}
	}
}
