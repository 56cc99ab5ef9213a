package producer_test

import (
	"bytes"
	"io"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"testing"
	"time"

	"rocketsim/client"
	"rocketsim/client/producer"
	"rocketsim/namesrv/routes"
	"rocketsim/namesrv/wire"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// BenchmarkSendCore measures the producer core's own cost of one send:
// Send, queue choice, header, encode, and the answer's decode and result,
// against a loopback runtime that answers every frame at once with canned
// name-server and broker responses. No simulator, socket or broker runs,
// so the number is the client's share of a send's CPU (the canned
// answer's Encode, about 1 µs, included).
func BenchmarkSendCore(b *testing.B) {
	rt := newLoopRT()
	p, err := producer.New(rt, producer.Options{Group: "pg", NameServers: []string{"ns:9876"}, ClientIP: "10.0.0.9", PID: 7})
	if err != nil {
		b.Fatal(err)
	}
	p.Start()
	body := make([]byte, 1024)
	var fails int
	done := func(r *producer.SendResult, err error) {
		if err != nil || r.Status != producer.SendOK {
			fails++
		}
	}
	// Warm up: the first send fetches the route.
	p.Send(client.NewMessage("BenchTopic", body), done)
	rt.drain()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p.Send(client.NewMessage("BenchTopic", body), done)
		if i%64 == 63 { // a window of sends in flight, as an async publisher keeps
			rt.drain()
		}
	}
	rt.drain()
	b.StopTimer()
	if fails != 0 || rt.sends != b.N+1 {
		b.Fatalf("%d of %d sends failed, %d reached the broker", fails, b.N+1, rt.sends)
	}
}

// loopRT is a runtime.Runtime whose connections answer at once: a route
// request with one broker's route, a send with SUCCESS and the fields a
// broker sets. Answers and posted functions run when drain is called.
type loopRT struct {
	now   time.Duration
	rand  *rand.Rand
	log   *slog.Logger
	queue []func()
	route []byte
	sends int
	conns uint64
}

func newLoopRT() *loopRT {
	r := routes.TopicRoute{
		QueueDatas:  []routes.QueueData{{BrokerName: "broker-a", ReadQueueNums: 8, WriteQueueNums: 8, Perm: 6}},
		BrokerDatas: []routes.BrokerData{{Cluster: "c", BrokerName: "broker-a", Addrs: map[int64]string{0: "broker:10911"}}},
	}
	return &loopRT{rand: rand.New(rand.NewPCG(1, 2)), log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		route: wire.EncodeTopicRoute(r, true)}
}

func (r *loopRT) drain() {
	for len(r.queue) > 0 {
		q := r.queue
		r.queue = nil
		for _, fn := range q {
			fn()
		}
	}
}

func (r *loopRT) Now() time.Time           { return time.Unix(1700000000, 0).Add(r.now) }
func (r *loopRT) Monotonic() time.Duration { r.now += time.Microsecond; return r.now }
func (r *loopRT) AfterFunc(time.Duration, func()) runtime.Timer {
	return loopTimer{}
}
func (r *loopRT) Name() string      { return "bench" }
func (r *loopRT) Disk() runtime.FS  { return nil }
func (r *loopRT) Rand() *rand.Rand  { return r.rand }
func (r *loopRT) Log() *slog.Logger { return r.log }
func (r *loopRT) Post(fn func())    { r.queue = append(r.queue, fn) }
func (r *loopRT) Listen(string, func(runtime.Conn) runtime.ConnHandler) (runtime.Listener, error) {
	panic("loopRT: no listening")
}

func (r *loopRT) Dial(addr string, h runtime.ConnHandler) runtime.Conn {
	r.conns++
	c := &loopConn{rt: r, id: r.conns, addr: addr, h: h}
	r.Post(func() { h.OnConnect(c) })
	return c
}

type loopTimer struct{}

func (loopTimer) Stop() bool { return true }

type loopConn struct {
	rt   *loopRT
	id   uint64
	addr string
	h    runtime.ConnHandler
	// resp is the canned SEND_MESSAGE answer, reused with each opaque.
	resp *remoting.Command
}

func (c *loopConn) ID() uint64         { return c.id }
func (c *loopConn) LocalAddr() string  { return "10.0.0.9:1" }
func (c *loopConn) RemoteAddr() string { return c.addr }
func (c *loopConn) Close() error       { return nil }

var opaqueField = []byte(`"opaque":`)

// Send answers frame. It reads the code and opaque out of the JSON text
// rather than decoding the frame, so that the benchmark counts the
// client's decoding only.
func (c *loopConn) Send(frame []byte) error {
	i := bytes.Index(frame, opaqueField) + len(opaqueField)
	j := i
	for frame[j] >= '0' && frame[j] <= '9' {
		j++
	}
	opaque, _ := strconv.Atoi(string(frame[i:j]))
	var resp *remoting.Command
	switch {
	case bytes.HasPrefix(frame[8:], []byte(`{"code":105,`)): // GET_ROUTEINFO_BY_TOPIC
		resp = &remoting.Command{Code: remoting.RespSuccess, Language: "JAVA", Version: 409, Flag: remoting.FlagResponse,
			ExtFields: map[string]string{}, Body: c.rt.route}
	case bytes.HasPrefix(frame[8:], []byte(`{"code":10,`)): // SEND_MESSAGE
		c.rt.sends++
		if c.resp == nil {
			c.resp = &remoting.Command{Code: remoting.RespSuccess, Language: "JAVA", Version: 409, Flag: remoting.FlagResponse,
				ExtFields: map[string]string{"msgId": "0A00000900002A9F0000000000001234", "queueId": "3",
					"queueOffset": "123456", "MSG_REGION": "DefaultRegion", "TRACE_ON": "true"}}
		}
		resp = c.resp
	default: // heartbeats
		resp = &remoting.Command{Code: remoting.RespSuccess, Language: "JAVA", Version: 409, Flag: remoting.FlagResponse}
	}
	resp.Opaque = int32(opaque)
	out := remoting.Encode(resp)
	c.rt.Post(func() { c.h.OnFrame(c, out) })
	return nil
}
