package realrt

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"

	"rocketsim/runtime"
)

// file is an open OS file. Its methods are called on the loop; the flusher
// goroutine fsyncs it concurrently, and the fields it shares with the
// flusher are guarded by flusher.mu.
type file struct {
	rt     *Runtime
	f      *os.File
	name   string // as given to Open
	closed bool   // loop

	// Guarded by rt.flusher.mu.
	writesQueued int           // WriteAsync calls (and syncs behind them) the writer has not finished
	waiting      []func(error) // SyncAsync callbacks for the next fsync
	queued       bool          // in the flusher's pending list
	syncing      bool          // an fsync of this file is running
	closeAfter   bool          // Close came while queued or syncing: the flusher closes f
}

var _ runtime.File = (*file)(nil)

// errFileClosed wraps os.ErrClosed for calls after Close.
func (f *file) errClosed(op string) error {
	return fmt.Errorf("realrt: %s %s: %w", op, f.name, os.ErrClosed)
}

// Name is the name the file was opened with.
func (f *file) Name() string { return f.name }

// ReadAt reads at off; like os.File it returns io.EOF at the end.
func (f *file) ReadAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, f.errClosed("read")
	}
	n, err := f.f.ReadAt(p, off)
	if err != nil && !errors.Is(err, io.EOF) {
		err = fsError("read", f.name, err)
	}
	return n, err
}

// WriteAt writes at off into the page cache. On a full disk it returns the
// bytes written and an error matching runtime.ErrNoSpace. It comes after
// the file's queued WriteAsync calls (it waits for them), as in the
// simulator, whose WriteAsync writes at call time.
func (f *file) WriteAt(p []byte, off int64) (int, error) {
	if f.closed {
		return 0, f.errClosed("write")
	}
	f.rt.writer.waitWrites(f)
	return f.writeNow(p, off)
}

// writeNow is WriteAt without the loop's checks; the writer goroutine
// calls it too.
func (f *file) writeNow(p []byte, off int64) (int, error) {
	if f.rt.diskFault.limited.Load() {
		return f.capWrite(p, off)
	}
	n, err := f.f.WriteAt(p, off)
	return n, fsError("write", f.name, err)
}

// WriteAsync hands the write to the runtime's writer goroutine; done runs
// on the loop. After Close, done gets an error (as an event).
func (f *file) WriteAsync(p []byte, off int64, done func(int, error)) {
	if done == nil {
		panic("realrt: WriteAsync with nil done")
	}
	if f.closed {
		err := f.errClosed("write")
		f.rt.post(func() { done(0, err) })
		return
	}
	f.rt.writer.write(f, p, off, done)
}

// Size is the file's current size.
func (f *file) Size() (int64, error) {
	if f.closed {
		return 0, f.errClosed("stat")
	}
	fi, err := f.f.Stat()
	if err != nil {
		return 0, fsError("stat", f.name, err)
	}
	return fi.Size(), nil
}

// Truncate changes the file's size.
func (f *file) Truncate(size int64) error {
	if f.closed {
		return f.errClosed("truncate")
	}
	f.rt.writer.waitWrites(f) // a queued write must not extend it again

	if f.rt.diskFault.limited.Load() {
		return f.capTruncate(size)
	}
	return fsError("truncate", f.name, f.f.Truncate(size))
}

// Sync makes the file's data durable, blocking the loop; it first waits
// for the file's queued WriteAsync calls.
func (f *file) Sync() error {
	if f.closed {
		return f.errClosed("sync")
	}
	f.rt.writer.waitWrites(f)
	return f.rt.fsync(f.f, f.name)
}

// SyncAsync hands the file to the group-commit flusher; done runs on the
// loop after an fsync that started after this call. Callbacks queued before
// Close still run after it. After Close, done gets an error (as an event,
// never inline, so callers see one behaviour).
func (f *file) SyncAsync(done func(error)) {
	if done == nil {
		panic("realrt: SyncAsync with nil done")
	}
	f.rt.syncRequests.Add(1)
	if f.closed {
		err := f.errClosed("sync")
		f.rt.post(func() { done(err) })
		return
	}
	f.rt.writer.syncAfterWrites(f, done)
}

// Close closes the file. When a write or an fsync of it is queued or
// running, the writer or the flusher closes the descriptor after it, so
// neither can hit a reused descriptor. Queued writes still happen.
func (f *file) Close() error {
	if f.closed {
		return f.errClosed("close")
	}
	f.closed = true
	delete(f.rt.files, f)
	if f.rt.flusher.deferClose(f) {
		return nil
	}
	return fsError("close", f.name, f.f.Close())
}

// closeNow closes the descriptor on the flusher goroutine after a deferred
// Close; nobody is left to receive the error, so it is logged.
func (f *file) closeNow() {
	if err := f.f.Close(); err != nil {
		f.rt.log.Warn("close file after fsync", slog.String("file", f.name), slog.Any("err", err))
	}
}
