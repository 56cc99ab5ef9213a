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
	brokerserver "rocketsim/broker/server"
	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
	nsserver "rocketsim/namesrv/server"
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
	return map[string]string{
		"brokerClusterName":          "DefaultCluster",
		"brokerName":                 BrokerName(i),
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

// run is one run in progress.
type run struct {
	w        *simrt.World
	spec     Spec
	h        *recorder
	targets  []target
	verifier *rawConsumer
	regular  []*rawConsumer
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

// Run runs spec in a new world from seed and judges its history.
func Run(seed uint64, spec Spec, opts Options) (*Result, error) {
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	nsAddr := fmt.Sprintf("%s:%d", namesrvHost(), NamesrvPort)
	brokerCfgs := make([]*config.Config, spec.Brokers)
	for i := range spec.Brokers {
		cfg, err := spec.BrokerConfig(i, brokerHost(i), nsAddr)
		if err != nil {
			return nil, err
		}
		brokerCfgs[i] = cfg
	}
	w := simrt.New(seed, simrt.Options{LogWriter: opts.LogWriter, TraceWriter: opts.TraceWriter})
	r := &run{w: w, spec: spec, h: newRecorder(w.Now)}
	for i := range spec.Brokers {
		for q := range spec.Queues {
			r.targets = append(r.targets, target{broker: BrokerName(i), addr: fmt.Sprintf("%s:%d", brokerHost(i), BrokerPort), queue: q})
		}
	}

	nscfg := nsserver.DefaultConfig()
	nscfg.BindAddress = namesrvHost()
	nscfg.ListenPort = NamesrvPort
	clocks := w.Rand("mq/clocks")
	skew := func(cfg simrt.NodeConfig) simrt.NodeConfig {
		if spec.ClockSkew > 0 {
			cfg.ClockOffset = time.Duration(clocks.Int64N(int64(2*spec.ClockSkew)+1)) - spec.ClockSkew
		}
		return cfg
	}
	w.AddNode(NamesrvName, skew(simrt.NodeConfig{Host: namesrvHost()}), nsserver.New(nscfg))
	for i := range spec.Brokers {
		w.AddNode(BrokerName(i), skew(simrt.NodeConfig{Host: brokerHost(i), Disk: spec.brokerDisk()}), brokerserver.NewWithBugs(*brokerCfgs[i], opts.BrokerBugs))
	}
	for i := range spec.Producers {
		np := newProducer(spec, r.targets, r.h)
		if spec.Clients == CoreClients {
			np = newCoreProducer(spec, []string{nsAddr}, producerHost(i), r.h)
		}
		w.AddNode(ProducerName(i), skew(simrt.NodeConfig{Host: producerHost(i)}), np)
	}
	r.regular = make([]*rawConsumer, spec.Consumers)
	for i := range spec.Consumers {
		var owned []target
		for j, t := range r.targets {
			if j%spec.Consumers == i {
				owned = append(owned, t)
			}
		}
		nc := newConsumer(spec, spec.Group, spec.Subscription, false, owned, r.h, func(c *rawConsumer) { r.regular[i] = c })
		if spec.Clients == CoreClients {
			nc = newCoreConsumer(spec, []string{nsAddr}, consumerHost(i), r.h)
		}
		w.AddNode(ConsumerName(i), skew(simrt.NodeConfig{Host: consumerHost(i)}), nc)
	}
	for _, name := range spec.nodeNames() {
		r.bringUp(w.Node(name))
	}
	r.schedule()

	w.RunFor(spec.Duration)
	r.recover()
	r.verify()

	res := &Result{Seed: seed, TraceHash: w.TraceHash(), Ops: r.h.rec.Ops(), Problems: r.problems, StartFailures: r.startFailures, SimTime: w.Now(), Events: w.Events()}
	cfg := opts.Check
	if cfg.ClockError == 0 {
		cfg.ClockError = 2 * spec.ClockSkew
	}
	cfg.Delivery.Groups = appendMissing(cfg.Delivery.Groups, spec.Group, VerifyGroup)
	if subscribedTags(spec.Subscription) != nil && cfg.Delivery.Subscriptions[spec.Group] == nil {
		subs := map[string][]string{}
		for g, v := range cfg.Delivery.Subscriptions {
			subs[g] = v
		}
		subs[spec.Group] = []string{spec.Topic + ":" + spec.Subscription}
		cfg.Delivery.Subscriptions = subs
	}
	res.Report = check.Run(res.Ops, cfg)
	return res, nil
}

// recover ends the workload phase: every fault reverts (the network heals,
// paused nodes resume, downed nodes start on their disks), the producers
// stop, and the regular consumers drain every queue within the Drain bound.
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
	for i := range r.spec.Producers {
		r.w.Node(ProducerName(i)).Stop()
	}
	// Sends still in flight when the producers stopped may yet be stored;
	// give them their timeout before judging what is drained.
	r.w.RunFor(r.spec.Timeout)
	drained := func() bool {
		if r.spec.Clients == CoreClients {
			// A push consumer has no "caught up" signal: quiet is the sign.
			return r.w.Now()-r.h.lastReceive[r.spec.Group] >= coreQuiet
		}
		for i, c := range r.regular {
			if c == nil || !r.w.Node(ConsumerName(i)).Up() || !c.caughtUpAll() {
				return false
			}
		}
		return true
	}
	if !r.w.RunUntil(drained, r.spec.Drain) {
		r.problem(fmt.Sprintf("the consumers of %s did not drain every queue within %v", r.spec.Group, r.spec.Drain))
	}
}

// verify reads every queue from offset 0 with a fresh group, then stops
// every client.
func (r *run) verify() {
	r.note("verify")
	v := r.w.AddNode(VerifierName, simrt.NodeConfig{Host: verifierHost()},
		newConsumer(r.spec, VerifyGroup, "*", true, r.targets, r.h, func(c *rawConsumer) { r.verifier = c }))
	r.bringUp(v)
	if !r.w.RunUntil(func() bool { return r.verifier != nil && r.verifier.caughtUpAll() }, r.spec.Drain) {
		r.problem(fmt.Sprintf("the verifier did not read every queue to its end within %v", r.spec.Drain))
	}
	for i := range r.spec.Consumers {
		r.w.Node(ConsumerName(i)).Stop()
	}
	v.Stop()
}

func (r *run) problem(p string) { r.problems = append(r.problems, p) }

// note folds a workload action into the trace.
func (r *run) note(what string) {
	h := fnv.New64a()
	h.Write([]byte(what))
	r.w.Note("mq: "+what, h.Sum64())
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
