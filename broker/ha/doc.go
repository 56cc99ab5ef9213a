// Package ha is RocketMQ 4.x master/slave replication (Java's HAService,
// HAConnection, HAClient and GroupTransferService): a master streams its
// commit log to slaves, which append the bytes at the same offsets and
// acknowledge how far they got; a SYNC_MASTER answers a send only once a
// slave acknowledged it.
//
// # Protocol
//
// The content is Java's; the framing is not. Our runtime carries whole
// length-prefixed frames, so each of Java's messages travels as one frame
// whose 4-byte big-endian length counts the bytes after it:
//
//   - slave to master: the slave's commit log max offset (8 bytes), on
//     connect, after each batch it stored, and every
//     haSendHeartbeatInterval;
//   - master to slave: the batch's start offset (8 bytes), its size (4
//     bytes) and the commit log bytes, at most haTransferBatchSize unless
//     one record is bigger; size 0 is a heartbeat.
//
// A Java slave or master cannot attach to ours (Java's HA stream is a raw
// byte stream without frame lengths), and our batches end a segment with
// its blank's 8-byte header rather than the filler's zeros.
//
// The master starts a slave that reports offset 0 at the start of its last
// commit log segment, and any other slave at the offset it reported. The
// slave refuses a batch that does not start where its log ends, and every
// record that fails its checks (store.Replica), by dropping the connection;
// it reconnects after reconnectDelay and reports its offset again.
//
// # When a slave's acknowledgement counts
//
// Java counts any offset a slave reports. A master that lost its tail (a
// power loss under ASYNC_FLUSH) then meets a slave that is ahead of it,
// and would count the slave's old bytes as copies of the new records it
// writes at the same offsets. Ours counts a report for SYNC_MASTER only up
// to what it sent on that connection, or, for the first report, only when
// it names an offset the master holds and a record starts there. A slave
// ahead of its master is logged and gets heartbeats only (as in Java) and
// never acknowledges anything; 4.x has no automatic way out of that state.
//
// Everything runs on the broker's event loop: connections, timers and the
// clock come from the runtime.
package ha
