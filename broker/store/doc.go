// Package store is the broker's message store (RocketMQ's DefaultMessageStore):
// the commit log, the consume queues and the index built from it, the
// checkpoint and abort marker that drive recovery, flushing (ASYNC_FLUSH,
// and SYNC_FLUSH with group commit), retention and the disk-space guards.
//
// The store is a plain library that runs on the broker node's event loop.
// It uses only the runtime's disk (runtime.FS/File) and clock (AfterFunc
// for its periodic work), never starts a goroutine and holds no locks:
// every method must be called from the loop, and every callback it gives
// back runs there too. It never keeps the commit log on the heap: records
// are read through the page cache with pread when a consumer asks; only a
// bounded write buffer (commitlog.WriteBufferSize) and the active index
// file's slot table live in memory.
//
// # When a put is answered
//
//   - SYNC_FLUSH: PUT_OK once an fsync covers the record (group commit: one
//     fsync in flight, every record appended meanwhile rides the next).
//     After syncFlushTimeout, FLUSH_DISK_TIMEOUT; the record stays in the
//     log and may survive a crash, as in RocketMQ.
//   - ASYNC_FLUSH, or a message with WAIT=false: PUT_OK once the record is
//     written to the OS (the records of one loop turn share one write). A
//     process crash loses nothing answered; a power loss loses at most the
//     tail not yet synced by the periodic flusher (flushIntervalCommitLog,
//     flushCommitLogLeastPages, flushCommitLogThoroughInterval).
//   - Refusals are answered before Put returns: MESSAGE_ILLEGAL (too big,
//     topic too long), PROPERTIES_SIZE_EXCEEDED, SERVICE_NOT_AVAILABLE
//     (disk over diskSpaceWarningLevelRatio, ENOSPC, store closed; the
//     error says which), OS_PAGECACHE_BUSY (too many puts waiting).
//
// A message is readable by GetMessage as soon as Put appended it, before it
// is answered, as with RocketMQ's dispatch from the page cache.
//
// # Recovery
//
// An abort file exists while the store is open. At Open, its presence (or
// an unreadable checkpoint) means the last run ended by a crash or power
// loss: the commit log is scanned from the checkpointed offsets, every
// record checked (magic code, sizes, body CRC, and a whole-record CRC the
// store adds as RocketMQ 5.x's __CRC32# property, because the body CRC
// misses a lost sector holding a record's topic or properties), the torn
// tail cut, and consume queues and index rebuilt past the checkpoint.
// Everything recovery made visible is synced before Open returns. Offsets,
// not timestamps, choose the starting points: wall clocks jump.
//
// A failed fsync is handled as Linux behaves at its worst: the unsynced
// range is written again before the retry, since a retried fsync may
// "succeed" without writing pages an earlier failure marked clean.
package store
