package main

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// jsSide drives JetStream with nats.go's jetstream API: one connection
// shared by every publisher goroutine, one file-storage stream with one
// subject per try, and a pull consumer per drain.
type jsSide struct {
	durable bool
	pullMax int
	nc      *nats.Conn
	js      jetstream.JetStream
	// pending maps an async publish's message to its done callback; the
	// ack and error handlers, which nats.go calls on its own goroutine,
	// take it out.
	pending sync.Map // *nats.Msg -> func(error)
	streams []string
}

// asyncPendingMax bounds nats.go's outstanding async publishes; the
// workload's own window is smaller, so this never throttles it.
const asyncPendingMax = 1 << 16

func newJS(url string, durable bool, pullMax int) (*jsSide, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, fmt.Errorf("connect %s: %w", url, err)
	}
	s := &jsSide{durable: durable, pullMax: pullMax, nc: nc}
	s.js, err = jetstream.New(nc,
		jetstream.WithPublishAsyncMaxPending(asyncPendingMax),
		jetstream.WithPublishAsyncAckHandler(func(_ jetstream.JetStream, m *nats.Msg, _ *jetstream.PubAck) { s.finish(m, nil) }),
		jetstream.WithPublishAsyncErrHandler(func(_ jetstream.JetStream, m *nats.Msg, err error) { s.finish(m, err) }),
	)
	if err != nil {
		nc.Close()
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return s, nil
}

func (s *jsSide) finish(m *nats.Msg, err error) {
	if f, ok := s.pending.LoadAndDelete(m); ok {
		f.(func(error))(err)
	}
}

func (s *jsSide) Name() string { return "JetStream" }

func (s *jsSide) Durability() string {
	if s.durable {
		return "sync_interval: always"
	}
	return "sync_interval default (2m)"
}

func (s *jsSide) NewDestination(ctx context.Context, try int) (string, error) {
	name := fmt.Sprintf("BENCH_%d", try)
	_, err := s.js.CreateStream(ctx, jetstream.StreamConfig{
		Name:     name,
		Subjects: []string{subject(name)},
		Storage:  jetstream.FileStorage,
		Replicas: 1,
	})
	if err != nil {
		return "", fmt.Errorf("create stream %s: %w", name, err)
	}
	s.streams = append(s.streams, name)
	return name, nil
}

// subject is the one subject of stream.
func subject(stream string) string { return "bench." + stream }

func (s *jsSide) Publish(ctx context.Context, dest string, body []byte) error {
	_, err := s.js.Publish(ctx, subject(dest), body)
	return err
}

func (s *jsSide) PublishAsync(dest string, body []byte, done func(error)) error {
	m := nats.NewMsg(subject(dest))
	m.Data = body
	s.pending.Store(m, done)
	if _, err := s.js.PublishMsgAsync(m); err != nil {
		s.pending.Delete(m)
		return err
	}
	return nil
}

// drainNextWait bounds one wait for the next message, so that a drain
// notices its context ending.
const drainNextWait = time.Second

func (s *jsSide) Drain(ctx context.Context, dest string, want int, got func([]byte)) error {
	cons, err := s.js.CreateOrUpdateConsumer(ctx, dest, jetstream.ConsumerConfig{
		Durable:       "drain",
		AckPolicy:     jetstream.AckNonePolicy, // like our consumer's offsets: no per-message ack
		DeliverPolicy: jetstream.DeliverAllPolicy,
	})
	if err != nil {
		return fmt.Errorf("create consumer on %s: %w", dest, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(s.pullMax))
	if err != nil {
		return fmt.Errorf("messages on %s: %w", dest, err)
	}
	defer it.Stop()
	for n := 0; n < want; n++ {
		m, err := it.Next(jetstream.NextMaxWait(drainNextWait))
		for errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) {
			if ctx.Err() != nil {
				return fmt.Errorf("drain %s after %d of %d messages: %w", dest, n, want, ctx.Err())
			}
			m, err = it.Next(jetstream.NextMaxWait(drainNextWait))
		}
		if err != nil {
			return fmt.Errorf("drain %s after %d of %d messages: %w", dest, n, want, err)
		}
		got(m.Data())
	}
	return nil
}

func (s *jsSide) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, name := range s.streams {
		_ = s.js.DeleteStream(ctx, name)
	}
	s.nc.Close()
}
