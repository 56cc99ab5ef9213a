package main

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"
)

// The test binary doubles as the broker process: with this variable set it
// runs main's run() with the given arguments ("\x1f"-separated) instead of
// the tests. Re-executing os.Args[0] needs no `go build` and so no
// toolchain or module cache at test time, and the child is exactly the code
// under test.
const childEnv = "BROKER_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childEnv); args != "" {
		os.Exit(run(strings.Split(args, "\x1f")))
	}
	os.Exit(m.Run())
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

// startBrokerProcess starts the broker with args and waits until it printed
// its boot line and accepts TCP connections on addr. The process is killed
// at the end of the test if it is still running.
func startBrokerProcess(t *testing.T, addr string, args ...string) *brokerProcess {
	t.Helper()
	p := &brokerProcess{
		cmd:    exec.Command(os.Args[0], "-test.run=^$"),
		stdout: &syncBuffer{},
		stderr: &syncBuffer{},
		exited: make(chan struct{}),
	}
	p.cmd.Env = append(os.Environ(), childEnv+"="+strings.Join(args, "\x1f"))
	p.cmd.Stdout, p.cmd.Stderr = p.stdout, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start broker process: %v", err)
	}
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(p.kill)

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
// name server's route keep its address.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

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
