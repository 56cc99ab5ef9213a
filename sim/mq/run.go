package mq

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sort"
	"strconv"
	"time"

	"rocketsim/broker/bugs"
	"rocketsim/broker/config"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	"rocketsim/runtime"
	"rocketsim/sim/simdisk"
	"rocketsim/sim/simrt"
)

// Ports the simulated name server and brokers listen on.
const (
	NamesrvPort = 9876
	BrokerPort  = 10911
)

// Options are how to run and judge a Spec.
type Options struct {
	// Check configures the checkers. Run adds both groups to the delivery
	// checker's groups, so a group that received nothing is caught.
	Check check.Config
	// LogWriter receives the world's log (nil: discarded).
	LogWriter io.Writer
	// TraceWriter receives the world's event trace (nil: none).
	TraceWriter io.Writer
	// BrokerBugs are test-only fault switches every broker runs with
	// (broker/bugs; zero: healthy brokers). No scenario key reaches them.
	BrokerBugs bugs.Switches
}

// Result is what a run observed and how the checkers judged it.
type Result struct {
	Seed      uint64
	TraceHash string
	// Ops is the history.
	Ops    []history.Op
	Report check.Report
	// Problems are findings outside the history: a node that did not start,
	// a phase that did not finish within its bound. Any problem fails the
	// run.
	Problems []string
	// StartFailures are the starts a node refused while faults were active
	// (each followed by another attempt a second later), for the record.
	StartFailures []string
	// SimTime is the simulated time the run took, Events its event count.
	SimTime time.Duration
	Events  uint64
}

// Passed reports whether the checkers passed and nothing else went wrong.
func (r *Result) Passed() bool { return r.Report.Verdict == check.Pass && len(r.Problems) == 0 }

// Metric is one of the report's figures ("delivery", "lost:sim-verify"),
// 0 when absent.
func (r *Result) Metric(checker, name string) float64 { return r.Report.Metrics()[checker][name] }

// Lost is how many acknowledged messages the verification group never read:
// what the brokers forgot.
func (r *Result) Lost() int { return int(r.Metric("delivery", "lost:"+VerifyGroup)) }

// BaseBrokerConf is the simulator's broker.conf baseline for broker i:
// SYNC_FLUSH, auto-created topics, and small commit-log segments so a
// simulated disk stays small. Spec.BrokerConf overrides it.
func BaseBrokerConf(i int, host, namesrvAddr string, queues int) map[string]string {
	return baseBrokerConf(BrokerName(i), host, namesrvAddr, queues)
}

// baseBrokerConf is the baseline of the broker named name.
func baseBrokerConf(name, host, namesrvAddr string, queues int) map[string]string {
	return map[string]string{
		"brokerClusterName":          "DefaultCluster",
		"brokerName":                 name,
		"namesrvAddr":                namesrvAddr,
		"brokerIP1":                  host,
		"listenPort":                 strconv.Itoa(BrokerPort),
		"storePathRootDir":           "store",
		"flushDiskType":              "SYNC_FLUSH",
		"autoCreateTopicEnable":      "true",
		"defaultTopicQueueNums":      strconv.Itoa(queues),
		"maxMessageSize":             strconv.Itoa(1 << 20),
		"mappedFileSizeCommitLog":    strconv.Itoa(4 << 20),
		"mappedFileSizeConsumeQueue": strconv.Itoa(20 * 6000),
	}
}

// BrokerConfig is broker i's configuration: the baseline under the spec's
// overrides, checked by the broker's own loader.
func (s Spec) BrokerConfig(i int, host, namesrvAddr string) (*config.Config, error) {
	kv := BaseBrokerConf(i, host, namesrvAddr, s.Queues)
	for k, v := range s.BrokerConf {
		kv[k] = v
	}
	cfg, _, err := config.LoadMap(kv, BrokerName(i), config.Host{Name: BrokerName(i), IP: host})
	if err != nil {
		return nil, fmt.Errorf("mq: broker %d configuration: %w", i, err)
	}
	return cfg, nil
}

// brokerDisk is a broker's simulated disk.
func (s Spec) brokerDisk() simdisk.Options {
	var o simdisk.Options
	if s.FsyncMax > 0 {
		lo, span := s.FsyncMin, s.FsyncMax-s.FsyncMin
		o.FsyncLatency = func(r *rand.Rand) time.Duration {
			return lo + time.Duration(r.Int64N(int64(span)+1))
		}
	}
	return o
}

// run is one run of Run in progress: a Deployment plus Run's own fault
// schedule and supervisor.
type run struct {
	w        *simrt.World
	spec     Spec
	d        *Deployment
	problems []string
	// recovering is set once the recovery phase has begun.
	recovering bool
	// startFailures are the starts a node refused during the workload
	// phase.
	startFailures []string
	// capacity is each node's volume size at start, which a disk-full
	// fault's revert restores.
	capacity map[string]int64
}

// Host addresses: one /24 per role keeps them readable in traces.
func namesrvHost() string       { return "10.0.0.1" }
func brokerHost(i int) string   { return fmt.Sprintf("10.0.1.%d", i+1) }
func producerHost(i int) string { return fmt.Sprintf("10.0.2.%d", i+1) }
func consumerHost(i int) string { return fmt.Sprintf("10.0.3.%d", i+1) }
func verifierHost() string      { return "10.0.4.1" }
func dlqReaderHost() string     { return "10.0.4.2" }

// nodeSpecs are the deployment's nodes of s, in start order.
func (s Spec) nodeSpecs() []NodeSpec {
	out := []NodeSpec{{Name: NamesrvName, Role: RoleNamesrv}}
	for i := range s.Brokers {
		out = append(out, NodeSpec{Name: BrokerName(i), Role: RoleBroker})
	}
	for i := range s.Producers {
		out = append(out, NodeSpec{Name: ProducerName(i), Role: RoleProducer})
	}
	for i := range s.Consumers {
		out = append(out, NodeSpec{Name: ConsumerName(i), Role: RoleConsumer})
	}
	return out
}

// Run runs spec in a new world from seed and judges its history: a thin
// caller of Deployment that brings its own topology (from the spec's
// counts) and faults (Spec.Faults and Chaos).
func Run(seed uint64, spec Spec, opts Options) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	w := simrt.New(seed, simrt.Options{LogWriter: opts.LogWriter, TraceWriter: opts.TraceWriter})
	d, err := NewDeployment(w, spec, spec.nodeSpecs(), opts)
	if err != nil {
		return nil, err
	}
	r := &run{w: w, spec: spec, d: d}
	clocks := w.Rand("mq/clocks")
	skew := func(cfg simrt.NodeConfig) simrt.NodeConfig {
		if spec.ClockSkew > 0 {
			cfg.ClockOffset = time.Duration(clocks.Int64N(int64(2*spec.ClockSkew)+1)) - spec.ClockSkew
		}
		return cfg
	}
	hosts := map[string]string{NamesrvName: namesrvHost()}
	for i := range spec.Brokers {
		hosts[BrokerName(i)] = brokerHost(i)
	}
	for i := range spec.Producers {
		hosts[ProducerName(i)] = producerHost(i)
	}
	for i := range spec.Consumers {
		hosts[ConsumerName(i)] = consumerHost(i)
	}
	for _, n := range spec.nodeSpecs() {
		nn, err := d.NewNode(n.Name)
		if err != nil {
			return nil, err
		}
		cfg := simrt.NodeConfig{Host: hosts[n.Name]}
		if n.Role == RoleBroker {
			cfg.Disk = spec.brokerDisk()
		}
		w.AddNode(n.Name, skew(cfg), nn)
	}
	for _, name := range spec.nodeNames() {
		r.bringUp(w.Node(name))
	}
	r.schedule()

	w.RunFor(spec.Duration)
	r.recover()
	res := d.Finish()
	res.Problems = append(r.problems, res.Problems...)
	res.StartFailures = r.startFailures
	return res, nil
}

// recover ends the workload phase: every fault reverts (the network heals,
// paused nodes resume, downed nodes start on their disks); the
// Deployment's Finish then stops the producers and drains.
func (r *run) recover() {
	r.note("recover")
	r.recovering = true
	r.w.Net().Heal()
	for _, name := range r.spec.nodeNames() {
		n := r.w.Node(name)
		n.Disk().SetCapacity(r.capacity[name])
		n.Disk().SetFsyncFailProb(0)
		r.bringUp(n)
	}
}

func (r *run) problem(p string) { r.problems = append(r.problems, p) }

// note folds a workload action into the trace.
func (r *run) note(what string) { noteOn(r.w, what) }

// noteOn folds a workload action into w's trace.
func noteOn(w *simrt.World, what string) {
	h := fnv.New64a()
	h.Write([]byte(what))
	w.Note("mq: "+what, h.Sum64())
}

// appendMissing appends each of add that list lacks, and sorts.
func appendMissing(list []string, add ...string) []string {
	out := append([]string(nil), list...)
	for _, a := range add {
		found := false
		for _, l := range out {
			found = found || l == a
		}
		if !found {
			out = append(out, a)
		}
	}
	sort.Strings(out)
	return out
}

var _ runtime.Node = (*rawConsumer)(nil)

// Duplicates counts the deliveries to group beyond the first of each
// message and reconsume count. For the verification group, which reads
// every queue once from offset 0, each one is a message the brokers stored
// twice: most often a send the producer retried (on another broker) after
// an attempt that failed late.
func (r *Result) Duplicates(group string) int { return r.duplicates(group, false) }

// CommittedDuplicates counts, for transactional messages only, the
// deliveries to group beyond the first of each message on one broker. A
// half message lives on one broker, and its commit writes the real message
// there once; a copy on another broker is the producer's retry of the half
// send (stored, checked back and committed in its own right), which
// Duplicates counts. In the verification group, each one is a commit a
// broker stored twice.
func (r *Result) CommittedDuplicates(group string) int { return r.duplicates(group, true) }

func (r *Result) duplicates(group string, committed bool) int {
	txn := map[string]bool{}
	for _, op := range r.Ops {
		if op.F == history.FSend && op.TxnID != "" {
			txn[op.Key] = true
		}
	}
	type delivery struct {
		key, broker string
		reconsume   int
	}
	seen := map[delivery]bool{}
	n := 0
	for _, op := range r.Ops {
		if op.F != history.FReceive || op.Type != history.OK || op.Group != group || (committed && !txn[op.Key]) {
			continue
		}
		d := delivery{key: op.Key, reconsume: op.Reconsume}
		if committed && op.Queue != nil {
			d.broker = op.Queue.Broker
		}
		if seen[d] {
			n++
		}
		seen[d] = true
	}
	return n
}
