package procrun

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"sort"
	"sync"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simnet"
)

// Proxy is the runner's network: every connection between two named nodes
// (a client and the name server, a client and a broker, a broker and the
// name server) goes through a listener of the proxy that knows both names,
// so the nemesis can cut any link in either direction.
//
// A cut link stalls, as a partition stalls TCP: bytes in the cut direction
// are read into a bounded buffer and then held, so the sender's socket
// buffers fill and its requests time out; nothing is dropped or reordered.
// A connection opened across a cut is accepted (the kernel completes the
// handshake before the proxy sees it) and stalls likewise. Heal lets the
// held bytes go, as TCP delivers them once a partition ends; by then the
// peers may have given up on the connection and closed it.
type Proxy struct {
	log *slog.Logger

	mu      sync.Mutex
	cond    *sync.Cond
	blocked map[link]bool
	shape   map[link]shaping
	// rto is the first retransmission timeout of a lost chunk (tests
	// shorten it).
	rto    time.Duration
	conns  map[*proxyConn]struct{}
	done   chan struct{} // closed by Close
	lns    []net.Listener
	closed bool
	wg     sync.WaitGroup
}

// link is one direction between two nodes.
type link struct{ from, to string }

// copyBufferSize bounds the bytes one direction of one connection holds
// while its link is cut.
const copyBufferSize = 32 << 10

// frameMax bounds a frame the proxy decodes to rewrite it: RocketMQ's
// default frameMaxLength.
const frameMax = runtime.MaxFrameSizeDefault

// NewProxy returns a proxy with every link open.
func NewProxy(log *slog.Logger) *Proxy {
	if log == nil {
		log = slog.Default()
	}
	p := &Proxy{log: log, blocked: map[link]bool{}, shape: map[link]shaping{}, rto: simnet.RetransmitTimeoutDefault, conns: map[*proxyConn]struct{}{}, done: make(chan struct{})}
	p.cond = sync.NewCond(&p.mu)
	return p
}

// Rewrite edits the JSON header and the body of each remoting frame
// flowing back from the server to the client of a route (nil: bytes pass
// untouched). It must not modify its argument in place.
type Rewrite func(body []byte) []byte

// Route opens a loopback listener for connections from node `from` to node
// `to`, which listens at target, and returns the listener's address. Give
// that address to `from` in place of target. rewrite, when set, edits every
// frame's header and body on its way from `to` back to `from`.
func (p *Proxy) Route(from, to, target string, rewrite Rewrite) (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", fmt.Errorf("proxy %s->%s: listen: %w", from, to, err)
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		ln.Close()
		return "", errors.New("proxy: closed")
	}
	p.lns = append(p.lns, ln)
	p.wg.Add(1)
	p.mu.Unlock()
	go p.accept(ln, from, to, target, rewrite)
	return ln.Addr().String(), nil
}

func (p *Proxy) accept(ln net.Listener, from, to, target string, rewrite Rewrite) {
	defer p.wg.Done()
	for {
		c, err := ln.Accept()
		if err != nil {
			return // closed by Close
		}
		p.wg.Add(1)
		go p.connect(c, from, to, target, rewrite)
	}
}

// dialTimeout bounds the proxy's dial of a server: a paused server with a
// full accept backlog would otherwise hold the client's connection for
// ever.
const dialTimeout = 5 * time.Second

// connect dials the server for an accepted client connection and starts
// the two pumps. It runs on its own goroutine so that a slow dial holds
// no other connection.
func (p *Proxy) connect(c net.Conn, from, to, target string, rewrite Rewrite) {
	defer p.wg.Done()
	s, err := net.DialTimeout("tcp", target, dialTimeout)
	if err != nil {
		// The server is down (crashed, restarting): the client sees its
		// connection closed, as it would dialling the server.
		c.Close()
		return
	}
	pc := &proxyConn{client: c, server: s}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		pc.close()
		return
	}
	p.conns[pc] = struct{}{}
	p.wg.Add(2)
	p.mu.Unlock()
	go p.pump(pc, c, s, link{from, to}, nil)
	go p.pump(pc, s, c, link{to, from}, rewrite)
}

// proxyConn is one proxied connection: both sockets close together.
type proxyConn struct {
	client, server net.Conn
	once           sync.Once
}

func (c *proxyConn) close() {
	c.once.Do(func() {
		c.client.Close()
		c.server.Close()
	})
}

// chunk is bytes read from one side, due at the other side at due; a dead
// chunk was never acknowledged: its connection times out at due.
type chunk struct {
	b    []byte
	due  time.Time
	dead bool
}

// chunkQueueMax bounds the chunks in flight in one direction of one
// connection (read, not yet written): with copyBufferSize, 2 MiB.
const chunkQueueMax = 64

// pump copies src to dst for direction l: a reader goroutine stamps each
// chunk with the time it is due (now plus the link's latency), the writer
// writes chunks in order once due and while l is not cut. Order is kept:
// a chunk drawn a shorter latency waits behind the one before it.
func (p *Proxy) pump(pc *proxyConn, src, dst net.Conn, l link, rewrite Rewrite) {
	defer p.wg.Done()
	defer func() {
		pc.close()
		p.mu.Lock()
		delete(p.conns, pc)
		p.mu.Unlock()
	}()
	read := rawReader(src)
	if rewrite != nil {
		read = p.frameReader(src, l, rewrite)
	}
	ch := make(chan chunk, chunkQueueMax)
	stop := make(chan struct{})
	defer close(stop)
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		defer close(ch)
		for {
			b, err := read()
			if len(b) > 0 {
				d, dead := p.delay(l)
				select {
				case ch <- chunk{b: b, due: time.Now().Add(d), dead: dead}:
				case <-stop:
					return
				}
			}
			if err != nil {
				return
			}
		}
	}()
	for c := range ch {
		if d := time.Until(c.due); d > 0 {
			t := time.NewTimer(d)
			select {
			case <-t.C:
			case <-p.done:
				t.Stop()
				return
			}
		}
		if c.dead {
			p.log.Debug("proxy: every retransmission lost, connection dies", "from", l.from, "to", l.to)
			return
		}
		if !p.await(l) {
			return
		}
		if _, err := dst.Write(c.b); err != nil {
			return
		}
	}
	// The source closed: the close crosses a cut link only after the
	// heal, as a FIN would.
	p.await(l)
}

// rawReader reads whatever src has, a fresh buffer each time.
func rawReader(src net.Conn) func() ([]byte, error) {
	return func() ([]byte, error) {
		buf := make([]byte, copyBufferSize)
		n, err := src.Read(buf)
		return buf[:n], err
	}
}

// frameReader reads remoting frames and rewrites each body.
func (p *Proxy) frameReader(src net.Conn, l link, rewrite Rewrite) func() ([]byte, error) {
	return func() ([]byte, error) {
		frame, err := readFrame(src)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) {
				p.log.Debug("proxy: frame", "from", l.from, "to", l.to, "err", err)
			}
			return nil, err
		}
		out, err := rewriteFrame(frame, rewrite)
		if err != nil {
			p.log.Warn("proxy: bad frame, closing", "from", l.from, "to", l.to, "err", err)
			return nil, err
		}
		return out, nil
	}
}

// delay draws the latency of one chunk on l, plus the retransmission
// delays of its lost transmissions, and whether every retransmission was
// lost (the connection then dies, as a TCP connection times out). The
// retransmission model is the simulator's (simnet): a first timeout of
// RetransmitTimeoutDefault, doubling, at most RetransmitMax times.
func (p *Proxy) delay(l link) (time.Duration, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c, ok := p.shape[l]
	if !ok {
		return 0, false
	}
	d := c.min
	if c.max > c.min {
		d += time.Duration(rand.Int64N(int64(c.max-c.min) + 1))
	}
	if c.loss <= 0 {
		return d, false
	}
	rto := p.rto
	for range simnet.RetransmitMax {
		if rand.Float64() >= c.loss {
			return d, false
		}
		d += rto
		rto *= 2
	}
	return d, true
}

// shaping is one direction's latency, drawn uniformly per chunk, and the
// chance that one transmission of a chunk is lost.
type shaping struct {
	min, max time.Duration
	loss     float64
}

// SetLatency delays every chunk from node `from` to node `to` by a
// duration drawn from [min, max] (0, 0: none). Chunks stay in order.
func (p *Proxy) SetLatency(from, to string, min, max time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.shape[link{from, to}]
	c.min, c.max = min, max
	p.shape[link{from, to}] = c
}

// SetLoss makes each transmission of a chunk from node `from` to node `to`
// lost with probability prob. TCP retransmits, so a loss delays the chunk
// (and, in order, everything behind it); a chunk lost RetransmitMax times
// kills its connection.
func (p *Proxy) SetLoss(from, to string, prob float64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	c := p.shape[link{from, to}]
	c.loss = prob
	p.shape[link{from, to}] = c
}

// ClearShaping removes every link's latency and loss.
func (p *Proxy) ClearShaping() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.shape)
}

// readFrame reads one length-prefixed frame, prefix included.
func readFrame(r io.Reader) ([]byte, error) {
	var head [4]byte
	if _, err := io.ReadFull(r, head[:]); err != nil {
		return nil, err
	}
	n := binary.BigEndian.Uint32(head[:])
	if n < 4 || n > frameMax-4 {
		return nil, fmt.Errorf("frame length %d outside [4, %d]", n, frameMax-4)
	}
	frame := make([]byte, 4+n)
	copy(frame, head[:])
	if _, err := io.ReadFull(r, frame[4:]); err != nil {
		return nil, fmt.Errorf("frame of %d bytes: %w", n, err)
	}
	return frame, nil
}

// rewriteFrame returns frame with its JSON header and its body passed
// through rewrite and its lengths fixed. The layout is RocketMQ's: total
// length, then the header length (low 24 bits; the high byte is the
// serialisation type, 0 for JSON), the header, the body. A binary
// (ROCKETMQ) header carries its own lengths and is left alone.
func rewriteFrame(frame []byte, rewrite Rewrite) ([]byte, error) {
	if len(frame) < 8 {
		return nil, fmt.Errorf("frame of %d bytes has no header length", len(frame))
	}
	kind := frame[4]
	headerLen := int(binary.BigEndian.Uint32(frame[4:8]) & 0xFFFFFF)
	if 8+headerLen > len(frame) {
		return nil, fmt.Errorf("header length %d beyond a frame of %d bytes", headerLen, len(frame))
	}
	header, body := frame[8:8+headerLen], frame[8+headerLen:]
	if kind == 0 {
		header = rewrite(header)
		if len(header) > 0xFFFFFF {
			return nil, fmt.Errorf("rewritten header of %d bytes", len(header))
		}
	}
	if len(body) > 0 {
		body = rewrite(body)
	}
	out := make([]byte, 0, 8+len(header)+len(body))
	out = binary.BigEndian.AppendUint32(out, uint32(4+len(header)+len(body)))
	out = binary.BigEndian.AppendUint32(out, uint32(kind)<<24|uint32(len(header)))
	out = append(out, header...)
	return append(out, body...), nil
}

// AddrRewrite is a Rewrite that replaces each quoted address of addrs
// ("127.0.0.1:10911" in a route's JSON) with its mapped value, so a client
// reached through the proxy is also sent through it to the brokers the
// name server names. Quotes keep 127.0.0.1:1091 from matching inside
// 127.0.0.1:10911.
func AddrRewrite(addrs map[string]string) Rewrite {
	keys := make([]string, 0, len(addrs))
	for k := range addrs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return func(body []byte) []byte {
		for _, k := range keys {
			body = bytes.ReplaceAll(body, []byte(`"`+k+`"`), []byte(`"`+addrs[k]+`"`))
		}
		return body
	}
}

// await blocks while l is cut; false once the proxy closed.
func (p *Proxy) await(l link) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	for p.blocked[l] && !p.closed {
		p.cond.Wait()
	}
	return !p.closed
}

// Cut stalls every byte from node `from` to node `to` (one direction).
func (p *Proxy) Cut(from, to string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.blocked[link{from, to}] = true
}

// Cuts lists the cut directions as "from->to", sorted.
func (p *Proxy) Cuts() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	for l, b := range p.blocked {
		if b {
			out = append(out, l.from+"->"+l.to)
		}
	}
	sort.Strings(out)
	return out
}

// Heal reopens every link; held bytes flow again.
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	clear(p.blocked)
	p.cond.Broadcast()
}

// Close stops every listener and connection and waits for the proxy's
// goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if !p.closed {
		close(p.done)
	}
	p.closed = true
	lns := p.lns
	p.lns = nil
	conns := make([]*proxyConn, 0, len(p.conns))
	for c := range p.conns {
		conns = append(conns, c)
	}
	p.cond.Broadcast()
	p.mu.Unlock()
	for _, ln := range lns {
		ln.Close()
	}
	for _, c := range conns {
		c.close()
	}
	p.wg.Wait()
}
