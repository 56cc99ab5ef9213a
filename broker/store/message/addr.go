package message

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrBadAddr: an address the record format cannot hold.
var ErrBadAddr = errors.New("bad address")

// Addr is a host as RocketMQ stores it: 4 (IPv4) or 16 (IPv6) address bytes
// and a 4-byte port. It is a plain value so the store needs no net package.
type Addr struct {
	IP   []byte
	Port int32
}

// AddrV4 builds an IPv4 address.
func AddrV4(a, b, c, d byte, port int32) Addr {
	return Addr{IP: []byte{a, b, c, d}, Port: port}
}

// ParseAddr reads "a.b.c.d:port" (the form brokers and clients exchange).
// Only IPv4 text is parsed: the 4.x Go client and name server speak IPv4.
func ParseAddr(s string) (Addr, error) {
	host, portText, ok := strings.Cut(s, ":")
	if !ok {
		return Addr{}, fmt.Errorf("%q has no port: %w", s, ErrBadAddr)
	}
	port, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return Addr{}, fmt.Errorf("%q: port: %w", s, ErrBadAddr)
	}
	parts := strings.Split(host, ".")
	if len(parts) != 4 {
		return Addr{}, fmt.Errorf("%q is not a dotted IPv4 address: %w", s, ErrBadAddr)
	}
	ip := make([]byte, 4)
	for i, p := range parts {
		v, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return Addr{}, fmt.Errorf("%q: octet %q: %w", s, p, ErrBadAddr)
		}
		ip[i] = byte(v)
	}
	return Addr{IP: ip, Port: int32(port)}, nil
}

// V6 reports whether the address takes the IPv6 layout.
func (a Addr) V6() bool { return len(a.IP) == 16 }

// String formats "a.b.c.d:port", or hex groups for IPv6.
func (a Addr) String() string {
	switch len(a.IP) {
	case 4:
		return fmt.Sprintf("%d.%d.%d.%d:%d", a.IP[0], a.IP[1], a.IP[2], a.IP[3], a.Port)
	case 16:
		var sb strings.Builder
		sb.WriteByte('[')
		for i := 0; i < 16; i += 2 {
			if i > 0 {
				sb.WriteByte(':')
			}
			fmt.Fprintf(&sb, "%x", binary.BigEndian.Uint16(a.IP[i:]))
		}
		fmt.Fprintf(&sb, "]:%d", a.Port)
		return sb.String()
	}
	return fmt.Sprintf("invalid(%x):%d", a.IP, a.Port)
}

func (a Addr) check(v6 bool) error {
	want := 4
	if v6 {
		want = 16
	}
	if len(a.IP) != want {
		return fmt.Errorf("%d address bytes, sysFlag says %d: %w", len(a.IP), want, ErrBadAddr)
	}
	return nil
}

func (a Addr) wireLen() int { return len(a.IP) + 4 }

func (a Addr) append(dst []byte) []byte {
	dst = append(dst, a.IP...)
	return binary.BigEndian.AppendUint32(dst, uint32(a.Port))
}
