package server_test

import (
	"fmt"
	"testing"
	"time"

	"rocketsim/namesrv/registrar"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/server"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
	"rocketsim/sim/simnet"
	"rocketsim/sim/simrt"
)

// brokerStub is the registration half of a broker: enough to exercise the
// name servers in the simulator before the real broker exists.
type brokerStub struct{ reg *registrar.Registrar }

func (b *brokerStub) Stop() { b.reg.Stop() }

var nameServers = []string{"ns1", "ns2", "ns3"}

type cluster struct {
	w      *simrt.World
	ns     map[string]*simrt.Node
	nsAddr []string
}

func newCluster(seed uint64, stallTimeout time.Duration) *cluster {
	c := &cluster{w: simrt.New(seed, simrt.Options{}), ns: map[string]*simrt.Node{}}
	c.w.Net().StallTimeout = stallTimeout
	for i, name := range nameServers {
		host := fmt.Sprintf("10.0.1.%d", i+1)
		cfg := server.DefaultConfig()
		cfg.BindAddress = host
		c.nsAddr = append(c.nsAddr, cfg.ListenAddr())
		c.ns[name] = c.w.AddNode(name, simrt.NodeConfig{Host: host}, server.New(cfg))
	}
	for i, name := range []string{"broker-a", "broker-b"} {
		host := fmt.Sprintf("10.0.2.%d", i+1)
		opts := registrar.Options{
			NameServers: c.nsAddr, Cluster: "DefaultCluster", BrokerName: name,
			BrokerAddr: host + ":10911", HAServerAddr: host + ":10912",
		}
		c.w.AddNode(name, simrt.NodeConfig{Host: host}, func(rt runtime.Runtime) (runtime.Node, error) {
			ep := remoting.NewEndpoint(rt, remoting.Options{})
			reg := registrar.New(rt, ep, opts, func() wire.RegisterBody {
				return wire.RegisterBody{
					DataVersion: routes.DataVersion{Timestamp: 1, Counter: 1},
					Topics: map[string]routes.TopicConfig{
						"T":            {TopicName: "T", ReadQueueNums: 4, WriteQueueNums: 4, Perm: 6},
						"only-" + name: {TopicName: "only-" + name, ReadQueueNums: 1, WriteQueueNums: 1, Perm: 6},
					},
				}
			})
			reg.Start()
			return &brokerStub{reg: reg}, nil
		})
	}
	for _, n := range c.w.Nodes() {
		n.Start()
	}
	return c
}

func (c *cluster) table(ns string) *routes.Table {
	return c.ns[ns].Value().(*server.Server).Table()
}

func (c *cluster) route(ns string) string {
	r, ok := c.table(ns).Route("T")
	if !ok {
		return "<none>"
	}
	return string(wire.EncodeTopicRoute(r, true))
}

// run is the scenario: three name servers, two brokers registering
// with all of them, one name server partitioned away from the brokers. It
// checks when the isolated server lets the brokers go (inWindow) and returns
// the trace hash.
func run(t *testing.T, seed uint64, stallTimeout time.Duration, inWindow func(time.Duration) bool) string {
	c := newCluster(seed, stallTimeout)
	c.w.RunFor(10 * time.Second)
	for _, ns := range nameServers {
		if got := len(c.table(ns).LiveBrokers()); got != 2 {
			t.Fatalf("seed %d: %s knows %d brokers after start", seed, ns, got)
		}
	}
	want := c.route("ns1")
	if want == "<none>" || c.route("ns2") != want || c.route("ns3") != want {
		t.Fatalf("seed %d: routes differ at start:\n%s\n%s\n%s", seed, c.route("ns1"), c.route("ns2"), c.route("ns3"))
	}

	partitionAt := c.w.Now()
	if err := c.w.Net().Partition([]string{"ns3"}, []string{"broker-a", "broker-b"}); err != nil {
		t.Fatal(err)
	}
	var expiredAfter time.Duration
	for step := 0; step < 300; step++ {
		c.w.RunFor(time.Second)
		for _, ns := range []string{"ns1", "ns2"} {
			if got := len(c.table(ns).LiveBrokers()); got != 2 {
				t.Fatalf("seed %d: connected %s lost brokers at %v", seed, ns, c.w.Now())
			}
		}
		if expiredAfter == 0 && len(c.table("ns3").LiveBrokers()) == 0 {
			expiredAfter = c.w.Now() - partitionAt
		}
	}
	if expiredAfter == 0 {
		t.Fatalf("seed %d: ns3 kept the brokers through a 300 s partition", seed)
	}
	t.Logf("seed %d: ns3 let the brokers go %v after the partition", seed, expiredAfter)
	if !inWindow(expiredAfter) {
		t.Fatalf("seed %d: ns3 expired the brokers %v after the partition", seed, expiredAfter)
	}
	if c.route("ns3") != "<none>" {
		t.Fatalf("seed %d: ns3 still routes T: %s", seed, c.route("ns3"))
	}

	c.w.Net().Heal()
	converged := c.w.RunUntil(func() bool {
		return len(c.table("ns3").LiveBrokers()) == 2 && c.route("ns3") == want
	}, 2*registrar.PeriodDefault+registrar.TimeoutDefault)
	if !converged {
		t.Fatalf("seed %d: routes did not converge after healing: ns3 %s", seed, c.route("ns3"))
	}
	c.w.RunFor(time.Minute)
	for _, ns := range nameServers {
		if c.route(ns) != want || len(c.table(ns).LiveBrokers()) != 2 {
			t.Fatalf("seed %d: %s diverged after healing: %s", seed, ns, c.route(ns))
		}
	}
	return c.w.TraceHash()
}

// With TCP's real retransmission timeout (minutes), a partitioned name
// server hears nothing from the brokers: its scan expires them after 120 s of
// silence. The last registration reached it at most one period before the
// partition; the scan runs every 10 s.
func TestSimPartitionedNameServerExpiresBrokersByScan(t *testing.T) {
	inWindow := func(d time.Duration) bool {
		return d > 120*time.Second-registrar.PeriodDefault && d <= 120*time.Second+10*time.Second+time.Second
	}
	for _, seed := range []uint64{1, 2, 3} {
		h1 := run(t, seed, 15*time.Minute, inWindow)
		h2 := run(t, seed, 15*time.Minute, inWindow)
		if h1 != h2 {
			t.Fatalf("seed %d: trace hashes differ: %s vs %s", seed, h1, h2)
		}
	}
}

// With the simulator's default stall timeout both ends of a stalled
// connection fail; the name server then drops the brokers at once, as Java
// does when a channel closes: within one registration period plus the stall
// timeout, well before the 120 s expiry.
func TestSimPartitionedNameServerDropsBrokersOnConnectionFailure(t *testing.T) {
	inWindow := func(d time.Duration) bool {
		return d <= registrar.PeriodDefault+simnet.StallTimeoutDefault+2*time.Second
	}
	for _, seed := range []uint64{4, 5} {
		h1 := run(t, seed, simnet.StallTimeoutDefault, inWindow)
		h2 := run(t, seed, simnet.StallTimeoutDefault, inWindow)
		if h1 != h2 {
			t.Fatalf("seed %d: trace hashes differ: %s vs %s", seed, h1, h2)
		}
	}
}

// A name server that crashes and restarts comes back empty (routes live in
// memory only, as in Java) and is whole again within one registration
// period; the others never notice.
func TestSimNameServerRestartRecoversWithinAPeriod(t *testing.T) {
	hashes := map[string]bool{}
	for run := 0; run < 2; run++ {
		c := newCluster(11, simnet.StallTimeoutDefault)
		c.w.RunFor(10 * time.Second)
		want := c.route("ns1")
		c.ns["ns2"].Crash()
		c.w.RunFor(5 * time.Second)
		c.ns["ns2"].Restart()
		c.w.RunFor(10 * time.Millisecond)
		if got := c.route("ns2"); got != "<none>" {
			t.Fatalf("restarted name server remembers routes: %s", got)
		}
		back := c.w.RunUntil(func() bool { return c.route("ns2") == want }, registrar.PeriodDefault+registrar.TimeoutDefault)
		if !back {
			t.Fatalf("ns2 not whole a period after restart: %s", c.route("ns2"))
		}
		if c.route("ns1") != want || c.route("ns3") != want {
			t.Fatal("the other name servers changed")
		}
		hashes[c.w.TraceHash()] = true
	}
	if len(hashes) != 1 {
		t.Fatalf("same seed, different trace hashes: %v", hashes)
	}
}
