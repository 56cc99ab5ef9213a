// Package procrun is the multi-process runner: it runs the real name server
// and broker binaries as OS processes, drives them with this project's
// blocking client, injects the scenario's faults with the means a process
// world has, records what the clients observed in the shared history format
// and judges it with the same checkers as the simulator.
//
// The fault vocabulary maps as follows:
//
//   - crash: SIGKILL (nothing is flushed; the page cache survives, as in the
//     simulator); restart: start the binary again on the same data dir.
//   - pause / resume: SIGSTOP / SIGCONT.
//   - partition, partition-one-way, isolate, partition-random, bridge, heal:
//     the Proxy every link goes through stalls the cut directions;
//     link-latency (and a scenario's network latency): the proxy delays
//     each chunk by a drawn latency, in order.
//   - disk-full, disk-free, fsync-fail, fsync-latency, clock-offset,
//     clock-drift, clock-jump: one line to the process's failpoint control
//     socket (realrt.ServeControl).
//   - power-loss, link-loss: refused, naming the fault: a process cannot
//     lose power without its machine, and a userspace proxy cannot lose
//     segments under TCP.
package procrun
