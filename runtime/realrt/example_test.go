package realrt_test

import (
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"

	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// greeter is a node: it listens, and answers every frame with "hi".
type greeter struct {
	rt runtime.Runtime
	ln runtime.Listener
}

func (g *greeter) OnConnect(runtime.Conn) {}
func (g *greeter) OnFrame(c runtime.Conn, frame []byte) {
	_ = c.Send(frameWith("hi"))
}
func (g *greeter) OnClose(runtime.Conn, error) {}
func (g *greeter) Stop()                       { _ = g.ln.Close() }

// frameWith builds a frame: length prefix, a 4-byte header-length field,
// then the text.
func frameWith(text string) []byte {
	f := make([]byte, 8+len(text))
	binary.BigEndian.PutUint32(f, uint32(4+len(text)))
	copy(f[8:], text)
	return f
}

// caller is a client handler that reports the first reply.
type caller struct{ reply chan string }

func (c caller) OnConnect(conn runtime.Conn)             { _ = conn.Send(frameWith("hello")) }
func (c caller) OnFrame(conn runtime.Conn, frame []byte) { c.reply <- string(frame[8:]) }
func (c caller) OnClose(runtime.Conn, error)             {}

// idle is a node with nothing to do: the client side of the example.
type idle struct{}

func (idle) Stop() {}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// A main package builds a Runtime, starts its node on it, and stops it on
// the way out; other goroutines talk to the node only through Post.
func Example() {
	server := realrt.New("server", realrt.Options{Logger: quietLogger()})
	addr := make(chan string, 1)
	err := server.Start(func(rt runtime.Runtime) (runtime.Node, error) {
		g := &greeter{rt: rt}
		ln, err := rt.Listen("127.0.0.1:0", func(runtime.Conn) runtime.ConnHandler { return g })
		if err != nil {
			return nil, err
		}
		g.ln = ln
		addr <- ln.Addr()
		return g, nil
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer server.Stop()

	client := realrt.New("client", realrt.Options{Logger: quietLogger()})
	if err := client.Start(func(runtime.Runtime) (runtime.Node, error) { return idle{}, nil }); err != nil {
		fmt.Println(err)
		return
	}
	defer client.Stop()
	c := caller{reply: make(chan string, 1)}
	to := <-addr
	client.Post(func() { client.Dial(to, c) })
	fmt.Println(<-c.reply)
	// Output: hi
}
