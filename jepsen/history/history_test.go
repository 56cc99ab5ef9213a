package history

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"strings"
	"testing"
)

func sample() []Op {
	r := NewRecorder()
	q := &Queue{Broker: "broker-a", ID: 2}
	s := r.Invoke(Op{Process: "p1", F: FSend, Time: 100, SimTime: 90, Topic: "T", Queue: q, Key: "k1", BodyDigest: "d1", Tags: "TagA", DelayLevel: 3})
	r.Complete(s, OK, 150, func(o *Op) { o.Offset = Int64(0); o.MsgID = "m1"; o.SimTime = 140 })
	r.Add(Op{Process: "c1", Type: OK, F: FReceive, Time: 200, Topic: "T", Queue: q, Offset: Int64(0), Key: "k1", Group: "G", Reconsume: 1})
	t := r.Invoke(Op{Process: "p2", F: FSend, Time: 300, TxnID: "tx1", ShardingKey: "order-7"})
	r.Complete(t, Info, 400, func(o *Op) { o.Error = "timeout" })
	return r.Ops()
}

func TestRoundTrip(t *testing.T) {
	ops := sample()
	var buf bytes.Buffer
	if err := Write(&buf, ops); err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(buf.Bytes()), "mem")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got, ops)
	}
	// Offset 0 must survive (it is a real offset); absent offsets stay absent.
	if !got[1].HasOffset() || got[1].OffsetValue() != 0 {
		t.Fatalf("offset 0 lost: %+v", got[1])
	}
	if got[0].HasOffset() {
		t.Fatalf("invoke gained an offset: %+v", got[0])
	}
	if !strings.Contains(buf.String(), `"offset":0`) {
		t.Fatalf("offset 0 not written:\n%s", buf.String())
	}
	// The completion repeats the invoke's values.
	if got[1].Key != "k1" || got[1].Index != 1 || got[4].Error != "timeout" || got[4].TxnID != "tx1" {
		t.Fatalf("completion values: %+v %+v", got[1], got[4])
	}
}

func TestRecorderWriteToCounts(t *testing.T) {
	r := NewRecorder()
	r.Add(Op{Process: "p", Type: OK, F: FReceive, Time: 1})
	var buf bytes.Buffer
	n, err := r.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) || n == 0 {
		t.Fatalf("WriteTo = %d, %v; buffer %d", n, err, buf.Len())
	}
}

func TestMalformedLineNamesLine(t *testing.T) {
	cases := map[string]string{
		"bad json":      "{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}\n\n{\"index\":1,\"process\":",
		"unknown field": "{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}\n\n{\"index\":1,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1,\"ofset\":3}\n",
		"bad type":      "{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}\n\n{\"index\":1,\"process\":\"p\",\"type\":\"done\",\"f\":\"send\",\"time\":1}\n",
		"index order":   "{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}\n\n{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}\n",
	}
	for name, text := range cases {
		_, err := Read(strings.NewReader(text), "h.jsonl")
		if err == nil || !strings.Contains(err.Error(), "h.jsonl:3:") {
			t.Errorf("%s: error %v does not name line 3", name, err)
		}
	}
}

func TestTooLongLine(t *testing.T) {
	text := "{\"index\":0,\"process\":\"" + strings.Repeat("x", MaxLineBytes) + "\"}\n"
	_, err := Read(strings.NewReader(text), "h")
	if err == nil || !strings.Contains(err.Error(), "h:1:") {
		t.Fatalf("want line-1 error, got %v", err)
	}
}

func TestReaderEOF(t *testing.T) {
	rd := NewReader(strings.NewReader(""), "empty")
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		t.Fatalf("want EOF, got %v", err)
	}
}

func TestPair(t *testing.T) {
	ops := []Op{
		{Index: 0, Process: "p", Type: Invoke, F: FSend, Time: 10},
		{Index: 1, Process: "c", Type: OK, F: FReceive, Time: 11},
		{Index: 2, Process: "p", Type: Invoke, F: FPull, Time: 12},
		{Index: 3, Process: "p", Type: OK, F: FSend, Time: 13},
		{Index: 4, Process: "q", Type: Invoke, F: FSend, Time: 14},
		{Index: 5, Process: "q", Type: Info, F: FSend, Time: 15},
	}
	got, err := Pair(ops)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("want 4 operations, got %d", len(got))
	}
	if got[0].Invoke.Index != 0 || got[0].Completion.Index != 3 || got[0].Start() != 10 || got[0].End() != 13 || got[0].Type() != OK {
		t.Errorf("send: %+v", got[0])
	}
	if got[1].Invoke != nil || got[1].Start() != 11 || got[1].End() != 11 {
		t.Errorf("point receive: %+v", got[1])
	}
	if got[2].Completion != nil || got[2].Type() != Info || got[2].End() != Never {
		t.Errorf("open pull: %+v", got[2])
	}
	if got[3].End() != Never || got[3].Type() != Info {
		t.Errorf("info send must end at Never: %+v", got[3])
	}
	ops = append(ops, Op{Index: 6, Process: "p", Type: Invoke, F: FPull, Time: 16})
	if _, err := Pair(ops); err == nil {
		t.Fatal("a second outstanding pull of one process must be an error")
	}
}

func TestRecorderPanicsOnBadEvent(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Fatal("want panic for an event without a process")
		}
	}()
	NewRecorder().Add(Op{Type: OK, F: FSend})
}

func TestUseSimTime(t *testing.T) {
	ops := sample()
	sim := UseSimTime(ops)
	if sim[0].Time != 90 || ops[0].Time != 100 || sim[2].Time != 200 {
		t.Fatalf("UseSimTime: %+v", sim[:3])
	}
	if End(ops) != 400 {
		t.Fatalf("End = %d", End(ops))
	}
}

func TestMerge(t *testing.T) {
	a := []Op{
		{Index: 0, Process: "a", Type: Invoke, F: FSend, Time: 10},
		{Index: 1, Process: "a", Type: OK, F: FSend, Time: 30},
	}
	b := []Op{
		{Index: 0, Process: "b", Type: Invoke, F: FSend, Time: 10},
		{Index: 1, Process: "b", Type: OK, F: FSend, Time: 20},
	}
	m := Merge(a, b)
	var got []string
	for i, op := range m {
		if op.Index != int64(i) {
			t.Fatalf("index %d at %d", op.Index, i)
		}
		got = append(got, fmt.Sprintf("%s%d", op.Process, op.Time))
	}
	if strings.Join(got, ",") != "a10,b10,b20,a30" {
		t.Fatalf("merge order %v", got)
	}
	if a[1].Index != 1 {
		t.Fatal("Merge modified its input")
	}
	if _, err := Pair(m); err != nil {
		t.Fatal(err)
	}
}

func TestCommentsSkipped(t *testing.T) {
	text := "# a hand-made history\n{\"index\":0,\"process\":\"p\",\"type\":\"ok\",\"f\":\"send\",\"time\":1}\n  # trailing note\n"
	ops, err := Read(strings.NewReader(text), "h")
	if err != nil || len(ops) != 1 {
		t.Fatalf("%v %v", ops, err)
	}
}

func TestCompleteDoesNotAlias(t *testing.T) {
	r := NewRecorder()
	i := r.Invoke(Op{Process: "p", F: FPull, Queue: &Queue{Broker: "b"}, Offset: Int64(5), Time: 1})
	r.Complete(i, OK, 2, func(o *Op) { *o.Offset = 9; o.Queue.ID = 3 })
	if *r.Ops()[0].Offset != 5 || r.Ops()[0].Queue.ID != 0 || *r.Ops()[1].Offset != 9 {
		t.Fatalf("completion changed its invoke: %+v %+v", r.Ops()[0], r.Ops()[1])
	}
}

func TestMergeBySimTime(t *testing.T) {
	// Client b's clock runs 100 ahead; true time says a's event came last.
	a := []Op{{Index: 0, Process: "a", Type: OK, F: FReceive, Time: 10, SimTime: 30}}
	b := []Op{{Index: 0, Process: "b", Type: OK, F: FReceive, Time: 120, SimTime: 20}}
	m := MergeBy(func(o *Op) int64 { return o.SimTime }, a, b)
	if m[0].Process != "b" || m[1].Process != "a" || m[1].Index != 1 || m[1].Time != 10 {
		t.Fatalf("%+v", m)
	}
}

func TestSyncedConcurrent(t *testing.T) {
	var s Synced
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func(g int) {
			for i := 0; i < 100; i++ {
				inv := s.Invoke(Op{Process: fmt.Sprintf("p%d", g), F: FSend, Time: int64(i)})
				s.Complete(inv, OK, int64(i), nil)
			}
			done <- true
		}(g)
	}
	for g := 0; g < 4; g++ {
		<-done
	}
	ops := s.Snapshot()
	if len(ops) != 800 {
		t.Fatalf("%d events", len(ops))
	}
	for i, op := range ops {
		if op.Index != int64(i) {
			t.Fatalf("index %d at %d", op.Index, i)
		}
	}
	if _, err := Pair(ops); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if _, err := s.WriteTo(&buf); err != nil || strings.Count(buf.String(), "\n") != 800 {
		t.Fatalf("WriteTo: %v", err)
	}
}

func TestWriteFileRoundTripsAndNamesPath(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/history.jsonl"
	ops := sample()
	if err := WriteFile(path, ops); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Read(bytes.NewReader(b), path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, ops) {
		t.Fatalf("file round trip differs:\n got %+v\nwant %+v", got, ops)
	}
	missing := dir + "/no-such-folder/history.jsonl"
	if err := WriteFile(missing, ops); err == nil || !strings.Contains(err.Error(), missing) {
		t.Fatalf("write into a missing folder: %v; want an error naming %s", err, missing)
	}
}
