package official

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/rocketmq-client-go/v2/primitive"

	"rocketsim/jepsen/check"
	"rocketsim/jepsen/history"
)

func TestSendOutcomes(t *testing.T) {
	mq := &primitive.MessageQueue{Topic: "T", BrokerName: "broker-a", QueueId: 3}
	cases := []struct {
		res  *primitive.SendResult
		err  error
		want history.Type
	}{
		{&primitive.SendResult{Status: primitive.SendOK, MessageQueue: mq, QueueOffset: 7, MsgID: "U1"}, nil, history.OK},
		{&primitive.SendResult{Status: primitive.SendFlushDiskTimeout, MessageQueue: mq, QueueOffset: 7}, nil, history.Info},
		{&primitive.SendResult{Status: primitive.SendSlaveNotAvailable, MessageQueue: mq}, nil, history.Info},
		{nil, errors.New("CODE: 14, DESC: broker busy"), history.Info},
		{nil, nil, history.Info},
	}
	for _, c := range cases {
		typ, update := SendCompletion(c.res, c.err)
		if typ != c.want {
			t.Errorf("%+v %v: %s, want %s", c.res, c.err, typ, c.want)
		}
		var op history.Op
		update(&op)
		if typ == history.OK && (op.OffsetValue() != 7 || op.Queue.ID != 3 || op.MsgID != "U1" || op.Status != "SEND_OK") {
			t.Errorf("ok completion lacks results: %+v", op)
		}
		if typ == history.Info && ((op.Error == "" && op.Status == "") || op.HasOffset()) {
			t.Errorf("info completion: %+v", op)
		}
	}
}

// A small session recorded through the helpers reads as a valid history
// and passes the checkers.
func TestRecordedSession(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	at := func(ms int) time.Time { return now.Add(time.Duration(ms) * time.Millisecond) }
	rec := history.NewRecorder()

	msg := primitive.NewMessage("T", []byte("hello"))
	msg.WithKeys([]string{"k1", "other"})
	msg.WithTag("TagA")
	inv := rec.Invoke(SendInvoke("p1", msg, nil, "", at(0)))
	typ, update := SendCompletion(&primitive.SendResult{Status: primitive.SendOK, MsgID: "U1",
		MessageQueue: &primitive.MessageQueue{Topic: "T", BrokerName: "b", QueueId: 0}, QueueOffset: 0}, nil)
	rec.Complete(inv, typ, at(2).UnixNano(), update)

	ext := &primitive.MessageExt{Message: *primitive.NewMessage("T", []byte("hello")), MsgId: "U1", QueueOffset: 0}
	ext.WithKeys([]string{"k1", "other"})
	ext.WithTag("TagA")
	ext.Queue = &primitive.MessageQueue{Topic: "T", BrokerName: "b", QueueId: 0}
	rec.Add(Receive("c1", "G", ext, "", at(5)))
	rec.Add(Ack("c1", "G", ext, true, at(6)))

	ops := rec.Ops()
	if ops[0].Key != "k1" || ops[0].Tags != "TagA" || ops[0].BodyDigest != history.Digest([]byte("hello")) {
		t.Fatalf("invoke %+v", ops[0])
	}
	rep := check.Run(ops, check.Config{})
	if rep.Verdict != check.Pass {
		t.Fatalf("%s\n%s", rep.Verdict, rep.Summary())
	}
	if d, ok := Decision("p1", "tx", primitive.UnkonwnState, at(7)); ok || d.F != "" {
		t.Fatal("UNKNOW is not a decision")
	}
	if d, ok := Decision("p1", "tx", primitive.CommitMessageState, at(7)); !ok || d.F != history.FCommit {
		t.Fatalf("commit decision %+v", d)
	}
	if c := Check("p1", "tx", primitive.UnkonwnState, at(8)); c.TxnState != history.TxnUnknown || c.F != history.FCheck {
		t.Fatalf("check %+v", c)
	}
	m := primitive.NewMessage("T", nil)
	m.WithDelayTimeLevel(3)
	if op := SendInvoke("p", m, nil, "", at(0)); op.DelayLevel != 3 {
		t.Fatalf("delay level %d", op.DelayLevel)
	}
}
