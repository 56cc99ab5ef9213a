// Package clienttest wires the client cores to the simulator: a World with
// name servers and brokers (the real name server and broker nodes) to which
// tests add client nodes. It is a test helper (the "...test" suffix exempts
// it from the rule that cores never import the simulator).
package clienttest

import (
	"fmt"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"rocketsim/broker/config"
	brokerserver "rocketsim/broker/server"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// Cluster is a simulated RocketMQ cluster.
type Cluster struct {
	T       testing.TB
	W       *simrt.World
	NS      []*simrt.Node
	Brokers []*simrt.Node
	// NSAddrs are the name servers' "host:port".
	NSAddrs []string
	// BrokerAddrs are the brokers' "host:port", in Brokers' order.
	BrokerAddrs []string
}

// Options shape a Cluster.
type Options struct {
	NameServers int // default 1
	Brokers     int // default 1; named broker-a, broker-b, ...
	// BrokerConf overrides broker.conf keys for every broker.
	BrokerConf map[string]string
	// Log receives every node's log lines (debugging); nil discards them.
	Log io.Writer
}

// NewCluster starts the name servers and brokers and runs the world until
// every broker registered (a few simulated seconds).
func NewCluster(t testing.TB, seed uint64, opts Options) *Cluster {
	t.Helper()
	if opts.NameServers == 0 {
		opts.NameServers = 1
	}
	if opts.Brokers == 0 {
		opts.Brokers = 1
	}
	c := &Cluster{T: t, W: simrt.New(seed, simrt.Options{LogWriter: opts.Log, LogLevel: slog.LevelDebug})}
	for i := 0; i < opts.NameServers; i++ {
		host := fmt.Sprintf("10.0.0.%d", 1+i)
		cfg := nsserver.DefaultConfig()
		cfg.BindAddress = host
		n := c.W.AddNode(fmt.Sprintf("namesrv-%d", i+1), simrt.NodeConfig{Host: host}, nsserver.New(cfg))
		c.NS = append(c.NS, n)
		c.NSAddrs = append(c.NSAddrs, cfg.ListenAddr())
	}
	for i := 0; i < opts.Brokers; i++ {
		name := "broker-" + string(rune('a'+i))
		host := fmt.Sprintf("10.0.1.%d", 1+i)
		kv := map[string]string{
			"brokerClusterName":          "DefaultCluster",
			"brokerName":                 name,
			"namesrvAddr":                joinSemi(c.NSAddrs),
			"brokerIP1":                  host,
			"listenPort":                 "10911",
			"storePathRootDir":           "store",
			"flushDiskType":              "ASYNC_FLUSH",
			"autoCreateTopicEnable":      "true",
			"defaultTopicQueueNums":      "4",
			"mappedFileSizeCommitLog":    strconv.Itoa(16 << 20),
			"mappedFileSizeConsumeQueue": strconv.Itoa(20 * 1000),
		}
		for k, v := range opts.BrokerConf {
			kv[k] = v
		}
		cfg, _, err := config.LoadMap(kv, "clienttest", config.Host{Name: name, IP: host})
		if err != nil {
			t.Fatalf("broker config: %v", err)
		}
		n := c.W.AddNode(name, simrt.NodeConfig{Host: host}, brokerserver.New(*cfg))
		c.Brokers = append(c.Brokers, n)
		c.BrokerAddrs = append(c.BrokerAddrs, host+":10911")
	}
	for _, n := range c.NS {
		n.Start()
	}
	for _, n := range c.Brokers {
		n.Start()
		if err := n.Err(); err != nil {
			t.Fatalf("broker %s: %v", n.Name(), err)
		}
	}
	c.W.RunFor(2 * time.Second)
	return c
}

func joinSemi(s []string) string {
	out := ""
	for i, a := range s {
		if i > 0 {
			out += ";"
		}
		out += a
	}
	return out
}

// AddClient adds and starts a client machine at host 10.0.2.<n>.
func (c *Cluster) AddClient(name string, newNode runtime.NewNode) *simrt.Node {
	c.T.Helper()
	host := fmt.Sprintf("10.0.2.%d", 1+len(c.W.Nodes()))
	n := c.W.AddNode(name, simrt.NodeConfig{Host: host}, newNode)
	n.Start()
	if err := n.Err(); err != nil {
		c.T.Fatalf("client %s: %v", name, err)
	}
	return n
}

// Post runs fn on node n's loop and then delivers events until it ran.
func (c *Cluster) Post(n *simrt.Node, fn func()) {
	ran := false
	n.Runtime().Post(func() { fn(); ran = true })
	c.W.RunUntil(func() bool { return ran }, time.Minute)
}

// RunUntil runs the world until cond holds or limit passes and fails the
// test with what when it did not hold.
func (c *Cluster) RunUntil(what string, cond func() bool, limit time.Duration) {
	c.T.Helper()
	if !c.W.RunUntil(cond, limit) {
		c.T.Fatalf("%s: not within %v of simulated time (now %v)", what, limit, c.W.Now())
	}
}

// Holder is a minimal client node: whatever the test builds on its runtime.
type Holder struct {
	RT     runtime.Runtime
	OnStop func()
}

// Stop implements runtime.Node.
func (h *Holder) Stop() {
	if h.OnStop != nil {
		h.OnStop()
	}
}
