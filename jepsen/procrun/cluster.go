package procrun

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Binaries are the executables a cluster runs.
type Binaries struct {
	// Namesrv is the name server; it must accept -c, -data and, when
	// NamesrvControl is set, -control ADDR, -name NODE and -fault FAULT, as
	// the shipped ./namesrv does.
	Namesrv        string
	NamesrvControl bool
	// Broker is the broker; it must accept -c, -data and, when
	// BrokerControl is set, -control ADDR, -name NODE and -fault FAULT, as
	// the shipped ./broker does.
	Broker        string
	BrokerControl bool
	// BrokerEnv is added to each broker's environment (tests use it to
	// turn their own binary into a broker).
	BrokerEnv []string
}

// BuildBinaries builds the shipped mains, ./namesrv and ./broker, from the
// module at root into outDir, to run with their failpoint control sockets.
func BuildBinaries(ctx context.Context, root, outDir string) (Binaries, error) {
	bins, err := Build(ctx, root, outDir, "./namesrv", "./broker")
	if err != nil {
		return Binaries{}, err
	}
	return Binaries{Namesrv: bins[0], NamesrvControl: true, Broker: bins[1], BrokerControl: true}, nil
}

// WithoutControls are the same binaries run without -control: no process
// opens a fault injector, and failpoint faults are refused.
func (b Binaries) WithoutControls() Binaries {
	b.NamesrvControl, b.BrokerControl = false, false
	return b
}

// ClusterSpec is what to run.
type ClusterSpec struct {
	// Dir holds every process's data dir, configuration and log.
	Dir string
	// Namesrv is the name server's node name.
	Namesrv string
	// Brokers are the brokers, each with its broker.conf keys (brokerName
	// defaults to the node's name; the runner sets brokerIP1, brokerIP2,
	// listenPort, haListenPort, namesrvAddr and storePathRootDir).
	Brokers []BrokerSpec
	// Clients are the names of the client nodes the runner drives; each
	// gets its own proxied routes.
	Clients []string
}

// BrokerSpec is one broker node.
type BrokerSpec struct {
	Name string
	Conf map[string]string
}

// Cluster is a running name server and brokers behind the proxy.
type Cluster struct {
	Proxy   *Proxy
	Namesrv *Process
	Brokers []*Process
	// clientNamesrv is each client's proxied name server address.
	clientNamesrv map[string]string
	nodes         map[string]*Process
	log           *slog.Logger
}

// Ports are drawn below Linux's default ephemeral range (32768-60999), so
// that no outgoing connection of any process takes a node's port while the
// node is down between a crash and its restart.
const (
	portLow   = 20000
	portHigh  = 32000
	portTries = 200
)

// freePorts returns a port p such that p .. p+n-1 were free a moment ago.
func freePorts(rng *rand.Rand, n int) (int, error) {
	for range portTries {
		p := portLow + rng.IntN(portHigh-portLow-n)
		ok := true
		for i := range n {
			ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+i))
			if err != nil {
				ok = false
				break
			}
			ln.Close()
		}
		if ok {
			return p, nil
		}
	}
	return 0, fmt.Errorf("no %d free ports in [%d, %d) after %d tries", n, portLow, portHigh, portTries)
}

// StartCluster writes the configurations, opens the proxy's routes and
// starts the name server and the brokers. On error whatever started is
// stopped.
func StartCluster(ctx context.Context, spec ClusterSpec, bins Binaries, log *slog.Logger) (_ *Cluster, err error) {
	if log == nil {
		log = slog.Default()
	}
	rng := rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	c := &Cluster{Proxy: NewProxy(log), clientNamesrv: map[string]string{}, nodes: map[string]*Process{}, log: log}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()

	nsPort, err := freePorts(rng, 2) // and the next for its control socket
	if err != nil {
		return nil, err
	}
	nsAddr := "127.0.0.1:" + strconv.Itoa(nsPort)
	nsDir := filepath.Join(spec.Dir, spec.Namesrv)
	if err := os.MkdirAll(nsDir, 0o755); err != nil {
		return nil, err
	}
	nsConf := filepath.Join(nsDir, "namesrv.properties")
	if err := writeProps(nsConf, map[string]string{"listenPort": strconv.Itoa(nsPort), "bindAddress": "127.0.0.1"}); err != nil {
		return nil, err
	}
	nsArgs := []string{"-c", nsConf, "-data", nsDir}
	nsControl := ""
	if bins.NamesrvControl {
		nsControl = "127.0.0.1:" + strconv.Itoa(nsPort+1)
		nsArgs = append(nsArgs, "-control", nsControl, "-name", spec.Namesrv)
	}
	c.Namesrv = NewProcess(spec.Namesrv, nsAddr, bins.Namesrv, nsArgs, nil, filepath.Join(spec.Dir, spec.Namesrv+".log"))
	c.Namesrv.ControlAddr = nsControl
	c.nodes[spec.Namesrv] = c.Namesrv

	// Brokers: fixed ports each (serving, HA = serving+1, control =
	// serving+2), drawn first so that every broker's route to the name
	// server can rewrite the others' addresses to its own routes to them:
	// a slave then replicates from its master, and syncs its offsets and
	// configuration, through the proxy, where a partition can cut it.
	brokerAddr := map[string]string{}
	haAddr := map[string]string{}
	ports := map[string]int{}
	for _, b := range spec.Brokers {
		if c.nodes[b.Name] != nil || ports[b.Name] != 0 {
			return nil, fmt.Errorf("node %s twice", b.Name)
		}
		port, err := freePorts(rng, 3)
		if err != nil {
			return nil, err
		}
		ports[b.Name] = port
		brokerAddr[b.Name] = "127.0.0.1:" + strconv.Itoa(port)
		haAddr[b.Name] = "127.0.0.1:" + strconv.Itoa(port+1)
	}
	for _, b := range spec.Brokers {
		rewrite := map[string]string{}
		for _, o := range spec.Brokers {
			if o.Name == b.Name {
				continue
			}
			for _, target := range []string{brokerAddr[o.Name], haAddr[o.Name]} {
				via, err := c.Proxy.Route(b.Name, o.Name, target, nil)
				if err != nil {
					return nil, err
				}
				rewrite[target] = via
			}
		}
		viaNS, err := c.Proxy.Route(b.Name, spec.Namesrv, nsAddr, AddrRewrite(rewrite))
		if err != nil {
			return nil, err
		}
		dir := filepath.Join(spec.Dir, b.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		kv := map[string]string{"brokerName": b.Name}
		for k, v := range b.Conf {
			kv[k] = v // brokerName too: a slave names its master's
		}
		port := ports[b.Name]
		kv["brokerIP1"] = "127.0.0.1"
		kv["brokerIP2"] = "127.0.0.1"
		kv["listenPort"] = strconv.Itoa(port)
		kv["haListenPort"] = strconv.Itoa(port + 1)
		kv["namesrvAddr"] = viaNS
		kv["storePathRootDir"] = filepath.Join(dir, "store")
		conf := filepath.Join(dir, "broker.conf")
		if err := writeProps(conf, kv); err != nil {
			return nil, err
		}
		args := []string{"-c", conf, "-data", dir}
		control := ""
		if bins.BrokerControl {
			control = "127.0.0.1:" + strconv.Itoa(port+2)
			args = append(args, "-control", control, "-name", b.Name)
		}
		p := NewProcess(b.Name, brokerAddr[b.Name], bins.Broker, args, bins.BrokerEnv, filepath.Join(spec.Dir, b.Name+".log"))
		p.ControlAddr = control
		c.Brokers = append(c.Brokers, p)
		c.nodes[b.Name] = p
	}

	// Clients: a route to every server; the name server's rewrites the
	// brokers' addresses to the client's own routes to them.
	for _, name := range spec.Clients {
		if c.nodes[name] != nil {
			return nil, fmt.Errorf("node %s twice", name)
		}
		rewrite := map[string]string{}
		for _, b := range spec.Brokers {
			via, err := c.Proxy.Route(name, b.Name, brokerAddr[b.Name], nil)
			if err != nil {
				return nil, err
			}
			rewrite[brokerAddr[b.Name]] = via
		}
		via, err := c.Proxy.Route(name, spec.Namesrv, nsAddr, AddrRewrite(rewrite))
		if err != nil {
			return nil, err
		}
		c.clientNamesrv[name] = via
	}

	if err := c.Namesrv.Start(ctx); err != nil {
		return nil, err
	}
	for _, b := range c.Brokers {
		if err := b.Start(ctx); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// writeProps writes a .properties file, keys sorted.
func writeProps(path string, kv map[string]string) error {
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, kv[k])
	}
	return os.WriteFile(path, []byte(b.String()), 0o644)
}

// NamesrvFor is the name server address client must use (its route).
func (c *Cluster) NamesrvFor(client string) string { return c.clientNamesrv[client] }

// Process returns the server process named name, or nil.
func (c *Cluster) Process(name string) *Process { return c.nodes[name] }

// Stop stops every process gracefully (killing the stubborn) and closes
// the proxy.
func (c *Cluster) Stop() {
	var errs []error
	for i := len(c.Brokers) - 1; i >= 0; i-- {
		errs = append(errs, c.Brokers[i].Stop())
	}
	if c.Namesrv != nil {
		errs = append(errs, c.Namesrv.Stop())
	}
	c.Proxy.Close()
	if err := errors.Join(errs...); err != nil {
		c.log.Warn("procrun: stop", "err", err)
	}
}
