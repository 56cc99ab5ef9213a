package server

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"

	"rocketsim/broker/transaction"
	"rocketsim/remoting"
	"rocketsim/runtime"
)

// startTransactions starts the transaction service (half messages,
// END_TRANSACTION, check-back), its progress kept in the consumer offset
// table as RocketMQ keeps it.
func (b *Broker) startTransactions() error {
	var err error
	opts := transaction.Options{
		Clock: b.rt, Log: b.log, StoreHost: b.storeHost,
		TimeOut: b.cfg.TransactionTimeOut, CheckInterval: b.cfg.TransactionCheckInterval, CheckMax: b.cfg.TransactionCheckMax,
	}
	if !b.cfg.BrokerRole.IsMaster() {
		// A slave checks no transaction (Java starts no check service
		// on a slave): its half messages are the master's to resolve,
		// and the re-put a check begins with would be refused.
		opts.ProducerOnline = func(string) bool { return false }
	}
	b.txn, err = transaction.Start(b.store, b.put, b.offsets, b.checkTransaction, opts)
	if err != nil {
		return fmt.Errorf("broker: transactions: %w", err)
	}
	return nil
}

// checkTransaction sends CHECK_TRANSACTION_STATE (39) oneway to a live
// producer of group, picked at random as Java's getAvailableChannel does,
// so one slow producer does not take every check.
func (b *Broker) checkTransaction(group string, req transaction.CheckRequest, body []byte) error {
	var live []runtime.Conn
	for _, ch := range b.clients.Producers(group) {
		if c, ok := b.conns[ch.ConnID]; ok {
			live = append(live, c)
		}
	}
	if len(live) == 0 {
		return fmt.Errorf("no producer of group %s is connected", group)
	}
	c := live[b.rt.Rand().IntN(len(live))]
	cmd := remoting.NewRequest(remoting.ReqCheckTransactionState, map[string]string{
		"commitLogOffset":      strconv.FormatInt(req.CommitLogOffset, 10),
		"tranStateTableOffset": strconv.FormatInt(req.TranStateTableOffset, 10),
		"offsetMsgId":          req.OffsetMsgID,
		"msgId":                req.MsgID,
		"transactionId":        req.TransactionID,
	})
	cmd.Body = body
	if err := b.ep.InvokeOneway(c, cmd); err != nil {
		return fmt.Errorf("check transaction with %s: %w", c.RemoteAddr(), err)
	}
	return nil
}

// handleEndTransaction serves END_TRANSACTION (37); clients send it oneway,
// so the answer is mostly for our own client and tests.
func (b *Broker) handleEndTransaction(req *remoting.Request) {
	if !b.cfg.BrokerRole.IsMaster() {
		b.replyCode(req, remoting.RespSlaveNotAvailable, "the broker is a slave: transactions end on the master")
		return
	}
	end, err := transaction.ParseEnd(req.Cmd.ExtFields)
	if err != nil {
		b.replyCode(req, remoting.RespSystemError, err.Error())
		return
	}
	b.bugRolledBack(&end) // test-only switch, off in production
	b.txn.End(end, func(err error) {
		if err == nil {
			b.replyCode(req, remoting.RespSuccess, "")
			return
		}
		if !errors.Is(err, transaction.ErrHalfNotFound) && !errors.Is(err, transaction.ErrMismatch) {
			b.log.Warn("end transaction failed", slog.String("group", end.ProducerGroup), slog.Any("err", err))
		}
		b.replyCode(req, remoting.RespSystemError, err.Error())
	})
}
