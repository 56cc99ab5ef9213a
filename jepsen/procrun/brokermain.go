package procrun

import (
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"rocketsim/broker/config"
	"rocketsim/faults"
	"rocketsim/properties"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// BrokerMain is the broker's main with its failpoint control socket
// exposed: broker/main.go's -c, -n and -data, plus -control ADDR, where
// realrt.ServeControl answers one fault per line, and -name, the node name
// those faults must carry, and -fault (repeatable), faults in force from
// boot on. newNode builds the broker
// from its configuration (server.New). It returns the exit code.
//
// It exists because broker/main.go has no flag for the control socket yet;
// once it has one, the runner can run ./broker itself (see Binaries).
func BrokerMain(args []string, newNode func(config.Config) runtime.NewNode) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	configFile := fs.String("c", "", "RocketMQ broker.conf")
	namesrv := fs.String("n", "", "name server addresses (overrides namesrvAddr)")
	dataDir := fs.String("data", "", "data directory; relative store paths are relative to it")
	control := fs.String("control", "", "loopback host:port of the failpoint control socket (empty: none)")
	var boot faultList
	fs.Var(&boot, "fault", "a fault in flow form in force from boot on (repeatable), as the control socket takes it")
	name := fs.String("name", "", "node name faults sent to the control socket must carry (default brokerName; a slave shares its master's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	p := properties.New("defaults")
	if *configFile != "" {
		var err error
		if p, err = properties.ParseFile(*configFile); err != nil {
			fmt.Fprintln(os.Stderr, "broker:", err)
			return 2
		}
	}
	config.OverrideNamesrv(p, *namesrv)
	cfg, warnings, err := config.LoadProps(p, config.Host{IP: "127.0.0.1", Name: "localhost"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	for _, w := range warnings {
		log.Warn("configuration", slog.String("warning", w))
	}
	var ln net.Listener
	if *control != "" {
		if ln, err = net.Listen("tcp", *control); err != nil {
			fmt.Fprintln(os.Stderr, "broker: control socket:", err)
			return 1
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	node := *name
	if node == "" {
		node = cfg.BrokerName
	}
	rt := realrt.New(node, realrt.Options{DataDir: *dataDir, Logger: log})
	for _, line := range boot {
		f, err := faults.Parse(line)
		if err == nil {
			err = rt.ApplyFault(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "-fault:", err)
			return 2
		}
	}
	if err := rt.Start(newNode(*cfg)); err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 1
	}
	if ln != nil {
		go func() {
			if err := rt.ServeControl(ln); err != nil {
				log.Error("control socket", "err", err)
			}
		}()
	}
	fmt.Printf("The broker[%s, %s] boot success. serializeType=JSON and name server is %v\n",
		cfg.BrokerName, cfg.ClientAddr(), cfg.NamesrvAddr)
	s := <-sig
	log.Info("shutting down", slog.String("signal", s.String()))
	if ln != nil {
		ln.Close()
	}
	rt.Stop()
	return 0
}

// faultList collects repeated -fault flags.
type faultList []string

func (l *faultList) String() string     { return fmt.Sprint([]string(*l)) }
func (l *faultList) Set(s string) error { *l = append(*l, s); return nil }
