// Command broker is the RocketMQ-compatible broker:
//
//	go run ./broker -c broker.conf [-n namesrvAddr] [-p] [-data DIR]
//	    [-control 127.0.0.1:PORT] [-name NODE] [-fault FAULT]...
//
// -c names a RocketMQ broker.conf (the keys of Apache RocketMQ 4.x's
// BrokerConfig, NettyServerConfig and MessageStoreConfig; see
// broker/testdata/broker.conf). -n overrides namesrvAddr ("host:port;..."),
// as mqbroker's does. Unknown keys are reported as warnings; bad values are
// errors that name file:line and key, and the broker does not start. -p prints
// the effective configuration and exits. Relative store paths are relative to
// -data (default: the home directory, as Java's user.home). SIGINT or SIGTERM
// stops it gracefully: the name servers are told, consumer offsets persisted,
// the store flushed and checkpointed.
//
// -control ADDR opens the failpoint control socket (realrt.ServeControl),
// which the multi-process runner (jepsen/procrun) drives: each line is one
// fault in flow form ({kind: fsync-fail, nodes: [broker-a], prob: 0.3}),
// answered "ok" or "error: ...". It is a fault injector with no
// authentication, so only a loopback address is accepted. -name is the node name those
// faults must carry (default brokerName; a slave shares its master's, so
// the runner names each process). -fault FAULT, repeatable, puts a fault in
// force from boot on, before recovery reads the store (a failing fsync may
// then stop the boot); a line that does not parse, or that names another
// node, is refused with exit code 2.
package main

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"rocketsim/broker/config"
	"rocketsim/broker/server"
	"rocketsim/faults"
	"rocketsim/properties"
	"rocketsim/runtime/realrt"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	configFile := fs.String("c", "", "RocketMQ broker.conf")
	namesrv := fs.String("n", "", "name server addresses, host:port;host:port (overrides namesrvAddr)")
	printConfig := fs.Bool("p", false, "print the effective configuration and exit")
	home, _ := os.UserHomeDir()
	dataDir := fs.String("data", home, "data directory; relative store paths are relative to it (Java: user.home)")
	control := fs.String("control", "", "host:port of the failpoint control socket, loopback only: it is a fault injector (empty: none)")
	name := fs.String("name", "", "node name the faults of -control and -fault must carry (default brokerName)")
	var boot faults.FlagList
	fs.Var(&boot, "fault", "a fault in flow form in force from boot on (repeatable), as -control takes it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, warnings, err := loadConfig(*configFile, *namesrv)
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	for _, w := range warnings {
		log.Warn("configuration", slog.String("warning", w))
	}
	if *printConfig {
		fmt.Print(properties.Dump(cfg))
		return 0
	}
	// The control socket listens before the boot, so that it is up once
	// the boot line is out, and a port already taken fails the start.
	var ln net.Listener
	if *control != "" {
		if ln, err = realrt.ListenControl(*control); err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			return 1
		}
		defer ln.Close() // on the early returns; a graceful stop closes it first
	}
	// Catch signals before announcing the boot: whoever waits for that line
	// may stop us at once, and must get a graceful shutdown.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	node := *name
	if node == "" {
		node = cfg.BrokerName
	}
	rt := realrt.New(node, realrt.Options{DataDir: *dataDir, Logger: log})
	for _, f := range boot {
		if err := rt.ApplyFault(f); err != nil {
			fmt.Fprintln(os.Stderr, "broker: -fault:", err)
			return 2
		}
	}
	if err := rt.Start(server.New(*cfg)); err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 1
	}
	if ln != nil {
		go serveControl(rt, ln, log)
	}
	fmt.Printf("The broker[%s, %s] boot success. serializeType=JSON and name server is %v\n",
		cfg.BrokerName, cfg.ClientAddr(), cfg.NamesrvAddr)

	s := <-sig
	log.Info("shutting down", slog.String("signal", s.String()))
	if ln != nil {
		ln.Close() // no fault after the stop began
	}
	rt.Stop()
	return 0
}

// serveControl answers the control socket until ln is closed.
func serveControl(rt *realrt.Runtime, ln net.Listener, log *slog.Logger) {
	if err := rt.ServeControl(ln); err != nil {
		log.Error("control socket", slog.Any("err", err))
	}
}

// loadConfig reads file (if any) over the defaults, applies -n, and
// validates the result.
func loadConfig(file, namesrv string) (*config.Config, []string, error) {
	p := properties.New("defaults")
	if file != "" {
		var err error
		if p, err = properties.ParseFile(file); err != nil {
			return nil, nil, err
		}
	}
	config.OverrideNamesrv(p, namesrv)
	return config.LoadProps(p, localHost())
}

// localHost is what Java's broker takes brokerName and brokerIP1 from when
// the file leaves them out: the host name and the first non-loopback IPv4
// address.
func localHost() config.Host {
	h := config.Host{IP: "127.0.0.1"}
	h.Name, _ = os.Hostname()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return h
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && !n.IP.IsLoopback() && n.IP.To4() != nil {
			h.IP = n.IP.String()
			break
		}
	}
	return h
}
