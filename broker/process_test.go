package main

import (
	"bytes"
	"flag"
	"fmt"
	"log/slog"
	mathrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"rocketsim/broker/bugs"
	"rocketsim/broker/server"
	"rocketsim/runtime/realrt"
)

// The test binary doubles as the broker process: with this variable set it
// runs main's run() with the given arguments ("\x1f"-separated) instead of
// the tests. Re-executing os.Args[0] needs no `go build` and so no
// toolchain or module cache at test time, and the child is exactly the code
// under test.
const childEnv = "BROKER_TEST_CHILD_ARGS"

// childBugsEnv, when set beside childEnv, names a broker/bugs switch the
// child turns on (see runWithBugs): a test shows its judgement catching a
// broken broker. main's run() itself can never turn one on.
const childBugsEnv = "BROKER_TEST_CHILD_BUGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		if name := os.Getenv(childBugsEnv); name != "" {
			os.Exit(runWithBugs(strings.Split(args, "\x1f"), name))
		}
		os.Exit(run(strings.Split(args, "\x1f")))
	}
	os.Exit(m.Run())
}

// runWithBugs is main's run() for -c and -data only, with the broker built
// by server.NewWithBugs with the one switch name selects, striking on its
// first chance once per incarnation.
func runWithBugs(args []string, name string) int {
	fs := flag.NewFlagSet("broker", flag.ContinueOnError)
	configFile := fs.String("c", "", "RocketMQ broker.conf")
	dataDir := fs.String("data", "", "data directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	var sw bugs.Switches
	switch name {
	case "drop-acked":
		sw.DropAckedMessage = true
	default:
		fmt.Fprintln(os.Stderr, "broker: unknown bug", name)
		return 2
	}
	cfg, _, err := loadConfig(*configFile, "")
	if err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	rt := realrt.New(cfg.BrokerName, realrt.Options{DataDir: *dataDir, Logger: log})
	if err := rt.Start(server.NewWithBugs(*cfg, sw)); err != nil {
		fmt.Fprintln(os.Stderr, "broker:", err)
		return 1
	}
	fmt.Printf("The broker[%s, %s] boot success (bug %s)\n", cfg.BrokerName, cfg.ClientAddr(), name)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	rt.Stop()
	return 0
}

// syncBuffer collects a child's output while tests read it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// brokerProcess is one incarnation of the broker as an OS process.
type brokerProcess struct {
	cmd    *exec.Cmd
	stdout *syncBuffer
	stderr *syncBuffer
	exited chan struct{} // closed once Wait returned
	err    error         // Wait's result, valid after exited
}

// bootTimeout bounds how long a broker may take from exec to accepting
// connections; generous because the machine is shared and loaded.
const bootTimeout = 20 * time.Second

// startBrokerProcessWithBugs starts the broker with args and the bug switch
// bug on ("" for none), and waits until it printed its boot line and
// accepts TCP connections on addr. The process is killed at the end of the
// test if it is still running.
func startBrokerProcessWithBugs(t *testing.T, addr, bug string, args ...string) *brokerProcess {
	t.Helper()
	p := spawnBroker(t, bug, args...)
	deadline := time.Now().Add(bootTimeout)
	for {
		select {
		case <-p.exited:
			t.Fatalf("broker exited during boot (%v); stdout:\n%s\nstderr:\n%s", p.err, p.stdout, p.stderr)
		default:
		}
		if strings.Contains(p.stdout.String(), "boot success") && dialable(addr) {
			return p
		}
		if time.Now().After(deadline) {
			p.kill()
			t.Fatalf("broker not serving on %s within %v; stdout:\n%s\nstderr:\n%s", addr, bootTimeout, p.stdout, p.stderr)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// spawnBroker starts the broker process with the bug switch bug on ("" for
// none) and returns at once. The process is killed at the end of the test
// if it is still running.
func spawnBroker(t *testing.T, bug string, args ...string) *brokerProcess {
	t.Helper()
	p := &brokerProcess{
		cmd:    exec.Command(os.Args[0], "-test.run=^$"),
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		exited: make(chan struct{}),
	}
	p.cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"))
	if bug != "" {
		p.cmd.Env = append(p.cmd.Env, childBugsEnv+"="+bug)
	}
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start broker process: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)
	return p
}

// kill sends SIGKILL (no handler runs, nothing is flushed or closed by the
// broker) and waits for the process to be gone. Safe to call twice.
func (p *brokerProcess) kill() {
	select {
	case <-p.exited:
		return
	default:
	}
	_ = p.cmd.Process.Kill()
	<-p.exited
}

func dialable(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// freePort returns a loopback port that was free a moment ago. The broker
// needs a fixed port, the same across restarts, because producers and the
// name server's route keep its address. It is drawn below Linux's default
// ephemeral range (32768-60999), so that no connection or ":0" listener of
// a concurrently running test can take it while the broker is down.
func freePort(t *testing.T) int {
	t.Helper()
	for range freePortTries {
		port := freePortLow + mathrand.IntN(freePortHigh-freePortLow)
		ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
		if err != nil {
			continue
		}
		ln.Close()
		return port
	}
	t.Fatalf("no free port in [%d, %d) after %d tries", freePortLow, freePortHigh, freePortTries)
	return 0
}

// The range freePort draws from, and how often it tries.
const (
	freePortLow   = 20000
	freePortHigh  = 32000
	freePortTries = 100
)

// writeConf writes a broker.conf with the given lines into dir.
func writeConf(t *testing.T, dir string, kv [][2]string) string {
	t.Helper()
	var b strings.Builder
	for _, e := range kv {
		fmt.Fprintf(&b, "%s=%s\n", e[0], e[1])
	}
	path := dir + "/broker.conf"
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatalf("write broker.conf: %v", err)
	}
	return path
}
