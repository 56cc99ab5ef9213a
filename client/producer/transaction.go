package producer

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/broker/store/message"
	"rocketsim/client"
	"rocketsim/remoting"
)

// TransactionState is a local transaction's outcome.
type TransactionState int

const (
	// TransactionUnknown leaves the half message to the broker's check-back.
	TransactionUnknown TransactionState = iota
	TransactionCommit
	TransactionRollback
)

// commitOrRollback is END_TRANSACTION's value for s (Java MessageSysFlag
// transaction types).
func (s TransactionState) commitOrRollback() string {
	switch s {
	case TransactionCommit:
		return "8"
	case TransactionRollback:
		return "12"
	}
	return "0"
}

func (s TransactionState) String() string {
	return [...]string{"UNKNOW", "COMMIT_MESSAGE", "ROLLBACK_MESSAGE"}[s]
}

// TransactionListener runs a producer's local transactions. Both methods run
// on the loop and must call done exactly once, now or later.
type TransactionListener interface {
	// Execute runs the local transaction of a half message just stored.
	Execute(msg *client.Message, res *SendResult, done func(TransactionState))
	// Check answers the broker's question about a half message whose
	// outcome it never learned.
	Check(msg *client.MessageExt, done func(TransactionState))
}

// ErrNoTransactionListener: SendInTransaction without Options.Transactions.
var ErrNoTransactionListener = errors.New("producer has no transaction listener")

// TransactionResult is a transactional send's outcome.
type TransactionResult struct {
	SendResult
	State TransactionState
}

// SendInTransaction sends msg as a half message, runs the local transaction
// and tells the broker to commit or roll it back (END_TRANSACTION, oneway).
// A half message that was not stored OK is rolled back.
func (p *Producer) SendInTransaction(msg *client.Message, done func(*TransactionResult, error)) {
	l := p.opts.Transactions
	if l == nil {
		done(nil, ErrNoTransactionListener)
		return
	}
	if msg != nil && msg.Property(client.PropertyDelayLevel) != "" {
		done(nil, fmt.Errorf("%w: a transactional message cannot have a delay level", ErrBadMessage))
		return
	}
	if msg != nil {
		msg.SetProperty(client.PropertyTransactionPrep, "true").SetProperty(client.PropertyProducerGroup, p.opts.Group)
	}
	p.send(msg, nil, p.opts.Selector, false, func(res *SendResult, err error) {
		if err != nil {
			done(nil, err)
			return
		}
		finish := func(state TransactionState) {
			if err := p.endTransaction(res, state); err != nil {
				p.log.Warn("end transaction not sent", slog.String("msgId", res.MsgID), slog.Any("err", err))
			}
			done(&TransactionResult{SendResult: *res, State: state}, nil)
		}
		if res.Status != SendOK {
			finish(TransactionRollback)
			return
		}
		l.Execute(msg, res, finish)
	})
}

// endTransaction sends END_TRANSACTION for a half message this producer
// stored.
func (p *Producer) endTransaction(res *SendResult, state TransactionState) error {
	id := res.OffsetMsgID
	if id == "" {
		id = res.MsgID
	}
	_, commitLogOffset, err := message.ParseID(id)
	if err != nil {
		return fmt.Errorf("end transaction: message id %q: %w", id, err)
	}
	addr := p.routes.MasterAddr(res.Queue.BrokerName)
	if addr == "" {
		return fmt.Errorf("end transaction: no master for %s", res.Queue.BrokerName)
	}
	req := remoting.NewRequest(remoting.ReqEndTransaction, map[string]string{
		"producerGroup":        p.opts.Group,
		"tranStateTableOffset": strconv.FormatInt(res.QueueOffset, 10),
		"commitLogOffset":      strconv.FormatInt(commitLogOffset, 10),
		"commitOrRollback":     state.commitOrRollback(),
		"fromTransactionCheck": "false",
		"msgId":                res.MsgID,
		"transactionId":        res.TransactionID,
		"bname":                res.Queue.BrokerName,
	})
	return p.ep.InvokeOneway(p.ep.ConnTo(addr), req)
}

// handleCheck serves CHECK_TRANSACTION_STATE: ask the listener and answer
// with END_TRANSACTION on the same connection.
func (p *Producer) handleCheck(r *remoting.Request) {
	cmd := r.Cmd
	msgs, err := client.DecodeMessages(cmd.Body, "")
	if err != nil || len(msgs) == 0 {
		p.log.Warn("transaction check with a bad body", slog.Any("err", err))
		return
	}
	m := msgs[0]
	if g := m.Property(client.PropertyProducerGroup); g == "" || g != p.opts.Group {
		p.log.Warn("transaction check for another group", slog.String("group", g))
		return
	}
	conn := r.Conn
	p.opts.Transactions.Check(m, func(state TransactionState) {
		txID := m.Property("__transactionId__")
		if txID == "" {
			txID = cmd.Ext("transactionId")
		}
		if txID == "" {
			txID = m.UniqKey()
		}
		req := remoting.NewRequest(remoting.ReqEndTransaction, map[string]string{
			"producerGroup":        p.opts.Group,
			"tranStateTableOffset": cmd.Ext("tranStateTableOffset"),
			"commitLogOffset":      cmd.Ext("commitLogOffset"),
			"commitOrRollback":     state.commitOrRollback(),
			"fromTransactionCheck": "true",
			"msgId":                m.UniqKey(),
			"transactionId":        txID,
		})
		if err := p.ep.InvokeOneway(conn, req); err != nil {
			p.log.Info("transaction check answer not sent", slog.Any("err", err))
		}
	})
}
