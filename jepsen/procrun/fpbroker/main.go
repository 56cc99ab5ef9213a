// Command fpbroker is the broker with its failpoint control socket exposed,
// for the multi-process runner:
//
//	fpbroker -c broker.conf [-n namesrvAddr] [-data DIR] [-control 127.0.0.1:PORT]
//
// It is server.New on the real runtime, as ./broker, plus -control, where
// each line is one fault in flow form ({kind: fsync-fail, nodes:
// [broker-a], prob: 0.3}) answered "ok" or "error: ...". The control socket
// is a fault injector: bind it to loopback only.
package main

import (
	"os"

	"rocketsim/broker/config"
	"rocketsim/broker/server"
	"rocketsim/jepsen/procrun"
	"rocketsim/runtime"
)

func main() {
	os.Exit(procrun.BrokerMain(os.Args[1:], func(c config.Config) runtime.NewNode { return server.New(c) }))
}
