package client

import (
	"fmt"
	"strconv"
	"strings"

	"rocketsim/runtime"
)

// LocalIPDefault is the client address used when none is configured. The
// core cannot ask the operating system (the facade does, and the simulator
// knows each node's host).
const LocalIPDefault = "127.0.0.1"

// Identity names a client process to brokers: its clientID in heartbeats
// and the prefix of the message ids it generates.
type Identity struct {
	IP  string
	PID int
	// Instance is the instance name; clientID is IP@Instance.
	Instance string
}

// NewIdentity fills the blanks: ip defaults to LocalIPDefault, pid to a
// number drawn from rt.Rand() (deterministic in the simulator; the facade
// passes the real pid), instance to the pid, as the official Go client does
// for instance name DEFAULT.
func NewIdentity(rt runtime.Runtime, ip string, pid int, instance string) Identity {
	if ip == "" {
		ip = LocalIPDefault
	}
	if pid == 0 {
		pid = 1 + rt.Rand().IntN(1<<22)
	}
	if instance == "" || instance == "DEFAULT" {
		instance = strconv.Itoa(pid)
	}
	return Identity{IP: ip, PID: pid, Instance: instance}
}

// ClientID is "IP@Instance".
func (id Identity) ClientID() string { return id.IP + "@" + id.Instance }

// UniqIDs returns a message id generator for this process.
func (id Identity) UniqIDs(loader uint32) *UniqIDGenerator {
	return NewUniqIDGenerator(ipv4Bytes(id.IP), uint16(id.PID), loader)
}

func ipv4Bytes(ip string) []byte {
	out := make([]byte, 4)
	parts := strings.Split(ip, ".")
	if len(parts) != 4 {
		return out
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 || n > 255 {
			return make([]byte, 4)
		}
		out[i] = byte(n)
	}
	return out
}

// String is for logs.
func (id Identity) String() string { return fmt.Sprintf("%s(pid %d)", id.ClientID(), id.PID) }
