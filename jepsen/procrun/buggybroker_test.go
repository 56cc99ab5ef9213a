package procrun

import (
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"rocketsim/broker/bugs"
	"rocketsim/broker/config"
	"rocketsim/broker/server"
	"rocketsim/properties"
	"rocketsim/runtime/realrt"
)

// runBuggyBroker is the test binary as a broker for the runner, with the
// broker/bugs switch bug on: ./broker's -c and -data only (the runner
// passes nothing else to a broker without a control socket), its boot
// line, and a graceful stop on SIGINT or SIGTERM. It returns the exit
// code.
func runBuggyBroker(args []string, bug string) int {
	fs := flag.NewFlagSet("buggy-broker", flag.ContinueOnError)
	configFile := fs.String("c", "", "RocketMQ broker.conf")
	dataDir := fs.String("data", "", "data directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var sw bugs.Switches
	switch bug {
	case "drop-acked":
		sw.DropAckedMessage = true
		sw.Limit = 3 // three acknowledged messages vanish per incarnation
	default:
		fmt.Fprintln(os.Stderr, "procrun test broker: unknown bug", bug)
		return 2
	}
	p, err := properties.ParseFile(*configFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, "procrun test broker:", err)
		return 2
	}
	cfg, _, err := config.LoadProps(p, config.Host{IP: "127.0.0.1", Name: "localhost"})
	if err != nil {
		fmt.Fprintln(os.Stderr, "procrun test broker:", err)
		return 2
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt := realrt.New(cfg.BrokerName, realrt.Options{DataDir: *dataDir, Logger: log})
	if err := rt.Start(server.NewWithBugs(*cfg, sw)); err != nil {
		fmt.Fprintln(os.Stderr, "procrun test broker:", err)
		return 1
	}
	fmt.Printf("The broker[%s, %s] boot success (bug %s)\n", cfg.BrokerName, cfg.ClientAddr(), bug)
	<-sig
	rt.Stop()
	return 0
}
