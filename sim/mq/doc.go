// Package mq is the message-queue workload of the simulator: a real name
// server, real brokers (broker/server over the store on simulated disks) and
// simulated producer and consumer clients that speak RocketMQ's remoting
// protocol, record what they observe into a jepsen/history, and are judged
// by the jepsen/check checkers.
//
// There is one implementation with two callers. A Deployment is the
// workload on a world its caller owns:
//
//	d, err := mq.NewDeployment(w, spec, nodes, mq.Options{Check: cfg})
//	w.AddNode(name, nodeConfig, must(d.NewNode(name)))  // for each node
//	... run, inject faults, heal ...
//	res := d.Finish()  // stop producers, drain, verify, judge
//
// The simulator's CLI (the scenario files' "mq" kind) is one caller: the
// topology, clocks, disks and fault schedule come from the file. Run is the
// other, for Go tests:
//
//	res, err := mq.Run(seed, spec, mq.Options{Check: cfg})
//	res.Passed(); res.Lost(); res.TraceHash; res.WriteOut(dir); res.Lines()
//
// It builds a world from the Spec's counts (brokers, producers, consumers
// of one clustering group), adds Spec.Faults (crash, power loss, pause,
// isolation, disk full, failing fsyncs, clock jumps, each for a while) and
// Chaos faults drawn from the seed, and gives each node a clock offset
// within ClockSkew.
//
// A Spec names the workload: topic, queues, rate, window, body size, tags,
// subscription, batches; the clients (RawClients, which speak the wire
// format by hand, or CoreClients, the project's producer and push consumer
// cores); the mix of message kinds (normal, delayed, transactions that
// commit, roll back or wait for the check-back, and messages the listener
// always fails, which are retried and dead-lettered); the listener's
// failure rate and slowness; broker.conf overrides.
//
// A run has three phases. The workload phase sends and consumes while the
// faults strike. The recovery phase clears every fault (the caller's job),
// then Finish stops the producers (core producers keep answering
// transaction check-backs until the brokers' check rounds are done),
// optionally cuts every broker's power once more (FinalPowerLoss), and lets
// the regular group drain. The verification phase starts a fresh group that
// reads every queue from offset 0 (and the group's dead-letter queues when
// messages fail for good): what it reads is exactly what the brokers kept,
// so an acknowledged message a broker forgot (ASYNC_FLUSH under power loss)
// is a lost message of that group even when the regular group read it
// before the loss. Result.Lost counts those.
//
// The checkers get the deployment's facts from the first broker's
// configuration (delay table, transactionCheckMax, retry delays) and the
// Spec (retry limit, groups), completing Options.Check.
//
// Everything runs on the world's one goroutine, from the seed; the same seed
// replays the same run, the same trace hash and the same history.
package mq
