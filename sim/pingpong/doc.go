// Package pingpong is a toy workload that exercises the whole simulator until
// the broker's workload replaces it: connections, timers, partitions, crashes,
// power loss, full disks and slow or failing fsync all change what it sees.
//
// A server listens, appends every request it receives to a log on its disk,
// fsyncs the log asynchronously and only then acknowledges. Clients send
// numbered requests with timeouts and redial when a connection fails. The
// property it is judged by is the one a broker must keep: every acknowledged
// request is in the server's durable log after a final power loss and
// recovery, and nothing is in that log that a client did not send.
//
// Nodes here obey DESIGN.md's rule: they use only their runtime.Runtime.
package pingpong
