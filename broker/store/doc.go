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
// are read through the page cache with pread when a consumer asks.
package store
