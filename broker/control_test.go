package main

import (
	"bufio"
	"errors"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// -control, -name and -fault parse beside the other flags; a -fault line
// that does not parse, or that names another node, stops the broker
// before it starts, with exit code 2.
func TestRunFaultFlags(t *testing.T) {
	dir := t.TempDir()
	good := []string{"-c", "testdata/broker.conf", "-data", dir,
		"-control", "127.0.0.1:0", "-name", "node-x",
		"-fault", "{kind: fsync-fail, nodes: [node-x], prob: 0.5}",
		"-fault", "{kind: clock-offset, nodes: [node-x], offset: 2s}"}
	require.Equal(t, 0, run(append(good, "-p")), "the flags parse (-p exits before the boot)")

	for _, bad := range []string{"fsync-fail", "{kind: fsync-fail, nodes: [node-x], prob: 7}", "{kind: no-such-kind}"} {
		require.Equal(t, 2, run([]string{"-c", "testdata/broker.conf", "-data", dir, "-fault", bad, "-p"}), bad)
	}
	// Parses, but names another node: refused when applied, before Start
	// (no store is opened, so the directory stays empty).
	require.Equal(t, 2, run([]string{"-c", "testdata/broker.conf", "-data", dir, "-name", "node-x",
		"-fault", "{kind: fsync-fail, nodes: [node-y], prob: 0.5}"}))
	// Without -name the node is brokerName.
	require.Equal(t, 2, run([]string{"-c", "testdata/broker.conf", "-data", dir,
		"-fault", "{kind: clock-offset, nodes: [node-x], offset: 2s}"}))
	entries, err := filepath.Glob(filepath.Join(dir, "*"))
	require.NoError(t, err)
	require.Empty(t, entries, "a refused boot fault leaves no store behind")
}

// The shipped broker serves its control socket once booted: faults naming
// it are applied, faults naming another node are refused, and the socket
// closes with a graceful stop.
func TestControlSocketProcess(t *testing.T) {
	dir := t.TempDir()
	port, control := freePort(t), "127.0.0.1:"+strconv.Itoa(freePort(t))
	conf := writeConf(t, dir, [][2]string{
		{"brokerName", "broker-ctl"},
		{"namesrvAddr", "127.0.0.1:1"}, // none: the broker serves without one
		{"brokerIP1", "127.0.0.1"},
		{"listenPort", strconv.Itoa(port)},
		{"haListenPort", strconv.Itoa(freePort(t))},
		{"storePathRootDir", filepath.Join(dir, "store")},
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	p := startBrokerProcessWithBugs(t, addr, "", "-c", conf, "-data", dir, "-control", control, "-name", "node-ctl",
		"-fault", "{kind: fsync-latency, nodes: [node-ctl], min: 1ms, max: 2ms}")
	require.True(t, dialable(control), "the control socket is up once the boot line is out")
	require.Contains(t, p.stdout.String(), "The broker[broker-ctl, "+addr+"] boot success. serializeType=JSON",
		"the boot line does not change with -name")

	c, err := net.DialTimeout("tcp", control, time.Second)
	require.NoError(t, err)
	defer c.Close()
	require.NoError(t, c.SetDeadline(time.Now().Add(10*time.Second)))
	lines := bufio.NewReader(c)
	ask := func(fault string) string {
		_, err := c.Write([]byte(fault + "\n"))
		require.NoError(t, err)
		answer, err := lines.ReadString('\n')
		require.NoError(t, err)
		return strings.TrimSpace(answer)
	}
	require.Equal(t, "ok", ask("{kind: clock-jump, nodes: [node-ctl], by: 1s}"))
	require.Equal(t, "ok", ask("{kind: disk-free, nodes: [node-ctl]}"))
	answer := ask("{kind: clock-jump, nodes: [broker-ctl], by: 1s}")
	require.True(t, strings.HasPrefix(answer, "error:") && strings.Contains(answer, "not this node"),
		"-name, not brokerName, is the node: %s", answer)
	require.True(t, strings.HasPrefix(ask("{kind: clock-jump"), "error:"))

	require.NoError(t, p.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case <-p.exited:
	case <-time.After(bootTimeout):
		t.Fatalf("no exit after SIGTERM; stderr:\n%s", p.stderr)
	}
	require.NoError(t, p.err, "a graceful stop exits 0; stderr:\n%s", p.stderr)
	require.False(t, dialable(control), "the control socket closed with the broker")
}

// A boot fault naming another node is refused by the process too: exit
// code 2 and a message naming the flag.
func TestBadBootFaultExitCode(t *testing.T) {
	dir := t.TempDir()
	p := spawnBroker(t, "", "-c", "testdata/broker.conf", "-data", dir,
		"-fault", "{kind: fsync-fail, nodes: [someone-else], prob: 1}")
	select {
	case <-p.exited:
	case <-time.After(bootTimeout):
		t.Fatal("the broker did not exit")
	}
	var exit *exec.ExitError
	require.True(t, errors.As(p.err, &exit), "%v", p.err)
	require.Equal(t, 2, exit.ExitCode())
	require.Contains(t, p.stderr.String(), "-fault")
	require.Contains(t, p.stderr.String(), "not this node")
	require.NotContains(t, p.stdout.String(), "boot success")
}
