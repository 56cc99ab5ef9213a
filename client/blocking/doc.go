// Package blocking is the clients' blocking, idiomatic Go API: a producer
// whose Send returns the broker's answer and a push consumer whose handler
// is a plain function. Each wraps an event-driven core (client/producer,
// client/consumer) running on the real runtime (runtime/realrt): calls are
// handed to the core's loop with Post and their results come back on
// channels.
//
// This is the one package in client/ allowed goroutines, channels and the
// operating system (local address, pid, home directory); the determinism
// lint exempts it.
package blocking

import (
	"net"
	"os"
)

// localIPv4 is the first non-loopback IPv4 address, or 127.0.0.1. It only
// feeds the client id and message ids, as in the official clients.
func localIPv4() string {
	addrs, err := net.InterfaceAddrs()
	if err == nil {
		for _, a := range addrs {
			if ipn, ok := a.(*net.IPNet); ok && !ipn.IP.IsLoopback() {
				if v4 := ipn.IP.To4(); v4 != nil {
					return v4.String()
				}
			}
		}
	}
	return "127.0.0.1"
}

func pid() int { return os.Getpid() }
