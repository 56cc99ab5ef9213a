package blocking

import (
	"context"
	"fmt"
	"log/slog"

	"rocketsim/client"
	"rocketsim/client/producer"
)

// TransactionListener runs a transactional producer's local transactions on
// the application's goroutines. A panic counts as TransactionUnknown (the
// broker will ask again).
type TransactionListener interface {
	Execute(ctx context.Context, msg *client.Message) producer.TransactionState
	Check(ctx context.Context, msg *client.MessageExt) producer.TransactionState
}

// NewTransactionProducer returns a producer whose SendInTransaction runs l.
func NewTransactionProducer(opts producer.Options, l TransactionListener, log *slog.Logger) *Producer {
	p := NewProducer(opts, log)
	p.opts.Transactions = &txBridge{l: l, log: p.log, post: p.post}
	return p
}

// post runs fn on the producer's loop (nil runtime: dropped).
func (p *Producer) post(fn func()) {
	if rt, err := p.runtime(); err == nil {
		rt.Post(fn)
	}
}

// txBridge adapts a blocking listener to the core's callback form.
type txBridge struct {
	l    TransactionListener
	log  *slog.Logger
	post func(func())
}

func (b *txBridge) run(f func() producer.TransactionState, done func(producer.TransactionState)) {
	go func() {
		state := producer.TransactionUnknown
		func() {
			defer func() {
				if r := recover(); r != nil {
					b.log.Error("transaction listener panicked", slog.Any("panic", r))
				}
			}()
			state = f()
		}()
		b.post(func() { done(state) })
	}()
}

func (b *txBridge) Execute(msg *client.Message, _ *producer.SendResult, done func(producer.TransactionState)) {
	b.run(func() producer.TransactionState { return b.l.Execute(context.Background(), msg) }, done)
}

func (b *txBridge) Check(msg *client.MessageExt, done func(producer.TransactionState)) {
	b.run(func() producer.TransactionState { return b.l.Check(context.Background(), msg) }, done)
}

// SendInTransaction sends msg as a half message, runs the listener's
// Execute, and commits or rolls back as it says.
func (p *Producer) SendInTransaction(ctx context.Context, msg *client.Message) (*producer.TransactionResult, error) {
	rt, err := p.runtime()
	if err != nil {
		return nil, err
	}
	type result struct {
		r   *producer.TransactionResult
		err error
	}
	ch := make(chan result, 1)
	rt.Post(func() {
		p.core.SendInTransaction(msg, func(r *producer.TransactionResult, err error) { ch <- result{r, err} })
	})
	select {
	case r := <-ch:
		return r.r, r.err
	case <-ctx.Done():
		return nil, fmt.Errorf("send in transaction: %w", ctx.Err())
	}
}
