// Package simnet is the simulator's network: TCP-like connections between
// simulated hosts that carry whole remoting frames.
//
// It keeps TCP's promises and breaks nothing else: frames on a connection
// arrive in order, whole, or not at all. Latency, bandwidth, packet loss
// (retransmission delays) and connect failures come from seeded per-link
// streams. A partition holds the frames that cross it (TCP retransmits); if
// it heals before the stall timeout they arrive late and in order, otherwise
// both ends fail with a timeout. A crashed process's peers receive what it
// had already sent, then a reset; a graceful close sends a FIN behind the
// queued frames. Handshakes, closes and frames share each direction's FIFO,
// which is what makes their relative order right by construction.
//
// Addresses are "ip:port"; a node's name, "localhost", loopback and
// unspecified addresses also resolve (to the named or the own host).
//
// The network runs on the simulator's single event loop and never starts a
// goroutine. It asks the simulator (the Kernel) to run callbacks at given
// true times on a given node's loop; the kernel defers them while that node
// is paused.
package simnet

import (
	"fmt"
	"math/rand/v2"
	"time"

	"rocketsim/runtime"
)

// Defaults for a Network's bounds. Each is a field of Network so a scenario
// can change it.
const (
	// ConnectTimeoutDefault bounds how long a dial waits for an answer
	// before failing with runtime.ErrTimeout (a SYN lost in a partition or
	// sent to a host that does not exist).
	ConnectTimeoutDefault = 3 * time.Second
	// StallTimeoutDefault is how long frames may be held by a partition
	// before the connection fails: TCP's retransmission timeout.
	StallTimeoutDefault = 10 * time.Second
	// SendQueueMaxDefault bounds the bytes one direction of a connection
	// holds undelivered; Send returns runtime.ErrSendQueueFull beyond it.
	SendQueueMaxDefault = 64 << 20
	// LatencyMinDefault and LatencyMaxDefault bound the uniform one-way
	// latency of a link nobody configured.
	LatencyMinDefault = 100 * time.Microsecond
	LatencyMaxDefault = time.Millisecond
	// ephemeralPortFirst is the first local port a dialing process uses.
	ephemeralPortFirst = 32768
)

// ErrPeerClosed is what a connection's OnClose receives when the peer closed
// it gracefully (FIN). It matches runtime.ErrClosed.
var ErrPeerClosed = fmt.Errorf("closed by peer: %w", runtime.ErrClosed)

// Kernel is what the network needs from the simulator's event loop.
type Kernel interface {
	// Now is the true simulated time.
	Now() time.Duration
	// Schedule runs fn at true time at on node's loop (node is the index a
	// host was added with; negative means a world-level event). Such host
	// events are deferred while the node is paused and never dropped: the
	// network itself checks whether the process is still alive.
	Schedule(at time.Duration, node int, fn func())
	// Note folds what the current event did into the run's trace.
	Note(what string, digest uint64)
	// Rand returns the random stream derived from the root seed and purpose.
	Rand(purpose string) *rand.Rand
}

// Network is the set of hosts, the links between them and the partitions.
type Network struct {
	k     Kernel
	hosts []*Host
	// byName and byIP are only looked up, never iterated.
	byName map[string]*Host
	byIP   map[string]*Host
	// blocked[from][to] is true while frames from one host to the other
	// are held.
	blocked [][]bool
	// links holds each direction's latency model, created on first use.
	links map[[2]int]*link
	// stalled lists the pipes held by a partition, in the order they
	// stalled, so healing releases them deterministically.
	stalled []*pipe

	stats Stats

	// ConnectTimeout, StallTimeout, SendQueueMax and MaxFrameSize are the
	// network's bounds; New sets the defaults.
	ConnectTimeout time.Duration
	StallTimeout   time.Duration
	SendQueueMax   int
	MaxFrameSize   int
}

// New returns an empty network driven by k.
func New(k Kernel) *Network {
	return &Network{
		k:              k,
		byName:         map[string]*Host{},
		byIP:           map[string]*Host{},
		links:          map[[2]int]*link{},
		ConnectTimeout: ConnectTimeoutDefault,
		StallTimeout:   StallTimeoutDefault,
		SendQueueMax:   SendQueueMaxDefault,
		MaxFrameSize:   runtime.MaxFrameSizeDefault,
	}
}

// Stats counts what the network did, for run summaries and reports.
type Stats struct {
	Dials, Accepts, Refused   uint64
	Frames, Bytes             uint64 // delivered to a handler
	Stalls, Timeouts          uint64 // held by a partition; failed by it (or by loss)
	Resets, PeerCloses        uint64 // RST and FIN delivered to an open end
	BadFrames, SendQueueFulls uint64
}

// Stats returns the counters so far.
func (n *Network) Stats() Stats { return n.stats }

// Host is one machine. Its processes come and go (Boot, Crash, Shutdown);
// the host, its address and its links stay.
type Host struct {
	net   *Network
	idx   int
	node  int
	name  string
	ip    string
	stack *Stack // the running process's sockets; nil while down
}

// AddHost adds a machine called name with IPv4 address ip; node is the
// kernel's index for the node that runs on it. Duplicate names or addresses
// are a bug in the caller and panic.
func (n *Network) AddHost(name, ip string, node int) *Host {
	if _, dup := n.byName[name]; dup {
		panic(fmt.Sprintf("simnet: duplicate host name %q", name))
	}
	if _, dup := n.byIP[ip]; dup {
		panic(fmt.Sprintf("simnet: duplicate host address %q", ip))
	}
	h := &Host{net: n, idx: len(n.hosts), node: node, name: name, ip: ip}
	n.hosts = append(n.hosts, h)
	n.byName[name] = h
	n.byIP[ip] = h
	for i := range n.blocked {
		n.blocked[i] = append(n.blocked[i], false)
	}
	n.blocked = append(n.blocked, make([]bool, len(n.hosts)))
	return h
}

// Host returns the host called name, or nil.
func (n *Network) Host(name string) *Host { return n.byName[name] }

// Name is the host's name (the node's name).
func (h *Host) Name() string { return h.name }

// IP is the host's address.
func (h *Host) IP() string { return h.ip }

// Stack is the running process's sockets, or nil while the host is down.
func (h *Host) Stack() *Stack { return h.stack }

// Boot starts a new process on the host and returns its network stack. A
// process still running is a bug in the caller and panics.
func (h *Host) Boot() *Stack {
	if h.stack != nil {
		panic(fmt.Sprintf("simnet: boot of %s while its process runs", h.name))
	}
	h.stack = &Stack{host: h, listeners: map[int]*listener{}, ends: map[uint64]*end{}, nextPort: ephemeralPortFirst}
	return h.stack
}

func (n *Network) hostsNamed(names []string) ([]*Host, error) {
	hs := make([]*Host, 0, len(names))
	for _, name := range names {
		h := n.byName[name]
		if h == nil {
			return nil, fmt.Errorf("simnet: unknown host %q", name)
		}
		hs = append(hs, h)
	}
	return hs, nil
}

// Partition cuts every link between a host in a and a host in b, both ways.
func (n *Network) Partition(a, b []string) error {
	if err := n.PartitionOneWay(a, b); err != nil {
		return err
	}
	return n.PartitionOneWay(b, a)
}

// PartitionOneWay holds every frame from a host in from to a host in to;
// the other direction keeps flowing.
func (n *Network) PartitionOneWay(from, to []string) error {
	fs, err := n.hostsNamed(from)
	if err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	ts, err := n.hostsNamed(to)
	if err != nil {
		return fmt.Errorf("partition: %w", err)
	}
	for _, f := range fs {
		for _, t := range ts {
			if f != t {
				n.blocked[f.idx][t.idx] = true
				n.k.Note("partition", uint64(f.idx)<<32|uint64(t.idx))
			}
		}
	}
	return nil
}

// Heal removes every partition. Held frames then travel, in order, with a
// fresh latency.
func (n *Network) Heal() {
	for i := range n.blocked {
		clear(n.blocked[i])
	}
	n.k.Note("heal", 0)
	n.release()
}

// HealOneWay removes the partitions from the hosts in from to those in to.
func (n *Network) HealOneWay(from, to []string) error {
	fs, err := n.hostsNamed(from)
	if err != nil {
		return fmt.Errorf("heal: %w", err)
	}
	ts, err := n.hostsNamed(to)
	if err != nil {
		return fmt.Errorf("heal: %w", err)
	}
	for _, f := range fs {
		for _, t := range ts {
			n.blocked[f.idx][t.idx] = false
			n.k.Note("heal", uint64(f.idx)<<32|uint64(t.idx))
		}
	}
	n.release()
	return nil
}

// Blocked reports whether frames from host from to host to are held.
func (n *Network) Blocked(from, to string) bool {
	f, t := n.byName[from], n.byName[to]
	return f != nil && t != nil && n.blocked[f.idx][t.idx]
}

// forget removes p from the stalled list once its connection failed, so a
// partition that never heals does not accumulate dead pipes.
func (n *Network) forget(p *pipe) {
	for i, q := range n.stalled {
		if q == p {
			last := len(n.stalled) - 1
			copy(n.stalled[i:], n.stalled[i+1:])
			n.stalled[last] = nil
			n.stalled = n.stalled[:last]
			return
		}
	}
}

// Stalled is the number of connection directions a partition holds now.
func (n *Network) Stalled() int { return len(n.stalled) }

// release restarts every stalled pipe whose direction is open again.
func (n *Network) release() {
	kept := n.stalled[:0]
	for _, p := range n.stalled {
		if !p.stalled {
			continue // failed or already released
		}
		if n.blocked[p.from.idx][p.to.idx] {
			kept = append(kept, p)
			continue
		}
		p.unstall()
	}
	clear(n.stalled[len(kept):])
	n.stalled = kept
}
