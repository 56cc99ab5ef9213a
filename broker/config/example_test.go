package config

import (
	"strings"
	"testing"
	"time"
)

func TestExampleBrokerConf(t *testing.T) {
	c, warns, err := Load("testdata/broker-a.conf", Host{Name: "ignored", IP: "10.9.9.9"})
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerName != "broker-a" || c.BrokerIP1 != "127.0.0.1" || c.FlushDiskType != SyncFlush ||
		c.DefaultTopicQueueNums != 4 || !c.EnablePropertyFilter || c.CommitLogDir() != "/tmp/rocketsim/broker-a/store/commitlog" ||
		c.MessageDelayLevel[17] != 2*time.Hour || c.FileReservedTime != 48 {
		t.Fatalf("%+v", c)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "sendMessageThreadPoolNums, useReentrantLockWhenPutMessage") {
		t.Fatalf("warnings %q", warns)
	}
	if _, _, err := Load("testdata/missing.conf", Host{}); err == nil {
		t.Fatal("missing file loaded")
	}
}
