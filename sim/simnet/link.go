package simnet

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// LinkConfig is one direction's behaviour.
type LinkConfig struct {
	// Latency draws one frame's one-way latency. When nil the latency is
	// uniform in [Min, Max].
	Latency  func(r *rand.Rand) time.Duration
	Min, Max time.Duration
	// Bandwidth is in bytes per second; 0 means unlimited. A frame then
	// also waits for the frames before it to be serialised.
	Bandwidth int64
	// DropConnectProb is the probability that a dial's SYN is lost, so the
	// dial fails by timeout.
	DropConnectProb float64
	// LossProb is the probability that one transmission of a frame is
	// lost. TCP retransmits, so a loss never drops or reorders a frame: it
	// delays it (and, in order, everything behind it) by a retransmission
	// timeout that doubles on each further loss. After RetransmitMax
	// losses in a row the connection fails with runtime.ErrTimeout.
	LossProb float64
	// RetransmitTimeout is the first retransmission delay; 0 means
	// RetransmitTimeoutDefault.
	RetransmitTimeout time.Duration
}

// RetransmitTimeoutDefault is Linux's minimum TCP retransmission timeout.
const RetransmitTimeoutDefault = 200 * time.Millisecond

// RetransmitMax bounds the retransmissions of one frame, like Linux's
// tcp_retries2 bounds a connection's (which is larger; ours keeps lossy
// runs short).
const RetransmitMax = 8

// DefaultLink is the configuration of a link nobody set.
func DefaultLink() LinkConfig {
	return LinkConfig{Min: LatencyMinDefault, Max: LatencyMaxDefault}
}

// link is one direction between two hosts with its own random stream, so
// traffic on one link never perturbs another's latencies.
type link struct {
	cfg LinkConfig
	rng *rand.Rand
}

func (l *link) latency() time.Duration {
	if l.cfg.Latency != nil {
		return max(0, l.cfg.Latency(l.rng))
	}
	if l.cfg.Max <= l.cfg.Min {
		return max(0, l.cfg.Min)
	}
	return l.cfg.Min + time.Duration(l.rng.Int64N(int64(l.cfg.Max-l.cfg.Min)+1))
}

// retransmissions draws the extra delay lost transmissions add to one
// frame, and whether the frame is never acknowledged (the connection dies).
func (l *link) retransmissions() (time.Duration, bool) {
	if l.cfg.LossProb <= 0 {
		return 0, false
	}
	rto := l.cfg.RetransmitTimeout
	if rto <= 0 {
		rto = RetransmitTimeoutDefault
	}
	var delay time.Duration
	for range RetransmitMax {
		if l.rng.Float64() >= l.cfg.LossProb {
			return delay, false
		}
		delay += rto
		rto *= 2
	}
	return delay, true
}

// serialisation is how long n bytes occupy the link.
func (l *link) serialisation(n int) time.Duration {
	if l.cfg.Bandwidth <= 0 {
		return 0
	}
	return time.Duration(int64(n) * int64(time.Second) / l.cfg.Bandwidth)
}

func (n *Network) link(from, to *Host) *link {
	key := [2]int{from.idx, to.idx}
	l := n.links[key]
	if l == nil {
		l = &link{cfg: DefaultLink(), rng: n.k.Rand("net/" + from.name + ">" + to.name)}
		n.links[key] = l
	}
	return l
}

// SetLink configures both directions between hosts a and b.
func (n *Network) SetLink(a, b string, cfg LinkConfig) error {
	if err := n.SetLinkOneWay(a, b, cfg); err != nil {
		return err
	}
	return n.SetLinkOneWay(b, a, cfg)
}

// SetLinkOneWay configures the direction from host from to host to. Frames
// already in flight keep the delivery times they were given.
func (n *Network) SetLinkOneWay(from, to string, cfg LinkConfig) error {
	f, t := n.byName[from], n.byName[to]
	if f == nil || t == nil {
		return fmt.Errorf("simnet: set link %s>%s: unknown host", from, to)
	}
	n.link(f, t).cfg = cfg
	return nil
}
