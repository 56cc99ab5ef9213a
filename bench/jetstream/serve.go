package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"syscall"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"rocketsim/broker/config"
	brokerserver "rocketsim/broker/server"
	nsserver "rocketsim/namesrv/server"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// The servers run as child processes of the benchmark: the benchmark
// re-executes its own binary with roleEnv set. A child has its own Go
// runtime (heap, GC, scheduler), as a deployed server has, so the load
// generator's allocations never pause the server under test, and a CPU
// profile taken in the child holds that server's work only. A child prints
// one "READY <address>" line on stdout once it serves and stops gracefully
// when its stdin closes, so it cannot outlive a benchmark that died.
const (
	// roleEnv names the server a child runs: roleRocketMQ or roleJetStream.
	roleEnv = "JSBENCH_ROLE"
	// dirEnv is the child's data directory (created by the parent).
	dirEnv = "JSBENCH_DIR"
	// syncEnv is "1" for the durable setting: SYNC_FLUSH for our broker,
	// sync_interval: always for JetStream.
	syncEnv = "JSBENCH_SYNC"
	// profileEnv, when set, is the file the child writes a CPU profile of
	// its whole life to.
	profileEnv = "JSBENCH_CPUPROFILE"

	roleRocketMQ  = "rocketmq"
	roleJetStream = "jetstream"

	readyPrefix = "READY "
	// serverStartMax bounds how long a child may take to serve.
	serverStartMax = 30 * time.Second
)

// serveChild runs the child role named in the environment, if any, and
// reports whether it did; the process should exit with code then.
func serveChild() (code int, child bool) {
	role := os.Getenv(roleEnv)
	if role == "" {
		return 0, false
	}
	// A Ctrl-C reaches the whole process group; the parent stops us in
	// order (stdin closed), so that our stores are flushed and closed.
	signal.Ignore(os.Interrupt, syscall.SIGTERM)
	if err := serve(role, os.Getenv(dirEnv), os.Getenv(syncEnv) == "1", os.Getenv(profileEnv), os.Stdin, os.Stdout); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", role, err)
		return 1, true
	}
	return 0, true
}

// serve starts the server role names, announces its address on out, and
// stops it when in reaches EOF.
func serve(role, dir string, durable bool, profile string, in io.Reader, out io.Writer) error {
	if dir == "" {
		return errors.New("no data directory")
	}
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer pprof.StopCPUProfile()
	}
	var (
		addr string
		stop func()
		err  error
	)
	switch role {
	case roleRocketMQ:
		addr, stop, err = startRocketMQ(dir, durable)
	case roleJetStream:
		addr, stop, err = startJetStream(dir, durable)
	default:
		return fmt.Errorf("unknown role %q", role)
	}
	if err != nil {
		return err
	}
	defer stop()
	if _, err := fmt.Fprintf(out, "%s%s\n", readyPrefix, addr); err != nil {
		return fmt.Errorf("announce: %w", err)
	}
	_, _ = io.Copy(io.Discard, bufio.NewReader(in)) // until the parent closes our stdin
	return nil
}

// startRocketMQ starts our name server and one broker as the shipped mains
// do (a realrt runtime each, the same node constructors), on loopback with
// their data under dir, and returns the name server's address.
func startRocketMQ(dir string, durable bool) (string, func(), error) {
	logFile, err := os.Create(filepath.Join(dir, "rocketmq.log"))
	if err != nil {
		return "", nil, fmt.Errorf("log: %w", err)
	}
	log := slog.New(slog.NewTextHandler(logFile, &slog.HandlerOptions{Level: slog.LevelWarn}))

	nsCfg := nsserver.DefaultConfig()
	nsCfg.BindAddress = "127.0.0.1"
	nsCfg.ListenPort = 0
	nsRT := realrt.New("namesrv", realrt.Options{DataDir: filepath.Join(dir, "namesrv"), MaxFrameSize: nsCfg.FrameMaxLength, Logger: log})
	nsAddr := make(chan string, 1)
	err = nsRT.Start(func(r runtime.Runtime) (runtime.Node, error) {
		s, err := nsserver.Start(r, nsCfg)
		if err == nil {
			nsAddr <- s.Addr()
		}
		return s, err
	})
	if err != nil {
		return "", nil, fmt.Errorf("name server: %w", err)
	}
	ns := <-nsAddr

	port, err := freePortPair()
	if err != nil {
		nsRT.Stop()
		return "", nil, err
	}
	flush := "ASYNC_FLUSH"
	if durable {
		flush = "SYNC_FLUSH"
	}
	// broker.conf as a single-master deployment writes it; the rest are
	// the broker's (Java's) defaults.
	kv := map[string]string{
		"brokerClusterName":     "DefaultCluster",
		"brokerName":            "broker-a",
		"brokerId":              "0",
		"brokerRole":            "ASYNC_MASTER",
		"namesrvAddr":           ns,
		"brokerIP1":             "127.0.0.1",
		"listenPort":            strconv.Itoa(port),
		"flushDiskType":         flush,
		"storePathRootDir":      "store",
		"autoCreateTopicEnable": "false",
	}
	cfg, _, err := config.LoadMap(kv, "jetstream-bench", config.Host{Name: "broker-a", IP: "127.0.0.1"})
	if err != nil {
		nsRT.Stop()
		return "", nil, fmt.Errorf("broker config: %w", err)
	}
	bRT := realrt.New("broker-a", realrt.Options{DataDir: filepath.Join(dir, "broker"), Logger: log})
	if err := bRT.Start(brokerserver.New(*cfg)); err != nil {
		nsRT.Stop()
		return "", nil, fmt.Errorf("broker: %w", err)
	}
	stop := func() {
		bRT.Stop()
		nsRT.Stop()
		_ = logFile.Close()
	}
	return ns + " " + cfg.ClientAddr(), stop, nil
}

// freePortPairTries bounds the search for two adjacent free ports.
const freePortPairTries = 50

// freePortPair returns a port p with p and p+1 free on loopback: the broker
// listens on listenPort and its HA service on listenPort+1.
func freePortPair() (int, error) {
	for range freePortPairTries {
		l1, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, fmt.Errorf("free port: %w", err)
		}
		p := l1.Addr().(*net.TCPAddr).Port
		l2, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(p+1))
		l1.Close()
		if err == nil {
			l2.Close()
			return p, nil
		}
	}
	return 0, fmt.Errorf("no two adjacent free ports in %d tries", freePortPairTries)
}

// startJetStream starts an embedded nats-server with JetStream on file
// storage under dir. Not durable is the server's default (fsync every
// sync_interval, 2 minutes); durable is sync_interval: always (SyncAlways).
func startJetStream(dir string, durable bool) (string, func(), error) {
	opts := &server.Options{
		Host:       "127.0.0.1",
		Port:       server.RANDOM_PORT,
		JetStream:  true,
		StoreDir:   dir,
		SyncAlways: durable,
		NoLog:      true,
		NoSigs:     true,
	}
	s, err := server.NewServer(opts)
	if err != nil {
		return "", nil, fmt.Errorf("nats-server: %w", err)
	}
	s.Start()
	if !s.ReadyForConnections(serverStartMax) {
		s.Shutdown()
		return "", nil, fmt.Errorf("nats-server not ready within %v", serverStartMax)
	}
	stop := func() {
		s.Shutdown()
		s.WaitForShutdown()
	}
	return s.ClientURL(), stop, nil
}
