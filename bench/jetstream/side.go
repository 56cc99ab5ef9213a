package main

import (
	"context"
	"encoding/binary"
)

// side is one system under test as the workload drives it. Each try of a
// case gets a destination of its own (a topic, a stream), so a try never
// reads what another wrote and the stores start each try alike.
type side interface {
	// Name is the column heading: "ours" or "JetStream".
	Name() string
	// Durability says what an acknowledged publish survives on this side.
	Durability() string
	// NewDestination creates an empty destination for one try.
	NewDestination(ctx context.Context, try int) (string, error)
	// Publish sends body to dest and waits for the server's ack.
	Publish(ctx context.Context, dest string, body []byte) error
	// PublishAsync sends body to dest and returns at once; done runs once,
	// on some goroutine, with the outcome.
	PublishAsync(dest string, body []byte, done func(error)) error
	// Drain reads dest from its start with a new consumer until want
	// messages arrived or ctx ends, calling got with each body.
	Drain(ctx context.Context, dest string, want int, got func(body []byte)) error
	// Close ends the side's clients (not its server).
	Close()
}

// bodyIDSize is the bytes of a body's id prefix: the workload reads it
// back to tell which published messages a drain saw.
const bodyIDSize = 8

// bodyFillMax bounds the filler newBody copies from; longer bodies repeat it.
const bodyFillMax = 64 << 10

// bodyFill is text to fill bodies with (compressible, as real payloads
// often are; neither side compresses a 1 KiB body).
var bodyFill = func() []byte {
	b := make([]byte, bodyFillMax)
	for i := range b {
		b[i] = byte('a' + i%26)
	}
	return b
}()

// newBody returns a body of size bytes (at least bodyIDSize) carrying id.
// Each send gets a body of its own: a client may hold it until the ack.
func newBody(size int, id uint64) []byte {
	b := make([]byte, max(size, bodyIDSize))
	for i := bodyIDSize; i < len(b); i += copy(b[i:], bodyFill) {
	}
	binary.BigEndian.PutUint64(b, id)
	return b
}

// bodyID is the id newBody put in b; ok is false for a body too short.
func bodyID(b []byte) (uint64, bool) {
	if len(b) < bodyIDSize {
		return 0, false
	}
	return binary.BigEndian.Uint64(b), true
}
