package record

import (
	"rocketsim/client"
	"rocketsim/client/producer"
	"rocketsim/jepsen/history"
)

// SendInTransaction sends msg as a transactional half message with p and
// records the send with the transaction id (the message's UNIQ_KEY, given
// before sending). The decisions are recorded by the listener Transactions
// wraps.
func (r *Recorder) SendInTransaction(p *producer.Producer, msg *client.Message, done func(*producer.TransactionResult, error)) error {
	s, ok := r.slot()
	if !ok {
		return ErrTooManyInFlight
	}
	if msg.UniqKey() == "" {
		msg.SetProperty(client.PropertyUniqKey, p.NewMsgID())
	}
	op := sendOp(msg, r.name+"/"+itoaSlot(s))
	op.TxnID = msg.UniqKey()
	r.stamp(&op)
	inv := r.h.Invoke(op)
	p.SendInTransaction(msg, func(res *producer.TransactionResult, err error) {
		var sr *producer.SendResult
		if res != nil {
			sr = &res.SendResult
		}
		r.complete(inv, sr, err)
		r.free = append(r.free, s)
		if done != nil {
			done(res, err)
		}
	})
	return nil
}

// Transactions wraps l so that its decisions are recorded: commit and
// rollback point events when Execute decides, a check event with the
// answer for every check-back.
func (r *Recorder) Transactions(l producer.TransactionListener) producer.TransactionListener {
	return &txRecorder{r: r, l: l}
}

type txRecorder struct {
	r *Recorder
	l producer.TransactionListener
}

func (t *txRecorder) Execute(msg *client.Message, res *producer.SendResult, done func(producer.TransactionState)) {
	t.l.Execute(msg, res, func(state producer.TransactionState) {
		f := ""
		switch state {
		case producer.TransactionCommit:
			f = history.FCommit
		case producer.TransactionRollback:
			f = history.FRollback
		}
		if f != "" {
			op := history.Op{Process: t.r.name + "/txn", Type: history.OK, F: f, Topic: msg.Topic,
				TxnID: msg.UniqKey(), Key: Key(msg)}
			t.r.stamp(&op)
			t.r.h.Add(op)
		}
		done(state)
	})
}

func (t *txRecorder) Check(msg *client.MessageExt, done func(producer.TransactionState)) {
	t.l.Check(msg, func(state producer.TransactionState) {
		st := history.TxnUnknown
		switch state {
		case producer.TransactionCommit:
			st = history.TxnCommit
		case producer.TransactionRollback:
			st = history.TxnRollback
		}
		op := history.Op{Process: t.r.name + "/txn", Type: history.OK, F: history.FCheck, Topic: msg.Topic,
			TxnID: msg.UniqKey(), TxnState: st, Key: Key(&msg.Message)}
		t.r.stamp(&op)
		t.r.h.Add(op)
		done(state)
	})
}
