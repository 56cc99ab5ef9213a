package procrun

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	"rocketsim/sim/scenario"
)

// childBugEnv turns this test binary into a broker with one broker/bugs
// switch on (the value names it), so a test can run a broken broker as a
// real process: no binary built from a main package can turn a switch on.
const childBugEnv = "PROCRUN_TEST_BROKER_BUG"

func TestMain(m *testing.M) {
	if bug := os.Getenv(childBugEnv); bug != "" {
		os.Exit(runBuggyBroker(os.Args[1:], bug))
	}
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

var (
	buildOnce sync.Once
	binDir    string
	builtBins Binaries
	buildErr  error
)

// binaries builds ./namesrv and ./broker once per test binary.
// runLogged runs s with opts, fails the test if the run could not happen,
// and logs its report, which it also returns as printed.
func runLogged(t *testing.T, s *scenario.Scenario, opts Options) (*Report, string) {
	t.Helper()
	rep, err := Run(context.Background(), s, opts)
	require.NoError(t, err)
	var out strings.Builder
	PrintReport(&out, rep)
	t.Log("\n" + out.String())
	return rep, out.String()
}

func binaries(t *testing.T) Binaries {
	t.Helper()
	buildOnce.Do(func() {
		root, err := ModuleRoot(".")
		if err != nil {
			buildErr = err
			return
		}
		if binDir, err = os.MkdirTemp("", "procrun-test-bin-"); err != nil {
			buildErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		defer cancel()
		builtBins, buildErr = BuildBinaries(ctx, root, binDir)
	})
	require.NoError(t, buildErr)
	return builtBins
}

func parseScenario(t *testing.T, src string) *scenario.Scenario {
	t.Helper()
	s, err := scenario.Parse([]byte(src), t.Name()+".yaml")
	require.NoError(t, err)
	return s
}

// topology is two SYNC_FLUSH brokers, two producers and a consumer.
const topology = `
topology:
  nodes:
    - {name: namesrv, role: namesrv}
    - {name: broker-a, role: broker, options: {flushDiskType: SYNC_FLUSH}}
    - {name: broker-b, role: broker, options: {flushDiskType: SYNC_FLUSH}}
    - {name: producer-1, role: producer}
    - {name: producer-2, role: producer}
    - {name: consumer-1, role: consumer}
`

// A short run with a kill -9 of a SYNC_FLUSH broker under load, a
// partition between a producer and the other broker, and failing fsyncs
// through the control socket: nothing acknowledged is lost, every checker
// passes, and the faults really happened (a second incarnation, the
// failpoint in the broker's log).
func TestRunKillPartitionFsyncFailPasses(t *testing.T) {
	s := parseScenario(t, `
name: procrun-test-kill
duration: 12s
settle: 3s
`+topology+`
workload:
  kind: mq
  params: {topic: ProcTest, queues: 2, interval: 25ms, timeout: 3s, window: 2, body: 64, drain: 30s}
faults:
  - at: 2s
    fault: {kind: crash, nodes: [broker-a]}
  - at: 4s
    fault: {kind: restart, nodes: [broker-a]}
  - at: 5s
    fault: {kind: partition, groups: [[producer-1], [broker-b]]}
  - at: 8s
    fault: {kind: heal}
  - at: 9s
    fault: {kind: fsync-fail, nodes: [broker-b], prob: 0.3}
expectations:
  delivery: {max-lost: 0, max-unexpected: 0}
  linearizable: {max-queues-illegal: 0}
  ordering: {max-fifo-reorder: 0}
  liveness: {min-acks-after-heal: 10}
`)
	dir := t.TempDir()
	rep, _ := runLogged(t, s, Options{Seed: 7, Dir: dir, Bins: binaries(t)})

	require.True(t, rep.Pass, "the run passes")
	require.Equal(t, check.Pass, rep.Check.Verdict, "every checker passes: %v", rep.Check.Failed)
	require.Empty(t, rep.Problems)
	d := rep.Metrics["delivery"]
	require.Greater(t, d["acknowledged"], 100.0, "the load ran")
	require.Zero(t, d["lost"])
	require.Len(t, rep.Faults, 5)

	logA, err := os.ReadFile(filepath.Join(dir, "broker-a.log"))
	require.NoError(t, err)
	require.Contains(t, string(logA), "incarnation 2 of broker-a", "broker-a was killed and started again")
	logB, err := os.ReadFile(filepath.Join(dir, "broker-b.log"))
	require.NoError(t, err)
	require.Contains(t, string(logB), "fault injected", "the fsync failpoint reached broker-b")
	require.Contains(t, string(logB), "fsync-fail")

	// The history is the shared format: it reads back and judges alike.
	outDir := t.TempDir()
	require.NoError(t, WriteOut(outDir, rep, "replay"))
	again, err := check.RunFile(filepath.Join(outDir, "history.jsonl"), check.Config{})
	require.NoError(t, err)
	require.Equal(t, len(rep.History), again.Events)
	require.Equal(t, check.Pass, again.Verdict)
}

// A broker that acknowledges messages it never stores, run as a real
// process and driven by the official Go client: the runner's history
// convicts it (lost acknowledged messages) and the run fails.
func TestRunCatchesDropAckedBroker(t *testing.T) {
	bins := binaries(t)
	self, err := os.Executable()
	require.NoError(t, err)
	bins.Broker, bins.BrokerControl = self, false
	bins.BrokerEnv = []string{childBugEnv + "=drop-acked"}
	s := parseScenario(t, `
name: procrun-test-drop-acked
duration: 4s
settle: 1s
topology:
  nodes:
    - {name: namesrv, role: namesrv}
    - {name: broker-a, role: broker}
    - {name: producer-1, role: producer}
    - {name: consumer-1, role: consumer}
workload:
  kind: mq
  params: {topic: ProcBug, queues: 2, interval: 25ms, timeout: 3s, window: 1, body: 64, drain: 2s}
expectations:
  delivery: {max-lost: 0}
`)
	rep, out := runLogged(t, s, Options{Seed: 3, Dir: t.TempDir(), Bins: bins, Clients: ClientsOfficial})

	require.False(t, rep.Pass, "the run fails")
	require.Equal(t, check.Fail, rep.Check.Verdict)
	require.Contains(t, rep.Check.Failed, "delivery")
	require.GreaterOrEqual(t, rep.Metrics["delivery"]["lost"], 1.0)
	violated := false
	for _, j := range rep.Judgements {
		if strings.HasPrefix(j.String(), "delivery.max-lost") && !j.Pass {
			violated = true
		}
	}
	require.True(t, violated, "the scenario's bound on loss is what fails: %v", rep.Judgements)
	require.Contains(t, out, "verdict: FAIL")
	require.Contains(t, out, "official clients")
}

// Scenarios asking what processes cannot do are refused before anything
// starts, each naming the fault or field.
func TestCheckScenarioRefuses(t *testing.T) {
	base := func(extra string) string {
		return "name: refuse\nduration: 5s\n" + topology + `
workload:
  kind: mq
  params: {topic: T}
` + extra
	}
	cases := []struct {
		name, src, want string
	}{
		{"power loss", base("faults:\n  - at: 1s\n    fault: {kind: power-loss, nodes: [broker-a]}\n"), "power-loss: a process cannot lose power"},
		{"client disk failpoint", base("faults:\n  - at: 1s\n    fault: {kind: fsync-fail, nodes: [producer-1], prob: 1}\n"), "control socket"},
		{"network model", base("network:\n  bandwidth: 1MiB\n"), "network: bandwidth"},
		{"simulated disk", strings.Replace(base(""), "options: {flushDiskType: SYNC_FLUSH}}", "disk: {capacity: 1MiB}}", 1), "disk capacity"},
		{"host", strings.Replace(base(""), "{name: broker-b, role: broker,", "{name: broker-b, role: broker, host: 10.0.0.2,", 1), "host: every process runs on loopback"},
		{"raw clients", strings.Replace(base(""), "{topic: T}", "{topic: T, clients: raw}", 1), `clients "raw"`},
		{"runner-owned option", strings.Replace(base(""), "options: {flushDiskType: SYNC_FLUSH}}", "options: {listenPort: 10911}}", 1), "option listenPort: the runner sets it"},
		{"sim-only param", strings.Replace(base(""), "{topic: T}", "{topic: T, hold: 1s}", 1), `workload param "hold"`},
		{"final power loss", strings.Replace(base(""), "{topic: T}", "{topic: T, final-power-loss: true}", 1), "final-power-loss"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := parseScenario(t, c.src)
			_, err := checkScenario(s, Controls{Namesrv: true, Broker: true})
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}

	// The same topology with faults a process world has is accepted, and
	// a broker's disk and clock settings become its initial failpoints.
	ok := parseScenario(t, strings.Replace(base(`faults:
  - at: 1s
    fault: {kind: fsync-latency, nodes: [broker-a], min: 1ms, max: 2ms}
  - every: 2s
    fault: {kind: partition-random}
  - at: 3s
    fault: {kind: pause, nodes: [broker-b]}
  - at: 4s
    fault: {kind: link-latency, from: [producer-1], min: 1ms, max: 5ms}
  - at: 1500ms
    fault: {kind: crash, nodes: [producer-1, consumer-1]}
  - at: 2500ms
    fault: {kind: restart, nodes: [producer-1, consumer-1]}
network:
  latency: {min: 100us, max: 1ms}
`), "options: {flushDiskType: SYNC_FLUSH}}", "clock: {offset: 2s}, disk: {fsync-fail-prob: 0.1}}", 1))
	tp, err := checkScenario(ok, Controls{Namesrv: true, Broker: true})
	require.NoError(t, err)
	require.Equal(t, "namesrv", tp.namesrv)
	require.Equal(t, []string{"producer-1", "producer-2", "consumer-1"}, tp.clients())
	var init []string
	for _, f := range tp.initial["broker-a"] {
		init = append(init, f.String())
	}
	require.Equal(t, []string{"{kind: fsync-fail, prob: 0.1}", "{kind: clock-offset, offset: 2s}"}, init)
	_, err = checkScenario(ok, Controls{Namesrv: true})
	require.ErrorContains(t, err, "control socket", "without the broker's control socket, broker failpoints are refused")
	_, err = checkScenario(parseScenario(t, base("faults:\n  - at: 1s\n    fault: {kind: clock-jump, nodes: [namesrv], by: 1s}\n")), Controls{Broker: true})
	require.ErrorContains(t, err, "control socket", "without the name server's control socket, name server failpoints are refused")
}

// The liveness measure counts each producer's acknowledged sends after
// the heal and takes the least.
func TestAcksAfter(t *testing.T) {
	heal := time.Unix(100, 0)
	op := func(proc string, at int64, typ history.Type) history.Op {
		return history.Op{Process: proc, F: history.FSend, Type: typ, Time: time.Unix(at, 0).UnixNano()}
	}
	ops := []history.Op{
		op("p1/0", 99, history.OK), op("p1/0", 101, history.OK), op("p1/1", 102, history.OK),
		op("p2/0", 101, history.OK), op("p2/0", 103, history.Info),
	}
	require.Equal(t, 1.0, acksAfter(ops, []string{"p1", "p2"}, heal))
	require.Equal(t, 0.0, acksAfter(ops, []string{"p1", "p2", "p3"}, heal))
	require.Equal(t, fmt.Sprint(2.0), fmt.Sprint(acksAfter(ops, []string{"p1"}, heal)))
}

// Every proc-* scenario file loads and asks only what processes can do.
func TestProcScenarioFilesAreAccepted(t *testing.T) {
	root, err := ModuleRoot(".")
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(root, "scenarios", "proc-*.yaml"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 5)
	for _, f := range files {
		s, err := scenario.Load(f)
		require.NoError(t, err, f)
		_, err = checkScenario(s, Controls{Namesrv: true, Broker: true})
		require.NoError(t, err, f)
	}
}
