package realrt

import (
	"bufio"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"rocketsim/runtime"
)

func TestServeControlAppliesFaultsLineByLine(t *testing.T) {
	rt := startRT(t, "broker-a", Options{DataDir: t.TempDir()}, nil)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- rt.ServeControl(ln) }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	in := bufio.NewReader(c)
	ask := func(line string) string {
		t.Helper()
		if _, err := c.Write([]byte(line + "\n")); err != nil {
			t.Fatal(err)
		}
		_ = c.SetReadDeadline(time.Now().Add(waitLimit))
		reply, err := in.ReadString('\n')
		if err != nil {
			t.Fatalf("reply to %q: %v", line, err)
		}
		return strings.TrimSpace(reply)
	}
	if _, err := c.Write([]byte("\n# a comment\n")); err != nil {
		t.Fatal(err)
	}
	if got := ask("{kind: fsync-fail, nodes: [broker-a], prob: 1}"); got != "ok" {
		t.Fatalf("reply %q, want ok", got)
	}
	onLoop(t, rt, func() {
		f, err := rt.Disk().Open("x", runtime.ReadWrite|runtime.Create)
		if err != nil {
			t.Errorf("open: %v", err)
			return
		}
		defer f.Close()
		if err := f.Sync(); !errors.Is(err, runtime.ErrIO) {
			t.Errorf("Sync after fsync-fail via control = %v, want ErrIO", err)
		}
	})
	for _, bad := range []string{
		"{kind: crash, nodes: [broker-a]}",
		"{kind: fsync-fail, nodes: [broker-b], prob: 1}",
		"{kind: nonsense}",
		"not yaml: [",
	} {
		if got := ask(bad); !strings.HasPrefix(got, "error: ") {
			t.Fatalf("reply to %q = %q, want an error", bad, got)
		}
	}
	// An oversized line ends the connection with an error.
	if got := ask(strings.Repeat("x", controlLineMax+10)); !strings.HasPrefix(got, "error: ") {
		t.Fatalf("reply to an oversized line = %q", got)
	}

	ln.Close()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("ServeControl = %v after close", err)
		}
	case <-timeAfter():
		t.Fatal("ServeControl did not return after its listener closed")
	}
}

// ListenControl binds loopback only: the control socket injects faults.
func TestListenControlRefusesNonLoopback(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "10.1.2.3:9999", "example.com:1", "nocolon"} {
		if ln, err := ListenControl(addr); err == nil {
			ln.Close()
			t.Errorf("ListenControl(%q) listened", addr)
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0"} {
		ln, err := ListenControl(addr)
		if err != nil {
			if addr == "[::1]:0" { // a machine without IPv6 loopback
				continue
			}
			t.Fatalf("ListenControl(%q): %v", addr, err)
		}
		ln.Close()
	}
}
