// Package mq is the message-queue workload of the simulator: one simrt.World
// running a real name server, real brokers (broker/server over the store on
// simulated disks) and simulated producer and consumer clients that speak
// RocketMQ's remoting protocol, record what they observe into a
// jepsen/history, and are judged by the jepsen/check checkers.
//
//	res, err := mq.Run(seed, spec, mq.Options{Check: cfg})
//	res.Passed(); res.Lost(); res.TraceHash; res.WriteOut(dir); res.Lines()
//
// A Spec names the topology (brokers, with broker.conf overrides such as
// flushDiskType; producers; consumers of one clustering group), the
// workload (topic, queues, rate, window, body size, tags, subscription,
// batches), the clients (RawClients, which speak the wire format by hand,
// or CoreClients, the project's producer and push consumer cores), the
// faults (crash, power loss, pause, isolation, disk full, failing fsyncs,
// clock jumps, each for a while; plus Chaos faults drawn from the seed) and
// the disks' fsync latency.
//
// A run has three phases. The workload phase sends and consumes while the
// faults strike; a node that refuses to start while a fault lasts is
// started again a second later, as a supervisor would. The recovery phase
// clears every fault (heals the network, resumes paused nodes, restores
// disks, starts downed nodes), stops the producers and lets the regular
// group drain. The verification phase starts a fresh group that reads
// every queue from offset 0: what it reads is exactly what the brokers
// kept, so an acknowledged message a broker forgot (ASYNC_FLUSH under power
// loss) is a lost message of that group even when the regular group read
// it before the loss. Result.Lost counts those.
//
// Everything runs on the world's one goroutine, from the seed; the same seed
// replays the same run, the same trace hash and the same history.
package mq
