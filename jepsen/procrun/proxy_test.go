package procrun

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"rocketsim/remoting"
)

// echoServer answers each line with the same line, until closed.
func echoServer(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln
}

func newTestProxy(t *testing.T) *Proxy {
	p := NewProxy(nil)
	t.Cleanup(p.Close)
	return p
}

// roundTrip writes line and reads it back within limit.
func roundTrip(c net.Conn, r *bufio.Reader, line string, limit time.Duration) (string, error) {
	_ = c.SetDeadline(time.Now().Add(limit))
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write([]byte(line + "\n")); err != nil {
		return "", err
	}
	s, err := r.ReadString('\n')
	return strings.TrimSuffix(s, "\n"), err
}

func TestProxyForwardsAndCutStallsUntilHeal(t *testing.T) {
	srv := echoServer(t)
	p := newTestProxy(t)
	addr, err := p.Route("producer-1", "broker-a", srv.Addr().String(), nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	r := bufio.NewReader(c)

	got, err := roundTrip(c, r, "one", 2*time.Second)
	require.NoError(t, err)
	require.Equal(t, "one", got)

	// A cut in the reply's direction only: the request reaches the server,
	// the reply is held.
	p.Cut("broker-a", "producer-1")
	require.Equal(t, []string{"broker-a->producer-1"}, p.Cuts())
	_, err = roundTrip(c, r, "two", 300*time.Millisecond)
	var ne net.Error
	require.ErrorAs(t, err, &ne)
	require.True(t, ne.Timeout(), "a cut link stalls rather than failing: %v", err)

	// Another pair's cut does not touch this link.
	p.Heal()
	p.Cut("producer-2", "broker-a")
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err = r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "two\n", got, "held bytes flow after the heal, in order")
	got, err = roundTrip(c, r, "three", 2*time.Second)
	require.NoError(t, err)
	require.Equal(t, "three", got)
}

func TestProxyCutHoldsNewConnections(t *testing.T) {
	srv := echoServer(t)
	p := newTestProxy(t)
	addr, err := p.Route("consumer-1", "namesrv", srv.Addr().String(), nil)
	require.NoError(t, err)
	p.Cut("consumer-1", "namesrv")
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	r := bufio.NewReader(c)
	_, err = roundTrip(c, r, "hello", 300*time.Millisecond)
	require.Error(t, err, "a connection opened across a cut stalls")
	p.Heal()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	got, err := r.ReadString('\n')
	require.NoError(t, err)
	require.Equal(t, "hello\n", got)
}

func TestProxyServerDownResetsClient(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	target := ln.Addr().String()
	ln.Close() // nobody listens there now
	p := newTestProxy(t)
	addr, err := p.Route("producer-1", "broker-a", target, nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, err = c.Read(make([]byte, 1))
	require.Error(t, err)
	require.False(t, isTimeout(err), "the client sees the connection closed, not a stall: %v", err)
}

func isTimeout(err error) bool {
	ne, ok := err.(net.Error)
	return ok && ne.Timeout()
}

// A frame server answers every frame it reads with a route-like body
// naming a broker's real address; the client, through the proxy, must see
// the proxy's address instead, in a frame that still decodes.
func TestProxyRewritesAddressesInFrames(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	body := `{"brokerDatas":[{"brokerAddrs":{0:"127.0.0.1:10911"},"brokerName":"broker-a"},{"brokerAddrs":{0:"127.0.0.1:109112"}}]}`
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		for {
			if _, err := readFrame(c); err != nil {
				return
			}
			resp := &remoting.Command{Code: 0, Flag: 1, Opaque: 7, ExtFields: map[string]string{"addr": "127.0.0.1:10911"}, Body: []byte(body)}
			if _, err := c.Write(remoting.Encode(resp)); err != nil {
				return
			}
		}
	}()
	p := newTestProxy(t)
	addr, err := p.Route("producer-1", "namesrv", ln.Addr().String(),
		AddrRewrite(map[string]string{"127.0.0.1:10911": "127.0.0.1:45678"}))
	require.NoError(t, err)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	_, err = c.Write(remoting.Encode(&remoting.Command{Code: 105, Opaque: 7}))
	require.NoError(t, err)
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	frame, err := readFrame(c)
	require.NoError(t, err)
	require.Equal(t, len(frame)-4, int(binary.BigEndian.Uint32(frame)))
	cmd, err := remoting.Decode(frame, 0)
	require.NoError(t, err)
	require.Equal(t, int32(7), cmd.Opaque)
	require.Equal(t, "127.0.0.1:45678", cmd.ExtFields["addr"], "JSON headers are rewritten too (a registration's masterAddr)")
	require.Contains(t, string(cmd.Body), `"127.0.0.1:45678"`)
	require.Contains(t, string(cmd.Body), `"127.0.0.1:109112"`, "a longer address is not a match")
	require.NotContains(t, string(cmd.Body), `"127.0.0.1:10911"`)
}

func TestRewriteFrameRejectsBadHeaderLength(t *testing.T) {
	frame := binary.BigEndian.AppendUint32(nil, 8)
	frame = binary.BigEndian.AppendUint32(frame, 100) // header longer than the frame
	frame = append(frame, 1, 2, 3, 4)
	_, err := rewriteFrame(frame, func(b []byte) []byte { return b })
	require.Error(t, err)
}

// A link's latency delays each direction by its own draw and keeps order;
// clearing it restores the fast path.
func TestProxyLatency(t *testing.T) {
	srv := echoServer(t)
	p := newTestProxy(t)
	addr, err := p.Route("producer-1", "broker-a", srv.Addr().String(), nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	r := bufio.NewReader(c)

	p.SetLatency("producer-1", "broker-a", 300*time.Millisecond, 300*time.Millisecond)
	p.SetLatency("broker-a", "producer-1", 200*time.Millisecond, 250*time.Millisecond)
	start := time.Now()
	for i := range 3 {
		_, err := c.Write([]byte(fmt.Sprintf("m%d\n", i)))
		require.NoError(t, err)
	}
	for i := range 3 {
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
		got, err := r.ReadString('\n')
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("m%d\n", i), got, "in order")
	}
	rtt := time.Since(start)
	require.GreaterOrEqual(t, rtt, 500*time.Millisecond, "both directions' latency")
	require.Less(t, rtt, 1500*time.Millisecond, "pipelined, not one latency per line (3 lines would take 1.5 s)")

	p.ClearShaping()
	start = time.Now()
	got, err := roundTrip(c, r, "fast", 2*time.Second)
	require.NoError(t, err)
	require.Equal(t, "fast", got)
	require.Less(t, time.Since(start), 400*time.Millisecond, "no latency left (it was 500 ms)")
}

// A client that closes its connection across a cut: the server learns of
// it only after the heal, as a FIN would reach it.
func TestProxyCloseCrossesCutOnlyAfterHeal(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	eof := make(chan struct{})
	go func() {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(io.Discard, c)
		close(eof)
	}()
	p := newTestProxy(t)
	addr, err := p.Route("consumer-1", "broker-a", ln.Addr().String(), nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	_, err = c.Write([]byte("hello"))
	require.NoError(t, err)
	time.Sleep(50 * time.Millisecond)
	p.Cut("consumer-1", "broker-a")
	require.NoError(t, c.Close())
	select {
	case <-eof:
		t.Fatal("the server saw the close through the cut")
	case <-time.After(300 * time.Millisecond):
	}
	p.Heal()
	select {
	case <-eof:
	case <-time.After(2 * time.Second):
		t.Fatal("the close never reached the server after the heal")
	}
}

// A lossy link delays chunks by retransmission timeouts; a link that loses
// everything kills the connection instead of delivering.
func TestProxyLoss(t *testing.T) {
	srv := echoServer(t)
	p := newTestProxy(t)
	p.rto = 10 * time.Millisecond // 255 x 10 ms = 2.6 s until a connection dies
	addr, err := p.Route("producer-1", "broker-a", srv.Addr().String(), nil)
	require.NoError(t, err)
	c, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer c.Close()
	r := bufio.NewReader(c)

	// prob 0.5: half the chunks pass at once, the others wait 10 ms or
	// more; over 20 round trips the total shows retransmissions.
	p.SetLoss("producer-1", "broker-a", 0.5)
	start := time.Now()
	for i := range 20 {
		got, err := roundTrip(c, r, fmt.Sprint(i), 30*time.Second)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprint(i), got)
	}
	require.Greater(t, time.Since(start), 30*time.Millisecond, "some transmissions were lost and retransmitted")

	p.SetLoss("producer-1", "broker-a", 1)
	_, err = roundTrip(c, r, "never", 30*time.Second)
	require.Error(t, err)
	require.False(t, isTimeout(err), "the connection died after its retransmissions: %v", err)
}
