package main

import (
	"bufio"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// -control, -name and -fault parse beside the other flags; a -fault line
// that does not parse, or that names another node, stops the name server
// before it starts, with exit code 2.
func TestRunFaultFlags(t *testing.T) {
	dir := t.TempDir()
	good := []string{"-data", dir, "-control", "127.0.0.1:0", "-name", "ns-x",
		"-fault", "{kind: clock-offset, nodes: [ns-x], offset: 2s}", "-p"}
	if code := run(good); code != 0 {
		t.Fatalf("good flags: exit %d", code)
	}
	for _, bad := range []string{"clock-offset", "{kind: clock-offset, nodes: [ns-x], offset: nope}"} {
		if code := run([]string{"-data", dir, "-fault", bad, "-p"}); code != 2 {
			t.Errorf("-fault %q: exit %d, want 2", bad, code)
		}
	}
	// Parses, but names another node ("namesrv" without -name): refused
	// when applied, before the server starts.
	if code := run([]string{"-data", dir, "-fault", "{kind: clock-jump, nodes: [ns-x], by: 1s}"}); code != 2 {
		t.Errorf("a boot fault for another node: exit %d, want 2", code)
	}
}

// The name server serves its control socket once booted, under -name, and
// closes it with a graceful stop.
func TestControlSocketProcess(t *testing.T) {
	dir := t.TempDir()
	conf := filepath.Join(dir, "namesrv.properties")
	if err := os.WriteFile(conf, []byte("listenPort=0\nbindAddress=127.0.0.1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	control := freeLoopbackAddr(t)
	p := startProcess(t, "-c", conf, "-data", dir, "-control", control, "-name", "ns-ctl",
		"-fault", "{kind: clock-offset, nodes: [ns-ctl], offset: -1s}")

	c, err := net.DialTimeout("tcp", control, time.Second)
	if err != nil {
		t.Fatalf("control socket not up after the boot line: %v", err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	lines := bufio.NewReader(c)
	ask := func(fault string) string {
		t.Helper()
		if _, err := c.Write([]byte(fault + "\n")); err != nil {
			t.Fatal(err)
		}
		answer, err := lines.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(answer)
	}
	if a := ask("{kind: clock-jump, nodes: [ns-ctl], by: 5s}"); a != "ok" {
		t.Errorf("a fault naming the node: %q", a)
	}
	if a := ask("{kind: clock-jump, nodes: [namesrv], by: 5s}"); !strings.Contains(a, "not this node") {
		t.Errorf("-name replaces the default node name: %q", a)
	}

	p.stop(t)
	if _, err := net.DialTimeout("tcp", control, time.Second); err == nil {
		t.Error("the control socket outlived the name server")
	}
}

// freeLoopbackAddr is a loopback address that was free a moment ago.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}
