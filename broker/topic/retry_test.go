package topic

import (
	"testing"
	"time"
)

func TestEnsureRetryAndDLQTopics(t *testing.T) {
	_, fs := newFS()
	tab := open(t, fs, &fakeClock{time.UnixMilli(1)}, testOptions())
	r, created, err := tab.EnsureRetryTopic("g1", 2)
	if err != nil || !created || r.TopicName != "%RETRY%g1" || r.ReadQueueNums != 2 || r.WriteQueueNums != 2 || r.Perm != PermReadWrite {
		t.Fatalf("retry %+v %v %v", r, created, err)
	}
	if _, created, _ := tab.EnsureRetryTopic("g1", 5); created {
		t.Fatal("created twice")
	}
	d, created, err := tab.EnsureDLQTopic("g1")
	if err != nil || !created || d.TopicName != "%DLQ%g1" || d.WriteQueueNums != 1 || Readable(d.Perm) || !Writable(d.Perm) {
		t.Fatalf("dlq %+v %v %v", d, created, err)
	}
	if _, _, err := tab.EnsureRetryTopic("bad group", 1); err == nil {
		t.Fatal("bad group name accepted")
	}
}
