// Command namesrv is the RocketMQ-compatible name server:
//
//	go run ./namesrv [-c namesrv.properties] [-p] [-data DIR]
//
// -c names a RocketMQ properties file (listenPort, bindAddress,
// kvConfigPath, orderMessageEnable, scanNotActiveBrokerInterval,
// brokerChannelExpiredTime, serverChannelMaxIdleTime, frameMaxLength; see
// namesrv.properties). Unknown keys and bad values are reported with
// file:line and the server does not start. -p prints the effective
// configuration and exits. SIGINT or SIGTERM stops it gracefully.
package main

import (
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

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
	// Catch signals before announcing the boot: whoever waits for that line
	// may stop us at once, and must get a graceful shutdown.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt := realrt.New("namesrv", realrt.Options{DataDir: *dataDir, MaxFrameSize: cfg.FrameMaxLength, Logger: log})
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
	fmt.Printf("The Name Server boot success. serializeType=JSON listen=%s\n", <-addr)

	s := <-sig
	log.Info("shutting down", slog.String("signal", s.String()))
	rt.Stop()
	return 0
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
