package procrun

import (
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

// NamesrvMain is the name server's main with its failpoint control socket
// exposed: namesrv/main.go's -c and -data, plus -control ADDR and -name
// (the node name the faults it is sent must carry). It returns
// the exit code. It exists because namesrv/main.go has no flag for the
// control socket yet.
func NamesrvMain(args []string) int {
	fs := flag.NewFlagSet("namesrv", flag.ContinueOnError)
	configFile := fs.String("c", "", "RocketMQ properties file")
	dataDir := fs.String("data", "", "data directory; kvConfigPath is relative to it")
	control := fs.String("control", "", "loopback host:port of the failpoint control socket (empty: none)")
	var boot faultList
	fs.Var(&boot, "fault", "a fault in flow form in force from boot on (repeatable), as the control socket takes it")
	name := fs.String("name", "namesrv", "node name; faults sent to the control socket must name it")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	cfg := server.DefaultConfig()
	if *configFile != "" {
		p, err := properties.ParseFile(*configFile)
		if err == nil {
			err = properties.Bind(p, &cfg)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "namesrv:", err)
			return 2
		}
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintln(os.Stderr, "namesrv:", err)
		return 2
	}
	var ln net.Listener
	if *control != "" {
		var err error
		if ln, err = net.Listen("tcp", *control); err != nil {
			fmt.Fprintln(os.Stderr, "namesrv: control socket:", err)
			return 1
		}
	}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt := realrt.New(*name, realrt.Options{DataDir: *dataDir, MaxFrameSize: cfg.FrameMaxLength, Logger: log})
	addr := make(chan string, 1)
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
	err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		s, err := server.Start(r, cfg)
		if err == nil {
			addr <- s.Addr()
		}
		return s, err
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "namesrv:", err)
		return 1
	}
	if ln != nil {
		go func() {
			if err := rt.ServeControl(ln); err != nil {
				log.Error("control socket", "err", err)
			}
		}()
	}
	fmt.Printf("The Name Server boot success. serializeType=JSON listen=%s\n", <-addr)
	s := <-sig
	log.Info("shutting down", slog.String("signal", s.String()))
	if ln != nil {
		ln.Close()
	}
	rt.Stop()
	return 0
}
