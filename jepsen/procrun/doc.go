// Package procrun is the multi-process runner: it runs the real name server
// and broker as OS processes, drives them with this project's blocking
// client (or the official Go client), injects the scenario's faults with
// the means a process world has, records what the clients observed in the
// shared history format and judges it with the simulator's checkers:
//
//	go run ./jepsen/procrun/cmd/procrun [--clients official] [--plain] scenarios/proc-*.yaml
//
// Every link between two nodes (client to name server, client to broker,
// broker to name server, broker to broker) goes through a Proxy listener
// that knows both names. Routes handed out by the name server, and the
// master addresses in its answers to brokers, are rewritten on the way so
// that each node reaches every other through its own proxied route.
//
// The fault vocabulary maps as follows:
//
//   - crash: SIGKILL (nothing is flushed; the page cache survives, as in the
//     simulator); restart: start the binary again on the same data dir and
//     ports.
//   - pause / resume: SIGSTOP / SIGCONT.
//   - partition, partition-one-way, isolate, partition-random, bridge, heal:
//     the proxy stalls the cut directions, as TCP stalls across a partition;
//     link-latency and link-loss (and a scenario's network latency and
//     loss): the proxy delays each chunk by a drawn latency plus, per lost
//     transmission, the simulator's TCP retransmission timeouts, in order;
//     a chunk lost every time kills its connection.
//   - disk-full, disk-free, fsync-fail, fsync-latency, clock-offset,
//     clock-drift, clock-jump: one line to the process's failpoint control
//     socket (realrt.ServeControl), which ./broker and ./namesrv open on
//     loopback with -control (--plain runs them without it and refuses
//     these faults).
//   - crash / restart of a client node (this project's clients, which run
//     inside the runner): crash kills the client's runtime (realrt's Kill:
//     no unregister, no offset commit, connections closed, queued frames
//     dropped); its sends in flight stay open in the history, as a crashed
//     process's do in the simulator, and its consumer's successor resumes
//     from the offsets the brokers have. Restart (and the heal) starts a
//     new incarnation with the same configuration; a producer's new
//     incarnation records on new processes ("producer-1/2" after
//     "producer-1/0" and "/1" with window 2).
//   - clock-offset, clock-drift, clock-jump on a client node: applied to
//     the client's runtime (realrt's ApplyFault), whose clock stamps the
//     client's history events; like a server's, the clock belongs to the
//     machine and each new incarnation gets it back.
//   - pause / resume of a client node: the client runtime's loop holds
//     (realrt's pause: its timers, frames and callbacks wait and run late,
//     as a stopped process's would) and its send loops start no send; a
//     send in flight waits for the resume. The pause belongs to the
//     incarnation (a crash ends it); the heal resumes every client.
//   - power-loss, disk faults on client nodes, and crash/restart, pause or
//     clock faults of the official client: refused before the run, naming
//     the fault: a process cannot lose power without its machine, clients
//     have no disk worth faulting, and the official client cannot die
//     without its graceful shutdown, runs on the runner's clock and has
//     no single loop to hold.
//
// A node's disk failpoints and clock belong to its machine, as in the
// simulator: the nemesis keeps them and every new incarnation boots with
// them (a restart under failing fsyncs may fail to boot).
//
// A run has the simulator's phases: the fault schedule in real time, a
// heal of everything (links and their shaping, paused and stopped
// processes, disks back to their initial failpoints; clocks keep their
// offset and rate, as the simulator's heal leaves them) with the load
// still on, then the
// producers stop, the consumer group drains and a fresh verifier group
// reads every queue. check.Run judges the history and the scenario's
// expectations decide the verdict.
package procrun
