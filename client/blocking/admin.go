package blocking

import (
	"context"
	"fmt"
	"sync"

	"rocketsim/client/admin"
	"rocketsim/runtime"
	"rocketsim/runtime/realrt"
)

// Admin is a blocking admin client.
type Admin struct {
	nss  []string
	mu   sync.Mutex
	rt   *realrt.Runtime
	core *admin.Admin
}

type adminNode struct{ a *admin.Admin }

func (n adminNode) Stop() { n.a.Close() }

// NewAdmin starts an admin client for the name servers at nameServers.
func NewAdmin(nameServers []string) (*Admin, error) {
	a := &Admin{nss: nameServers}
	rt := realrt.New("admin", realrt.Options{})
	if err := rt.Start(func(r runtime.Runtime) (runtime.Node, error) {
		a.core = admin.New(r, nameServers)
		return adminNode{a.core}, nil
	}); err != nil {
		return nil, fmt.Errorf("start admin: %w", err)
	}
	a.rt = rt
	return a, nil
}

// Close stops the admin client.
func (a *Admin) Close() {
	a.mu.Lock()
	rt := a.rt
	a.rt = nil
	a.mu.Unlock()
	if rt != nil {
		rt.Stop()
	}
}

func (a *Admin) do(ctx context.Context, start func(done func(error))) error {
	a.mu.Lock()
	rt := a.rt
	a.mu.Unlock()
	if rt == nil {
		return ErrNotStarted
	}
	ch := make(chan error, 1)
	rt.Post(func() { start(func(err error) { ch <- err }) })
	select {
	case err := <-ch:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CreateTopic creates or updates a topic on the broker at brokerAddr.
func (a *Admin) CreateTopic(ctx context.Context, brokerAddr string, c admin.TopicConfig) error {
	return a.do(ctx, func(done func(error)) { a.core.CreateTopic(brokerAddr, c, done) })
}

// DeleteTopic deletes a topic from the broker and the name servers.
func (a *Admin) DeleteTopic(ctx context.Context, brokerAddr, topic string) error {
	return a.do(ctx, func(done func(error)) { a.core.DeleteTopic(brokerAddr, topic, done) })
}

// Topics lists the name servers' topics.
func (a *Admin) Topics(ctx context.Context) ([]string, error) {
	type result struct {
		topics []string
		err    error
	}
	ch := make(chan result, 1)
	err := a.do(ctx, func(done func(error)) {
		a.core.Topics(func(l []string, err error) { ch <- result{l, err}; done(err) })
	})
	if err != nil {
		return nil, err
	}
	r := <-ch
	return r.topics, r.err
}
