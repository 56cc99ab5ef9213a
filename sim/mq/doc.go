// Package mq is the message-queue workload of the simulator: one simrt.World
// running a real name server, real brokers (broker/server over the store on
// simulated disks) and simulated producer and consumer clients that speak
// RocketMQ's remoting protocol, record what they observe into a
// jepsen/history, and are judged by the jepsen/check checkers.
//
// A run has three phases. The workload phase sends and consumes while the
// fault schedule strikes. The recovery phase heals the network, brings every
// downed node back, stops the producers and lets the consumers drain. The
// verification phase starts a fresh consumer group that reads every queue
// from offset 0 after the last recovery: what it reads is exactly what the
// brokers kept, so an acknowledged message the brokers forgot (ASYNC_FLUSH
// under power loss) is a lost message of that group even when the regular
// group saw it before the loss.
//
// Everything runs on the world's one goroutine, from the seed; the same seed
// replays the same run and the same trace hash.
package mq
