// Package runtime is the seam between a node's logic and the world.
//
// DESIGN.md's one rule lives here: broker, name server, store and client cores
// never touch time, files, sockets, randomness or goroutines directly. They get
// all of it from a Runtime value. Two implementations exist: runtime/realrt
// (the operating system) and the simulator's (sim/), which replaces the world
// and nothing else, so a seed replays a whole cluster exactly.
//
// Every callback a Runtime invokes (timer, frame arrival, connection change,
// async fsync completion, Post) runs on the node's single event loop, one at a
// time. Node code therefore needs no locks.
package runtime

import (
	"errors"
	"log/slog"
	"math/rand/v2"
	"time"
)

// Runtime is everything a node may use from the world.
type Runtime interface {
	Clock
	Network

	// Name identifies the node in logs and traces ("broker-a", "namesrv-1").
	Name() string
	// Disk is the node's own file system; it survives restarts of the node.
	Disk() FS
	// Rand is the node's random source. In the simulator it is derived from
	// the root seed and the node's name, so adding a node does not perturb
	// the others.
	Rand() *rand.Rand
	// Log is the node's structured logger.
	Log() *slog.Logger
	// Post runs fn on the node's event loop. It is the only Runtime method
	// that may be called from outside the loop (the blocking client facade
	// uses it to hand work to the event-driven core).
	Post(fn func())
}

// Clock is a node's own view of time. Nodes never assume that two clocks agree.
type Clock interface {
	// Now is the node's wall clock. It may be offset, drift, and jump forwards
	// or backwards (a fault in the simulator, NTP in real life). The returned
	// value carries no monotonic reading.
	Now() time.Time
	// Monotonic is the time elapsed on the node's monotonic clock since the
	// node (process) started. It never jumps, but it runs at the node's own
	// rate (clock drift). Use it for timeouts and durations.
	Monotonic() time.Duration
	// AfterFunc runs fn on the event loop once d has elapsed on the node's
	// monotonic clock. A wall-clock jump does not move it.
	AfterFunc(d time.Duration, fn func()) Timer
}

// Timer is a pending AfterFunc.
type Timer interface {
	// Stop cancels the timer; it reports whether the timer was still pending.
	Stop() bool
}

// Network gives a node TCP-like connections that carry whole remoting frames.
//
// A frame is the exact bytes RocketMQ puts on the wire for one command,
// starting with its 4-byte big-endian length prefix (which counts the bytes
// after itself). Frames on one connection arrive in order, whole, or not at
// all: a failed connection reports OnClose and delivers nothing more.
type Network interface {
	// Listen accepts connections on addr ("host:port"; port 0 picks one in
	// the real runtime). For each inbound connection accept is called on the
	// loop and returns the handler for it.
	Listen(addr string, accept func(Conn) ConnHandler) (Listener, error)
	// Dial opens a connection to addr and returns at once. Later either
	// h.OnConnect or h.OnClose (connection refused, timeout) runs.
	Dial(addr string, h ConnHandler) Conn
}

// Listener is an open listening socket.
type Listener interface {
	Addr() string
	Close() error
}

// Conn is one connection. Its methods are called only from the node's loop.
type Conn interface {
	// ID is unique among the node's connections for the life of the process.
	ID() uint64
	LocalAddr() string
	RemoteAddr() string
	// Send queues one whole frame (length prefix included). The runtime takes
	// ownership of frame. It returns ErrClosed after the connection closed and
	// ErrSendQueueFull when the peer is not reading (the bound is the
	// runtime's); neither case closes the connection by itself.
	Send(frame []byte) error
	// Close closes the connection. OnClose still runs, once, with a nil error.
	Close() error
}

// FrameWaiter is implemented by connections whose runtime can tell how
// long the frame OnFrame is delivering waited between reaching the node and
// its handler: behind a busy loop in the real runtime, or while the process
// was paused in the simulator. Java's broker refuses a send that waited in
// its queue past waitTimeMillsInSendQueue; this is our queue. Valid only
// during OnFrame.
type FrameWaiter interface {
	FrameWaited() time.Duration
}

// ConnHandler receives a connection's events on the node's loop.
type ConnHandler interface {
	// OnConnect runs when a Dial completes. It is not called for accepted
	// connections: the accept callback is that moment.
	OnConnect(c Conn)
	// OnFrame delivers one whole frame, length prefix included. The handler
	// owns the slice.
	OnFrame(c Conn, frame []byte)
	// OnClose runs exactly once per connection, whatever closed it; err is
	// nil after a local Close, otherwise it says why (refused, reset, timeout,
	// bad frame length).
	OnClose(c Conn, err error)
}

// FS is a node's disk. Paths use forward slashes and are relative to the
// node's data root unless absolute. In the simulator the page cache (what was
// written) is kept apart from the media (what was synced): a process crash
// keeps the first, a power loss keeps only the second.
//
// Metadata operations (create, rename, remove, truncate to a smaller size)
// are durable once SyncDir returns for their directory in the real runtime;
// the simulator treats them as journaled, durable at once. Code must call
// SyncDir where it relies on them, so it is right on real disks too.
type FS interface {
	// Open opens name. With Create it is created if missing (parents must
	// exist); with Exclusive together with Create it must not exist.
	Open(name string, flag OpenFlag) (File, error)
	Remove(name string) error
	// RemoveAll removes a directory tree; a missing path is not an error.
	RemoveAll(name string) error
	Rename(from, to string) error
	MkdirAll(dir string) error
	// List returns the names (not paths) in dir, sorted.
	List(dir string) ([]string, error)
	Stat(name string) (FileInfo, error)
	// SyncDir makes the directory's entries durable.
	SyncDir(dir string) error
	// Usage reports the capacity of the volume that holds dir.
	Usage(dir string) (Usage, error)
}

// OpenFlag says how FS.Open opens a file.
type OpenFlag int

const (
	ReadOnly  OpenFlag = 0
	ReadWrite OpenFlag = 1 << iota
	Create
	Exclusive
)

// File is an open file. Reads and writes are positional (pread/pwrite): a
// store keeps its own write positions.
type File interface {
	Name() string
	ReadAt(p []byte, off int64) (int, error)
	// WriteAt writes into the page cache. On a full disk it may write a
	// prefix and return an error matching ErrNoSpace.
	WriteAt(p []byte, off int64) (int, error)
	// WriteAsync is WriteAt off the loop: the kernel copy runs beside the
	// loop, and done gets WriteAt's results on the loop. p must stay
	// unchanged until done runs. A file's writes complete in call order;
	// Sync and SyncAsync cover every WriteAsync called before them, done
	// or not, and WriteAt and Truncate come after them. Until done runs, a read of the range may see the old bytes
	// or the new ones. A crash may drop a write whose done has not run.
	WriteAsync(p []byte, off int64, done func(n int, err error))
	Size() (int64, error)
	Truncate(size int64) error
	// Sync makes everything written so far durable, blocking the loop. Use it
	// for small metadata files; the commit log uses SyncAsync.
	Sync() error
	// SyncAsync starts an fsync off the loop and calls done on the loop when
	// it completes. Everything written before the call is covered.
	SyncAsync(done func(error))
	Close() error
}

// FileInfo describes a file or directory.
type FileInfo struct {
	Name  string
	Size  int64
	IsDir bool
}

// Usage is a volume's capacity in bytes.
type Usage struct {
	Total uint64
	Free  uint64
}

// Errors a node acts on. Implementations wrap them with context; test with
// errors.Is.
var (
	ErrClosed        = errors.New("connection closed")
	ErrSendQueueFull = errors.New("send queue full")
	ErrRefused       = errors.New("connection refused")
	ErrReset         = errors.New("connection reset")
	ErrTimeout       = errors.New("connection timed out")
	ErrFrameTooLarge = errors.New("frame too large")
	ErrBadFrame      = errors.New("bad frame length")
	ErrNoSpace       = errors.New("no space left on device")
	ErrNotExist      = errors.New("file does not exist")
	ErrExist         = errors.New("file already exists")
	ErrIO            = errors.New("input/output error")
)

// MaxFrameSizeDefault is RocketMQ's default bound on one remoting frame
// (16 MiB); both runtimes refuse longer frames.
const MaxFrameSizeDefault = 16 << 20

// Node is a single-threaded state machine built on a Runtime. The runtime
// constructs it with a NewNode function on the loop, delivers events, and on
// a graceful shutdown calls Stop on the loop. A crash or power loss calls
// nothing: the node's state simply disappears, as in a killed process.
type Node interface {
	// Stop shuts the node down gracefully (flush, checkpoint, close). It
	// returns when the node holds no more pending work it cares about.
	Stop()
}

// NewNode builds a node on rt. It runs on the node's loop.
type NewNode func(rt Runtime) (Node, error)
