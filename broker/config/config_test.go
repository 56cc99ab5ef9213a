package config

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"rocketsim/properties"
)

var testHost = Host{Name: "host-1", IP: "10.0.0.7"}

func load(t *testing.T, conf string) (*Config, []string, error) {
	t.Helper()
	p, err := properties.Parse(strings.NewReader(conf), "broker.conf")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return LoadProps(p, testHost)
}

func TestDefaultsMatchRocketMQ(t *testing.T) {
	c, warns, err := load(t, "")
	if err != nil || len(warns) != 0 {
		t.Fatalf("empty config: %v %v", err, warns)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"cluster", c.BrokerClusterName, "DefaultCluster"},
		{"brokerName from host", c.BrokerName, "host-1"},
		{"brokerIP1 from host", c.BrokerIP1, "10.0.0.7"},
		{"brokerIP2 follows IP1", c.BrokerIP2, "10.0.0.7"},
		{"listenPort", c.ListenPort, 10911},
		{"ha port", c.HAPort(), 10912},
		{"role", c.BrokerRole, AsyncMaster},
		{"flush", c.FlushDiskType, AsyncFlush},
		{"autoCreateTopicEnable", c.AutoCreateTopicEnable, true},
		{"autoCreateSubscriptionGroup", c.AutoCreateSubscriptionGroup, true},
		{"defaultTopicQueueNums", c.DefaultTopicQueueNums, 8},
		{"enablePropertyFilter", c.EnablePropertyFilter, false},
		{"mappedFileSizeCommitLog", c.MappedFileSizeCommitLog, int64(1073741824)},
		{"mappedFileSizeConsumeQueue", c.MappedFileSizeConsumeQueue, int64(6000000)},
		{"flushIntervalCommitLog", c.FlushIntervalCommitLog, 500 * time.Millisecond},
		{"flushCommitLogLeastPages", c.FlushCommitLogLeastPages, 4},
		{"syncFlushTimeout", c.SyncFlushTimeout, 5 * time.Second},
		{"maxMessageSize", c.MaxMessageSize, 4194304},
		{"fileReservedTime", c.FileReservedTime, 72},
		{"deleteWhen", c.DeleteWhen, "04"},
		{"diskMaxUsedSpaceRatio", c.DiskMaxUsedSpaceRatio, 75},
		{"waitTimeMillsInSendQueue", c.WaitTimeMillsInSendQueue, 200 * time.Millisecond},
		{"transactionTimeOut", c.TransactionTimeOut, 6 * time.Second},
		{"transactionCheckMax", c.TransactionCheckMax, 15},
		{"transactionCheckInterval", c.TransactionCheckInterval, time.Minute},
		{"registerNameServerPeriod", c.RegisterNameServerPeriod, 30 * time.Second},
		{"channelExpiredTimeout", c.ChannelExpiredTimeout, 2 * time.Minute},
		{"delay levels", c.MessageDelayLevel.String(), DefaultMessageDelayLevel},
		{"delay level 3", c.MessageDelayLevel[2], 10 * time.Second},
		{"commitlog dir", c.CommitLogDir(), "store/commitlog"},
		{"cq dir", c.ConsumeQueueDir(), "store/consumequeue"},
		{"index dir", c.IndexDir(), "store/index"},
		{"checkpoint", c.CheckpointPath(), "store/checkpoint"},
		{"abort", c.AbortPath(), "store/abort"},
		{"topics.json", c.TopicsPath(), "store/config/topics.json"},
		{"subscriptionGroup.json", c.SubscriptionGroupPath(), "store/config/subscriptionGroup.json"},
		{"client addr", c.ClientAddr(), "10.0.0.7:10911"},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestTypicalBrokerConf(t *testing.T) {
	conf := `# a 2m-2s-sync broker-a master, as shipped with RocketMQ
brokerClusterName=DefaultCluster
brokerName=broker-a
brokerId=0
namesrvAddr=192.168.1.1:9876;192.168.1.2:9876
deleteWhen=04
fileReservedTime=48
brokerRole=SYNC_MASTER
flushDiskType=SYNC_FLUSH
storePathRootDir=/data/rocketmq/store
storePathCommitLog=/data/rocketmq/store/commitlog
listenPort=10921
enablePropertyFilter=true
mapedFileSizeCommitLog=104857600
messageDelayLevel=1s 2s 1d
sendMessageThreadPoolNums=16
`
	c, warns, err := load(t, conf)
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerName != "broker-a" || c.BrokerRole != SyncMaster || c.FlushDiskType != SyncFlush ||
		!reflect.DeepEqual(c.NamesrvAddr, []string{"192.168.1.1:9876", "192.168.1.2:9876"}) ||
		c.FileReservedTime != 48 || !c.EnablePropertyFilter || c.ListenPort != 10921 || c.HAPort() != 10922 ||
		c.MappedFileSizeCommitLog != 100<<20 || c.CommitLogDir() != "/data/rocketmq/store/commitlog" ||
		c.ConsumeQueueDir() != "/data/rocketmq/store/consumequeue" {
		t.Fatalf("config %+v", c)
	}
	if got := c.MessageDelayLevel; !reflect.DeepEqual(got, DelayLevels{time.Second, 2 * time.Second, 24 * time.Hour}) {
		t.Fatalf("delay levels %v", got)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "sendMessageThreadPoolNums") {
		t.Fatalf("warnings %q", warns)
	}
}

func TestLoadErrorsNameLineAndKey(t *testing.T) {
	conf := "brokerRole=MASTER\nflushDiskType=sync_flush\nlistenPort=abc\nmessageDelayLevel=1s 5x 10s\nnamesrvAddr=a:9876;b\nlistenPrt=1\naclEnable=true\ndefaultTopicQueueNums=0\ndeleteWhen=25\n"
	_, warns, err := load(t, conf)
	if err == nil {
		t.Fatal("no error")
	}
	msg := err.Error()
	for _, frag := range []string{
		"broker.conf:1: key brokerRole",
		"ASYNC_MASTER, SYNC_MASTER, SLAVE",
		"broker.conf:3: key listenPort",
		`broker.conf:4: key messageDelayLevel: bad value "1s 5x 10s": level 2 "5x"`,
		`broker.conf:5: key namesrvAddr: "b"`,
		"broker.conf:7: key aclEnable",
		"broker.conf:8: key defaultTopicQueueNums",
		"broker.conf:9: key deleteWhen",
	} {
		if !strings.Contains(msg, frag) {
			t.Errorf("error lacks %q:\n%s", frag, msg)
		}
	}
	if strings.Contains(msg, "flushDiskType") {
		t.Errorf("lower-case enum refused: %s", msg)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "broker.conf:6: unknown key listenPrt") {
		t.Errorf("warnings %q", warns)
	}
}

func TestNormalizeLikeRocketMQ(t *testing.T) {
	c, warns, err := load(t, "brokerId=3\ndiskMaxUsedSpaceRatio=99\nregisterNameServerPeriod=1000")
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerID != 0 || c.DiskMaxUsedSpaceRatio != 95 || c.RegisterNameServerPeriod != 10*time.Second {
		t.Fatalf("not normalized: id %d ratio %d period %v", c.BrokerID, c.DiskMaxUsedSpaceRatio, c.RegisterNameServerPeriod)
	}
	if len(warns) != 3 || !strings.HasPrefix(warns[0], "broker.conf:1: key brokerId") {
		t.Fatalf("warnings %q", warns)
	}
}

func TestSlaveNeedsPositiveID(t *testing.T) {
	if _, _, err := load(t, "brokerRole=SLAVE"); err == nil || !strings.Contains(err.Error(), "brokerId") {
		t.Fatalf("got %v", err)
	}
	c, _, err := load(t, "brokerRole=SLAVE\nbrokerId=1\nhaMasterAddress=10.0.0.1:10912")
	if err != nil || c.BrokerRole.IsMaster() {
		t.Fatalf("slave: %v", err)
	}
}

func TestNamesrvFlagOverridesFile(t *testing.T) {
	p, _ := properties.Parse(strings.NewReader("namesrvAddr=a:1"), "broker.conf")
	OverrideNamesrv(p, "b:2;c:3")
	c, _, err := LoadProps(p, testHost)
	if err != nil || !reflect.DeepEqual(c.NamesrvAddr, []string{"b:2", "c:3"}) {
		t.Fatalf("%v %v", err, c)
	}
	OverrideNamesrv(p, "bad")
	_, _, err = LoadProps(p, testHost)
	if err == nil || !strings.Contains(err.Error(), "-n flag: key namesrvAddr") {
		t.Fatalf("got %v", err)
	}
}

func TestMissingHostName(t *testing.T) {
	p := properties.New("broker.conf")
	_, _, err := LoadProps(p, Host{})
	if err == nil || !strings.Contains(err.Error(), "brokerName") {
		t.Fatalf("got %v", err)
	}
}

func TestSegmentMustHoldLargestMessage(t *testing.T) {
	_, _, err := load(t, "mappedFileSizeCommitLog=1024\nmaxMessageSize=4096")
	if err == nil || !strings.Contains(err.Error(), "key mappedFileSizeCommitLog") {
		t.Fatalf("got %v", err)
	}
}

func TestDumpLoadsBack(t *testing.T) {
	c, _, err := load(t, "brokerName=b\nbrokerRole=SYNC_MASTER\nnamesrvAddr=x:1;y:2\nsyncFlushTimeout=1234\n")
	if err != nil {
		t.Fatal(err)
	}
	out := properties.Dump(c)
	if !strings.HasPrefix(out, "brokerClusterName=DefaultCluster\nbrokerName=b\n") || !strings.Contains(out, "\nsyncFlushTimeout=1234\n") {
		t.Fatalf("dump:\n%s", out)
	}
	back, warns, err := load(t, out)
	if err != nil || len(warns) != 0 {
		t.Fatalf("reload: %v %q", err, warns)
	}
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("round trip differs\n%+v\n%+v", back, c)
	}
}

func TestValidateBuiltInCode(t *testing.T) {
	c := Defaults()
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "brokerName") {
		t.Fatalf("got %v", err)
	}
	c.BrokerName = "b"
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.FlushDiskType = FlushDiskType(7)
	c.SyncFlushTimeout = 0
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "flushDiskType") || !strings.Contains(err.Error(), "syncFlushTimeout") {
		t.Fatalf("got %v", err)
	}
}

func TestDeleteHours(t *testing.T) {
	s := Store{DeleteWhen: "16;04"}
	h, err := s.DeleteHours()
	if err != nil || !reflect.DeepEqual(h, []int{4, 16}) {
		t.Fatalf("%v %v", h, err)
	}
	for _, bad := range []string{"", "24", "x", "-1"} {
		s.DeleteWhen = bad
		if _, err := s.DeleteHours(); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestConsumeQueueFileSizeRoundsUp(t *testing.T) {
	s := Store{MappedFileSizeConsumeQueue: 41}
	if s.ConsumeQueueFileSize() != 60 {
		t.Fatalf("got %d", s.ConsumeQueueFileSize())
	}
}

func TestEnumText(t *testing.T) {
	var r BrokerRole
	if err := r.UnmarshalText([]byte("slave")); err != nil || r != Slave {
		t.Fatalf("%v %v", r, err)
	}
	if _, err := BrokerRole(9).MarshalText(); err == nil {
		t.Fatal("bad role marshalled")
	}
	var f FlushDiskType
	if err := f.UnmarshalText([]byte("FLUSH")); err == nil {
		t.Fatal("bad flush type accepted")
	}
	if !errors.Is(nil, nil) || SyncFlush.String() != "SYNC_FLUSH" {
		t.Fatal("String")
	}
}

func TestLoadMap(t *testing.T) {
	c, warns, err := LoadMap(map[string]string{"brokerName": "b1", "flushDiskType": "SYNC_FLUSH", "listenPort": "0", "typo": "1"}, "scenario broker-a", testHost)
	if err != nil {
		t.Fatal(err)
	}
	if c.BrokerName != "b1" || c.FlushDiskType != SyncFlush || c.ListenPort != 0 || c.HAPort() != 0 {
		t.Fatalf("%+v", c)
	}
	if len(warns) != 1 || !strings.Contains(warns[0], "scenario broker-a: typo") {
		t.Fatalf("warnings %q", warns)
	}
	_, _, err = LoadMap(map[string]string{"brokerRole": "LEADER"}, "scenario", testHost)
	if err == nil || !strings.Contains(err.Error(), "scenario: brokerRole: key brokerRole") {
		t.Fatalf("got %v", err)
	}
}
