package producer

import (
	"encoding/json"
	"errors"
	"log/slog"

	"rocketsim/client"
	"rocketsim/client/route"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// ErrShutdown is returned for sends after Shutdown.
var ErrShutdown = errors.New("producer is shut down")

// Producer is the producer core. All methods run on the runtime's loop.
type Producer struct {
	rt     runtime.Runtime
	opts   Options
	id     client.Identity
	ids    *client.UniqIDGenerator
	ep     *remoting.Endpoint
	routes *route.Client
	faults *faultTable
	// roundRobin is the default selector's state, per topic.
	roundRobin map[string]int
	hbTimer    runtime.Timer
	running    bool
	log        *slog.Logger
}

// New builds a producer on rt. It does nothing until Start.
func New(rt runtime.Runtime, opts Options) (*Producer, error) {
	if err := opts.fill(); err != nil {
		return nil, err
	}
	p := &Producer{
		rt: rt, opts: opts,
		id:         client.NewIdentity(rt, opts.ClientIP, opts.PID, opts.InstanceName),
		faults:     newFaultTable(),
		roundRobin: map[string]int{},
	}
	p.log = rt.Log().With(slog.String("producer", opts.Group))
	p.ids = p.id.UniqIDs(rt.Rand().Uint32())
	p.ep = remoting.NewEndpoint(rt, remoting.Options{})
	p.routes = route.New(rt, p.ep, opts.NameServers)
	if opts.Transactions != nil {
		p.ep.Handle(remoting.ReqCheckTransactionState, p.handleCheck)
	}
	return p, nil
}

// NewMsgID returns a fresh UNIQ_KEY; a message that carries one keeps it
// when sent, so a caller can know the id before the send (a transaction id,
// a history record).
func (p *Producer) NewMsgID() string { return p.ids.Next(p.rt.Now()) }

// ClientID is the id the producer heartbeats with.
func (p *Producer) ClientID() string { return p.id.ClientID() }

// Endpoint is the producer's remoting endpoint (tests and transactions
// register broker-to-client handlers on it).
func (p *Producer) Endpoint() *remoting.Endpoint { return p.ep }

// Routes is the producer's route client.
func (p *Producer) Routes() *route.Client { return p.routes }

// Start begins route refreshes and heartbeats.
func (p *Producer) Start() {
	if p.running {
		return
	}
	p.running = true
	p.routes.Start()
	p.routes.OnChange = func(string, *route.Route) { p.heartbeat() }
	p.armHeartbeat()
}

// Shutdown stops timers and fails every pending send with an error.
func (p *Producer) Shutdown() {
	if !p.running {
		return
	}
	p.running = false
	p.routes.Stop()
	if p.hbTimer != nil {
		p.hbTimer.Stop()
	}
	p.ep.Close()
}

func (p *Producer) armHeartbeat() {
	p.hbTimer = p.rt.AfterFunc(p.opts.HeartbeatInterval, func() {
		if !p.running {
			return
		}
		p.heartbeat()
		p.armHeartbeat()
	})
}

// heartbeatBody is HEART_BEAT's body for a producer-only client.
type heartbeatBody struct {
	ClientID        string         `json:"clientID"`
	ProducerDataSet []producerData `json:"producerDataSet"`
	ConsumerDataSet []struct{}     `json:"consumerDataSet"`
}

type producerData struct {
	GroupName string `json:"groupName"`
}

// heartbeat registers the producer group with every master of every cached
// route (producers talk only to masters).
func (p *Producer) heartbeat() {
	body, err := json.Marshal(heartbeatBody{
		ClientID:        p.id.ClientID(),
		ProducerDataSet: []producerData{{GroupName: p.opts.Group}},
		ConsumerDataSet: []struct{}{},
	})
	if err != nil {
		panic(err) // fixed shape: cannot fail
	}
	for _, addr := range p.routes.BrokerAddrs(true) {
		req := remoting.NewRequest(remoting.ReqHeartBeat, nil)
		req.Body = body
		addr := addr
		if err := p.ep.Invoke(p.ep.ConnTo(addr), req, route.RequestTimeout, func(resp *remoting.Command, err error) {
			if err != nil {
				p.log.Debug("heartbeat failed", slog.String("broker", addr), slog.Any("err", err))
			}
		}); err != nil {
			p.log.Debug("heartbeat not sent", slog.String("broker", addr), slog.Any("err", err))
		}
	}
}
