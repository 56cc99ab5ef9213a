package config

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// check lists every invalid setting.
func (c *Config) check() []keyMsg {
	var bad []keyMsg
	add := func(key, format string, args ...any) {
		bad = append(bad, keyMsg{key, fmt.Sprintf(format, args...)})
	}
	if c.BrokerClusterName == "" {
		add("brokerClusterName", "must not be empty")
	}
	if c.BrokerName == "" {
		add("brokerName", "must not be empty (and the host name is unknown)")
	}
	switch {
	case c.BrokerID < 0:
		add("brokerId", "%d: must be >= 0", c.BrokerID)
	case c.BrokerRole == Slave && c.BrokerID == 0:
		add("brokerId", "a SLAVE needs brokerId > 0")
	}
	for _, a := range c.NamesrvAddr {
		if err := checkHostPort(a); err != nil {
			add("namesrvAddr", "%q: %v (want host:port;host:port)", a, err)
		}
	}
	checkPort := func(key string, port int) {
		if port < 0 || port > 65535 {
			add(key, "%d: want a port 0..65535", port)
		}
	}
	checkPort("listenPort", c.ListenPort)
	checkPort("haListenPort", c.HaListenPort)
	if c.HaMasterAddress != "" {
		if err := checkHostPort(c.HaMasterAddress); err != nil {
			add("haMasterAddress", "%q: %v", c.HaMasterAddress, err)
		}
	}
	if c.BrokerPermission < 0 || c.BrokerPermission > 15 {
		add("brokerPermission", "%d: want PermName bits 0..15", c.BrokerPermission)
	}
	if c.DefaultTopicQueueNums < 1 || c.DefaultTopicQueueNums > MaxTopicQueueNums {
		add("defaultTopicQueueNums", "%d: want 1..%d", c.DefaultTopicQueueNums, MaxTopicQueueNums)
	}
	if c.AclEnable {
		add("aclEnable", "ACL is not supported by this broker")
	}
	if c.EnableDLegerCommitLog {
		add("enableDLegerCommitLog", "DLedger is not supported by this broker")
	}
	positive := []struct {
		key string
		d   time.Duration
	}{
		{"flushConsumerOffsetInterval", c.FlushConsumerOffsetInterval},
		{"shortPollingTimeMills", c.ShortPollingTimeMills},
		{"channelExpiredTimeout", c.ChannelExpiredTimeout},
		{"waitTimeMillsInSendQueue", c.WaitTimeMillsInSendQueue},
		{"waitTimeMillsInPullQueue", c.WaitTimeMillsInPullQueue},
		{"waitTimeMillsInHeartbeatQueue", c.WaitTimeMillsInHeartbeatQueue},
		{"waitTimeMillsInTransactionQueue", c.WaitTimeMillsInTransactionQueue},
		{"registerNameServerPeriod", c.RegisterNameServerPeriod},
		{"registerBrokerTimeoutMills", c.RegisterBrokerTimeoutMills},
		{"transactionTimeOut", c.TransactionTimeOut},
		{"transactionCheckInterval", c.TransactionCheckInterval},
		{"syncFlushTimeout", c.SyncFlushTimeout},
		{"flushIntervalCommitLog", c.FlushIntervalCommitLog},
		{"flushCommitLogThoroughInterval", c.FlushCommitLogThoroughInterval},
		{"flushIntervalConsumeQueue", c.FlushIntervalConsumeQueue},
		{"flushConsumeQueueThoroughInterval", c.FlushConsumeQueueThoroughInterval},
		{"flushDelayOffsetInterval", c.FlushDelayOffsetInterval},
		{"cleanResourceInterval", c.CleanResourceInterval},
		{"haSendHeartbeatInterval", c.HaSendHeartbeatInterval},
		{"haHousekeepingInterval", c.HaHousekeepingInterval},
		{"osPageCacheBusyTimeOutMills", c.OsPageCacheBusyTimeOutMills},
	}
	for _, p := range positive {
		if p.d <= 0 {
			add(p.key, "%v: must be positive", p.d)
		}
	}
	atLeast := []struct {
		key    string
		v, min int64
	}{
		{"sendThreadPoolQueueCapacity", int64(c.SendThreadPoolQueueCapacity), 1},
		{"pullThreadPoolQueueCapacity", int64(c.PullThreadPoolQueueCapacity), 1},
		{"transactionCheckMax", int64(c.TransactionCheckMax), 0},
		{"serverChannelMaxIdleTimeSeconds", int64(c.ServerChannelMaxIdleTimeSeconds), 0},
		{"maxMessageSize", int64(c.MaxMessageSize), 1},
		{"mappedFileSizeConsumeQueue", c.MappedFileSizeConsumeQueue, ConsumeQueueUnitSize},
		{"flushCommitLogLeastPages", int64(c.FlushCommitLogLeastPages), 0},
		{"flushConsumeQueueLeastPages", int64(c.FlushConsumeQueueLeastPages), 0},
		{"fileReservedTime", int64(c.FileReservedTime), 0},
		{"maxTransferBytesOnMessageInMemory", int64(c.MaxTransferBytesOnMessageInMemory), 1},
		{"maxTransferCountOnMessageInMemory", int64(c.MaxTransferCountOnMessageInMemory), 1},
		{"maxTransferBytesOnMessageInDisk", int64(c.MaxTransferBytesOnMessageInDisk), 1},
		{"maxTransferCountOnMessageInDisk", int64(c.MaxTransferCountOnMessageInDisk), 1},
		{"maxHashSlotNum", int64(c.MaxHashSlotNum), 1},
		{"maxIndexNum", int64(c.MaxIndexNum), 1},
		{"maxMsgsNumBatch", int64(c.MaxMsgsNumBatch), 1},
		{"defaultQueryMaxNum", int64(c.DefaultQueryMaxNum), 1},
		{"haTransferBatchSize", int64(c.HaTransferBatchSize), 1},
		{"haSlaveFallbehindMax", c.HaSlaveFallbehindMax, 0},
	}
	for _, a := range atLeast {
		if a.v < a.min {
			add(a.key, "%d: must be at least %d", a.v, a.min)
		}
	}
	if c.MaxMessageSize > 0 && c.MappedFileSizeCommitLog <= int64(c.MaxMessageSize) {
		add("mappedFileSizeCommitLog", "%d: must be larger than maxMessageSize (%d) so the largest message fits one segment", c.MappedFileSizeCommitLog, c.MaxMessageSize)
	}
	if c.AccessMessageInMemoryMaxRatio < 0 || c.AccessMessageInMemoryMaxRatio > 100 {
		add("accessMessageInMemoryMaxRatio", "%d: want a percentage 0..100", c.AccessMessageInMemoryMaxRatio)
	}
	if c.DiskMaxUsedSpaceRatio < diskRatioMin || c.DiskMaxUsedSpaceRatio > diskRatioMax {
		add("diskMaxUsedSpaceRatio", "%d: want %d..%d", c.DiskMaxUsedSpaceRatio, diskRatioMin, diskRatioMax)
	}
	if _, err := c.DeleteHours(); err != nil {
		add("deleteWhen", "%q: %v", c.DeleteWhen, err)
	}
	if len(c.MessageDelayLevel) == 0 {
		add("messageDelayLevel", "no delay levels")
	}
	if c.StorePathRootDir == "" {
		add("storePathRootDir", "must not be empty")
	}
	if c.BrokerRole < AsyncMaster || c.BrokerRole > Slave {
		add("brokerRole", "invalid value %d", int(c.BrokerRole))
	}
	if c.FlushDiskType < AsyncFlush || c.FlushDiskType > SyncFlush {
		add("flushDiskType", "invalid value %d", int(c.FlushDiskType))
	}
	return bad
}

// checkHostPort accepts "host:port" with a numeric port, as RocketMQ's
// string2SocketAddress does. Hosts may be names or IP literals.
func checkHostPort(a string) error {
	i := strings.LastIndexByte(a, ':')
	if i <= 0 {
		return errors.New("missing :port")
	}
	host, port := a[:i], a[i+1:]
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		if _, err := netip.ParseAddr(host[1 : len(host)-1]); err != nil {
			return fmt.Errorf("bad IPv6 host: %w", err)
		}
	} else if strings.ContainsAny(host, " \t/") {
		return errors.New("bad host")
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("bad port %q", port)
	}
	return nil
}
