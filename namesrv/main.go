// Command namesrv is the RocketMQ-compatible name server:
//
//	go run ./namesrv [-c namesrv.properties] [-p] [-data DIR]
//	    [-control 127.0.0.1:PORT] [-name NODE] [-fault FAULT]...
//
// -c names a RocketMQ properties file (listenPort, bindAddress,
// kvConfigPath, orderMessageEnable, scanNotActiveBrokerInterval,
// brokerChannelExpiredTime, serverChannelMaxIdleTime, frameMaxLength; see
// namesrv.properties). Unknown keys and bad values are reported with
// file:line and the server does not start. -p prints the effective
// configuration and exits. SIGINT or SIGTERM stops it gracefully.
//
// -control ADDR opens the failpoint control socket (realrt.ServeControl),
// which the multi-process runner (jepsen/procrun) drives: each line is one
// fault in flow form ({kind: clock-jump, nodes: [namesrv], by: 30s}),
// answered "ok" or "error: ...". It is a fault injector with no
// authentication, so only a loopback address is accepted. -name is the node name those
// faults must carry (default namesrv). -fault FAULT, repeatable, puts a
// fault in force from boot on; a line that does not parse, or that names
// another node, is refused with exit code 2.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"syscall"

	"rocketsim/faults"
	"rocketsim/namesrv/server"
	"rocketsim/properties"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("namesrv", flag.ContinueOnError)
	configFile := fs.String("c", "", "RocketMQ properties file")
	printConfig := fs.Bool("p", false, "print the effective configuration and exit")
	home, _ := os.UserHomeDir()
	dataDir := fs.String("data", home, "data directory; kvConfigPath is relative to it (Java: user.home)")
	control := fs.String("control", "", "host:port of the failpoint control socket, loopback only: it is a fault injector (empty: none)")
	name := fs.String("name", nodeNameDefault, "node name the faults of -control and -fault must carry")
	var boot faults.FlagList
	fs.Var(&boot, "fault", "a fault in flow form in force from boot on (repeatable), as -control takes it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg, err := loadConfig(*configFile)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
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
			fmt.Fprintln(os.Stderr, "namesrv:", err)
			return 1
		}
		defer ln.Close() // on the early returns; a graceful stop closes it first
	}
	// Catch signals before announcing the boot: whoever waits for that line
	// may stop us at once, and must get a graceful shutdown.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt := realrt.New(*name, realrt.Options{DataDir: *dataDir, MaxFrameSize: cfg.FrameMaxLength, Logger: log})
	for _, f := range boot {
		if err := rt.ApplyFault(f); err != nil {
			fmt.Fprintln(os.Stderr, "namesrv: -fault:", err)
			return 2
		}
	}
	addr := make(chan string, 1)
	err = rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		s, err := server.Start(r, cfg)
		if err == nil {
			addr <- s.Addr() // the bound address: listenPort=0 picks one
		}
		return s, err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "namesrv:", err)
		return 1
	}
	if ln != nil {
		go serveControl(rt, ln, log)
	}
	fmt.Printf("The Name Server boot success. serializeType=JSON listen=%s\n", <-addr)

	s := <-sig
	log.Info("shutting down", slog.String("signal", s.String()))
	if ln != nil {
		ln.Close() // no fault after the stop began
	}
	rt.Stop()
	return 0
}

// nodeNameDefault is the name server's node name unless -name says
// otherwise: the name its runtime logs under and faults must carry.
const nodeNameDefault = "namesrv"

// serveControl answers the control socket until ln is closed.
func serveControl(rt *realrt.Runtime, ln net.Listener, log *slog.Logger) {
	if err := rt.ServeControl(ln); err != nil {
		log.Error("control socket", slog.Any("err", err))
	}
}

// loadConfig binds file (if any) over the defaults and validates the result.
func loadConfig(file string) (server.Config, error) {
	cfg := server.DefaultConfig()
	if file == "" {
		return cfg, cfg.Validate()
	}
	p, err := properties.ParseFile(file)
	if err != nil {
		return cfg, fmt.Errorf("namesrv: %w", err)
	}
	if err := properties.Bind(p, &cfg); err != nil {
		var be *properties.BindError
		if errors.As(err, &be) {
			msg := "namesrv: bad configuration:"
			for _, pr := range be.Problems {
				msg += "\n  " + pr.Error()
			}
			return cfg, errors.New(msg)
		}
		return cfg, fmt.Errorf("namesrv: %w", err)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, fmt.Errorf("namesrv: %s: %w", file, err)
	}
	return cfg, nil
}
