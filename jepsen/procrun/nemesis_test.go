package procrun

import (
	"context"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/faults"
	"rocketsim/remoting"
)

// proxyOnly is a cluster with no processes: partitions need only the
// proxy.
func proxyOnly(t *testing.T) (*Nemesis, *Proxy) {
	px := NewProxy(nil)
	t.Cleanup(px.Close)
	c := &Cluster{Proxy: px, nodes: map[string]*Process{}}
	names := []string{"namesrv", "broker-a", "broker-b", "producer-1", "consumer-1"}
	return NewNemesis(c, names, []string{"producer-1", "consumer-1"}, rand.New(rand.NewPCG(1, 2)), nil), px
}

func mustParse(t *testing.T, s string) faults.Fault {
	t.Helper()
	f, err := faults.Parse(s)
	require.NoError(t, err)
	return f
}

func TestNemesisPartitionsCutTheRightLinks(t *testing.T) {
	n, px := proxyOnly(t)

	require.NoError(t, n.Apply(mustParse(t, "{kind: partition, groups: [[producer-1], [broker-a, broker-b]]}")))
	require.Equal(t, []string{
		"broker-a->producer-1", "broker-b->producer-1", "producer-1->broker-a", "producer-1->broker-b",
	}, px.Cuts())

	require.NoError(t, n.Apply(mustParse(t, "{kind: heal}")))
	require.Empty(t, px.Cuts())

	require.NoError(t, n.Apply(mustParse(t, "{kind: partition-one-way, from: [broker-b], to: [namesrv]}")))
	require.Equal(t, []string{"broker-b->namesrv"}, px.Cuts(), "one direction only")
	px.Heal()

	require.NoError(t, n.Apply(mustParse(t, "{kind: isolate, nodes: [consumer-1]}")))
	cuts := px.Cuts()
	require.Len(t, cuts, 8, "both directions to each of the 4 others: %v", cuts)
	for _, c := range cuts {
		require.Contains(t, c, "consumer-1")
	}
	px.Heal()

	// A bridge: the others split in two halves that both reach the bridge.
	require.NoError(t, n.Apply(mustParse(t, "{kind: bridge, nodes: [namesrv]}")))
	cuts = px.Cuts()
	require.NotEmpty(t, cuts)
	for _, c := range cuts {
		require.NotContains(t, c, "namesrv")
	}
	px.Heal()

	// Random halves cut every link between the halves and nothing else.
	require.NoError(t, n.Apply(mustParse(t, "{kind: partition-random}")))
	cuts = px.Cuts()
	require.Len(t, cuts, 2*2*3, "halves of 2 and 3 nodes: %v", cuts)
}

func TestNemesisLinkShapingAndHeal(t *testing.T) {
	n, px := proxyOnly(t)
	delay := func(from, to string) time.Duration {
		d, dead := px.delay(link{from, to})
		require.False(t, dead)
		return d
	}
	n.SetBaseShaping(time.Millisecond, 2*time.Millisecond, 0)
	require.NoError(t, n.Apply(mustParse(t, "{kind: link-latency, from: [producer-1], to: [broker-a], min: 40ms, max: 40ms}")))
	require.Equal(t, 40*time.Millisecond, delay("producer-1", "broker-a"))
	require.Equal(t, 40*time.Millisecond, delay("broker-a", "producer-1"), "both directions, as the simulator")
	d := delay("producer-1", "broker-b")
	require.True(t, d >= time.Millisecond && d <= 2*time.Millisecond, "other links keep the base: %v", d)

	// Every transmission lost: the chunk waits out every retransmission
	// timeout and its connection dies, as the simulator's.
	require.NoError(t, n.Apply(mustParse(t, "{kind: link-loss, from: [consumer-1], to: [broker-b], prob: 1}")))
	d, dead := px.delay(link{"broker-b", "consumer-1"})
	require.True(t, dead)
	require.Greater(t, d, 50*time.Second, "200ms doubled 8 times: %v", d)
	require.Equal(t, 40*time.Millisecond, delay("producer-1", "broker-a"), "loss leaves other links' latency alone")

	require.NoError(t, n.HealAll())
	d = delay("producer-1", "broker-a")
	require.True(t, d >= time.Millisecond && d <= 2*time.Millisecond, "heal restores the base: %v", d)
	d = delay("consumer-1", "broker-b")
	require.True(t, d >= time.Millisecond && d <= 2*time.Millisecond, "heal ends the loss: %v", d)
}

func TestNemesisRefusesBeforeChangingAnything(t *testing.T) {
	n, px := proxyOnly(t)
	for _, s := range []string{
		"{kind: power-loss, nodes: [broker-a]}",
		"{kind: link-latency, from: [nobody], min: 1ms, max: 2ms}",
		"{kind: pause, nodes: [consumer-1]}",
		"{kind: fsync-fail, nodes: [broker-a], prob: 0.5}", // no control socket in this cluster
		"{kind: partition, groups: [[producer-1], [nobody]]}",
	} {
		err := n.Apply(mustParse(t, s))
		require.Error(t, err, s)
		require.Empty(t, px.Cuts(), s)
	}
	err := n.Apply(mustParse(t, "{kind: power-loss, nodes: [broker-a]}"))
	require.ErrorIs(t, err, ErrUnsupported)
	require.ErrorContains(t, err, "power-loss")
}

// One real broker and name server (./broker and ./namesrv with -control):
// signals and the control socket do what the nemesis relies on.
func TestClusterProcessFaults(t *testing.T) {
	bins := binaries(t)
	dir := t.TempDir()
	c, err := StartCluster(context.Background(), ClusterSpec{
		Dir: dir, Namesrv: "namesrv",
		Brokers: []BrokerSpec{{Name: "broker-a", Conf: map[string]string{"flushDiskType": "SYNC_FLUSH"}}},
		Clients: []string{"producer-1"},
	}, bins, nil)
	require.NoError(t, err)
	defer c.Stop()
	n := NewNemesis(c, []string{"namesrv", "broker-a", "producer-1"}, []string{"producer-1"}, rand.New(rand.NewPCG(1, 1)), nil)
	b := c.Process("broker-a")
	require.NotNil(t, b)
	require.NotEmpty(t, b.ControlAddr)
	require.NotEmpty(t, c.NamesrvFor("producer-1"))
	require.NotEqual(t, c.Namesrv.Addr, c.NamesrvFor("producer-1"), "clients reach the name server through the proxy")

	require.NoError(t, n.Apply(mustParse(t, "{kind: fsync-fail, nodes: [broker-a], prob: 0.5}")))
	require.NoError(t, n.Apply(mustParse(t, "{kind: clock-jump, nodes: [broker-a], by: 5s}")))
	require.NotEmpty(t, c.Namesrv.ControlAddr)
	require.NoError(t, n.Apply(mustParse(t, "{kind: clock-offset, nodes: [namesrv], offset: -3s}")), "the name server has failpoints too")
	err = b.Control("{kind: fsync-fail, nodes: [broker-b], prob: 0.5}")
	require.ErrorContains(t, err, "not this node", "the broker checks the fault names it")

	require.True(t, dialAndRead(b.Addr, 5*time.Second), "a running broker answers")
	require.NoError(t, n.Apply(mustParse(t, "{kind: pause, nodes: [broker-a]}")))
	require.True(t, b.Paused())
	state, ok := procState(b.cmd.Process.Pid)
	require.True(t, ok)
	require.Equal(t, byte('T'), state, "the kernel has stopped it by the time Pause returns")
	require.False(t, dialAndRead(b.Addr, 500*time.Millisecond), "a paused broker accepts (kernel) but never answers")
	require.NoError(t, n.Apply(mustParse(t, "{kind: resume, nodes: [broker-a]}")))
	require.False(t, b.Paused())
	require.True(t, dialAndRead(b.Addr, 5*time.Second), "a resumed broker answers again")

	require.NoError(t, n.Apply(mustParse(t, "{kind: crash, nodes: [broker-a]}")))
	require.False(t, b.Running())
	require.ErrorIs(t, b.Control("{kind: disk-free}"), ErrNotRunning)
	require.NoError(t, n.Apply(mustParse(t, "{kind: fsync-latency, nodes: [broker-a], min: 1ms, max: 2ms}")),
		"a failpoint on a node that is down is logged, not an error")

	require.NoError(t, n.Apply(mustParse(t, "{kind: restart, nodes: [broker-a]}")))
	require.True(t, b.Running())
	require.Equal(t, 2, b.Starts())
	// The failpoints outlive the process, as the simulator's disk does:
	// the new incarnation boots with them.
	logA, err := os.ReadFile(filepath.Join(dir, "broker-a.log"))
	require.NoError(t, err)
	second := string(logA[strings.Index(string(logA), "incarnation 2"):])
	require.Contains(t, second, "{kind: fsync-latency, nodes: [broker-a], min: 1ms, max: 2ms}")
	require.Contains(t, second, "{kind: fsync-fail, nodes: [broker-a], prob: 0.5}")
	require.Contains(t, second, "kind: clock-offset, nodes: [broker-a], offset: 5")
	require.NoError(t, n.HealAll())

	require.NoError(t, b.Stop())
	require.False(t, b.Running())
	require.NoError(t, n.HealAll(), "heal starts a stopped broker")
	require.True(t, b.Running())
	require.Equal(t, 3, b.Starts())

	logs, err := filepath.Glob(filepath.Join(dir, "*.log"))
	require.NoError(t, err)
	require.True(t, slices.ContainsFunc(logs, func(s string) bool { return filepath.Base(s) == "broker-a.log" }))
}

// dialAndRead asks the broker at addr for its runtime info and reports
// whether any answer came within wait.
func dialAndRead(addr string, wait time.Duration) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(wait))
	req := &remoting.Command{Code: remoting.ReqGetBrokerRuntimeInfo, Language: "GO", Opaque: 1}
	if _, err := c.Write(remoting.Encode(req)); err != nil {
		return false
	}
	_, err = readFrame(c)
	return err == nil
}

// With --plain (WithoutControls) the same binaries run without -control:
// the broker boots behind the proxy, is killed and comes back on its data
// dir; with no control socket, failpoints are refused up front.
func TestPlainBrokerBinary(t *testing.T) {
	dir := t.TempDir()
	ctx := context.Background()
	built := binaries(t)
	require.True(t, built.BrokerControl && built.NamesrvControl, "the runner's binaries take -control")
	bins := built.WithoutControls()
	require.Equal(t, built.Broker, bins.Broker, "the same binaries")
	require.False(t, bins.BrokerControl)
	require.False(t, bins.NamesrvControl)
	c, err := StartCluster(ctx, ClusterSpec{
		Dir: dir, Namesrv: "namesrv",
		Brokers: []BrokerSpec{{Name: "broker-a", Conf: map[string]string{"flushDiskType": "SYNC_FLUSH"}}},
	}, bins, nil)
	require.NoError(t, err)
	defer c.Stop()
	b := c.Process("broker-a")
	require.Empty(t, b.ControlAddr)
	require.Empty(t, c.Namesrv.ControlAddr)
	n := NewNemesis(c, []string{"namesrv", "broker-a"}, nil, rand.New(rand.NewPCG(1, 1)), nil)
	require.ErrorIs(t, n.Apply(mustParse(t, "{kind: fsync-fail, nodes: [broker-a], prob: 1}")), ErrUnsupported)
	require.True(t, dialAndRead(b.Addr, 5*time.Second))
	require.NoError(t, n.Apply(mustParse(t, "{kind: restart, nodes: [broker-a]}")))
	require.Equal(t, 2, b.Starts())
	require.True(t, dialAndRead(b.Addr, 5*time.Second))
}
