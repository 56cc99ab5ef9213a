package simrt_test

import (
	"encoding/binary"
	"fmt"
	"time"

	"rocketsim/runtime"
	"rocketsim/sim/simrt"
)

// echo is a node that answers every frame with the same frame.
type echo struct{}

func (echo) Stop()                                     {}
func (echo) OnConnect(runtime.Conn)                    {}
func (echo) OnFrame(c runtime.Conn, f []byte)          { _ = c.Send(f) }
func (echo) OnClose(runtime.Conn, error)               {}
func newEcho(rt runtime.Runtime) (runtime.Node, error) { return echo{}, listen(rt) }

func listen(rt runtime.Runtime) error {
	_, err := rt.Listen("192.0.2.1:9876", func(runtime.Conn) runtime.ConnHandler { return echo{} })
	return err
}

// client sends one frame when connected and reports the answer.
type client struct {
	w  *simrt.World
	rt runtime.Runtime
}

func (c *client) Stop() {}
func (c *client) OnConnect(conn runtime.Conn) {
	f := binary.BigEndian.AppendUint32(nil, 4)
	_ = conn.Send(append(f, "ping"...))
}
func (c *client) OnFrame(conn runtime.Conn, f []byte) {
	fmt.Printf("%s got %q back, monotonic clock about %v\n", c.rt.Name(), f[4:], c.rt.Monotonic().Round(100*time.Millisecond))
	_ = conn.Close()
}
func (c *client) OnClose(_ runtime.Conn, err error) { fmt.Println("closed:", err) }

// A world with two nodes: a partition holds the client's first frame until
// it heals; the crash of the server is then seen as a refused dial.
func Example() {
	w := simrt.New(42, simrt.Options{})
	server := w.AddNode("server", simrt.NodeConfig{}, newEcho)
	cl := w.AddNode("client", simrt.NodeConfig{}, func(rt runtime.Runtime) (runtime.Node, error) {
		c := &client{w: w, rt: rt}
		rt.Dial("192.0.2.1:9876", c)
		return c, nil
	})
	server.Start()
	if err := w.Net().Partition([]string{"server"}, []string{"client"}); err != nil {
		panic(err)
	}
	w.At(2*time.Second, w.Net().Heal)
	cl.Start()
	w.RunFor(time.Minute)

	server.Crash()
	cl.Restart()
	w.RunFor(time.Minute)
	// Output:
	// client got "ping" back, monotonic clock about 2s
	// closed: <nil>
	// closed: simnet: dial 192.0.2.1:9876: connection refused
}
