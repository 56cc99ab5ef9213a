// Command fpnamesrv is the name server with its failpoint control socket
// exposed, for the multi-process runner:
//
//	fpnamesrv [-c namesrv.properties] [-data DIR] [-control 127.0.0.1:PORT] [-name NODE]
//
// It is ./namesrv plus -control, where each line is one fault in flow form
// ({kind: clock-jump, nodes: [namesrv], by: 30s}) answered "ok" or
// "error: ...". Bind the control socket to loopback only.
package main

import (
	"os"

	"rocketsim/jepsen/procrun"
)

func main() { os.Exit(procrun.NamesrvMain(os.Args[1:])) }
