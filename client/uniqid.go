package client

import (
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"
)

// UniqIDGenerator makes UNIQ_KEY message ids as the official clients do:
// 32 hex characters, an uppercase 20-character prefix naming the process
// (IPv4 address, pid, class-loader hash) and a lowercase 12-character suffix
// (milliseconds since the start of the month, then a 16-bit counter).
//
// It reads no clock and no process id of its own: the caller passes the
// node's wall clock reading, and a pid drawn from the runtime's random
// source, so ids are deterministic in the simulator and unique enough in
// real life (two processes on one host differ in pid and class-loader hash).
type UniqIDGenerator struct {
	prefix  string
	counter uint16
	// monthStart and nextMonth bound the month the suffix counts in.
	monthStart time.Time
	nextMonth  time.Time
}

// NewUniqIDGenerator returns a generator for a process at ip (4 bytes; other
// lengths are cut or zero-padded) with pid and a class-loader hash.
func NewUniqIDGenerator(ip []byte, pid uint16, loader uint32) *UniqIDGenerator {
	var b [10]byte
	copy(b[:4], ip)
	binary.BigEndian.PutUint16(b[4:6], pid)
	binary.BigEndian.PutUint32(b[6:10], loader)
	return &UniqIDGenerator{prefix: strings.ToUpper(hex.EncodeToString(b[:]))}
}

// Next returns a fresh id for a message sent at now (the node's wall clock).
func (g *UniqIDGenerator) Next(now time.Time) string {
	now = now.UTC()
	if now.Before(g.monthStart) || !now.Before(g.nextMonth) {
		g.monthStart = time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, time.UTC)
		g.nextMonth = g.monthStart.AddDate(0, 1, 0)
	}
	var b [6]byte
	binary.BigEndian.PutUint32(b[:4], uint32(now.Sub(g.monthStart).Milliseconds()))
	binary.BigEndian.PutUint16(b[4:], g.counter)
	g.counter++
	return g.prefix + hex.EncodeToString(b[:])
}
