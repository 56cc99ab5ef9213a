package config

import (
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"time"

	"rocketsim/properties"
)

// Bounds on values that RocketMQ leaves open but that make no sense beyond.
const (
	// MaxTopicQueueNums bounds defaultTopicQueueNums: every queue costs a
	// consume-queue directory and a share of every consumer's rebalance.
	MaxTopicQueueNums = 1024
	// registerPeriodMin/Max are RocketMQ's clamp of registerNameServerPeriod.
	registerPeriodMin = 10 * time.Second
	registerPeriodMax = 60 * time.Second
	// diskRatioMin/Max are RocketMQ's clamp of diskMaxUsedSpaceRatio.
	diskRatioMin = 10
	diskRatioMax = 95
)

// Host is what the broker learns from the machine it runs on: the defaults
// of brokerName (host name) and brokerIP1/2 (local address). Main packages
// ask the OS; the simulator passes the node's name and address.
type Host struct {
	Name string
	IP   string
}

// NamesrvFlag names the -n command-line override in error messages.
const NamesrvFlag = "-n flag"

// OverrideNamesrv sets namesrvAddr from the -n flag, which wins over the
// file, as mqbroker's does. An empty value changes nothing.
func OverrideNamesrv(p *properties.Props, addr string) {
	if addr != "" {
		p.SetFrom("namesrvAddr", addr, NamesrvFlag)
	}
}

// Load reads broker.conf at path; see LoadProps. For main packages.
func Load(path string, host Host) (*Config, []string, error) {
	p, err := properties.ParseFile(path)
	if err != nil {
		return nil, nil, err
	}
	return LoadProps(p, host)
}

// LoadMap builds a Config from key/value pairs that did not come from a
// file (a simulator scenario's broker section); source names them in
// messages. Keys are applied in sorted order, so the result and the
// warnings do not depend on map iteration.
func LoadMap(kv map[string]string, source string, host Host) (*Config, []string, error) {
	p := properties.New(source)
	keys := make([]string, 0, len(kv))
	for k := range kv {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p.SetFrom(k, kv[k], source+": "+k)
	}
	return LoadProps(p, host)
}

// LoadProps builds a Config from defaults, p and host, and validates it.
//
// It returns warnings for what it accepted but the user should see:
// unknown keys (likely typos; RocketMQ ignores them silently), known Java
// tuning keys that have no effect here, and values RocketMQ itself corrects
// (a master's brokerId forced to 0, ratios clamped). The error, when not nil,
// lists every bad value and every invalid setting, each naming file:line and
// key; no Config is returned then.
func LoadProps(p *properties.Props, host Host) (*Config, []string, error) {
	c := Defaults()
	var warnings []string
	var errs []error
	if err := properties.Bind(p, &c); err != nil {
		var be *properties.BindError
		if !errors.As(err, &be) {
			return nil, nil, err
		}
		var ignored []string
		for _, pr := range be.Unknown() {
			if javaOnlyKeys[pr.Key] {
				ignored = append(ignored, pr.Key)
				continue
			}
			warnings = append(warnings, pr.Error()+" (ignored)")
		}
		if len(ignored) > 0 {
			warnings = append(warnings, fmt.Sprintf("%s: keys that tune the Java broker only, ignored: %s", p.Name, strings.Join(ignored, ", ")))
		}
		for _, pr := range be.Bad() {
			errs = append(errs, pr)
		}
	}
	c.resolve(host)
	for _, fix := range c.normalize() {
		warnings = append(warnings, fmt.Sprintf("%s: key %s: %s", p.Where(fix.key), fix.key, fix.msg))
	}
	bads := c.check()
	// Report in file order, so the list reads top to bottom like the file;
	// settings that come from defaults or flags go last.
	line := func(key string) int {
		if e, ok := p.Lookup(key); ok && e.Line > 0 {
			return e.Line
		}
		return 1 << 30
	}
	sort.SliceStable(bads, func(i, j int) bool { return line(bads[i].key) < line(bads[j].key) })
	for _, bad := range bads {
		errs = append(errs, fmt.Errorf("%s: key %s: %s", p.Where(bad.key), bad.key, bad.msg))
	}
	if len(errs) > 0 {
		return nil, warnings, fmt.Errorf("broker config: %w", errors.Join(errs...))
	}
	return &c, warnings, nil
}

// Validate checks a Config built in code (the simulator does). It applies
// no defaults: call it after filling every field you rely on.
func (c *Config) Validate() error {
	var errs []error
	for _, bad := range c.check() {
		errs = append(errs, fmt.Errorf("key %s: %s", bad.key, bad.msg))
	}
	return errors.Join(errs...)
}

// HAPort is the port slaves connect to: haListenPort, or listenPort+1.
func (c *Config) HAPort() int {
	if c.HaListenPort != 0 || c.ListenPort == 0 {
		return c.HaListenPort
	}
	return c.ListenPort + 1
}

// ClientAddr is "brokerIP1:listenPort", what the broker registers.
func (c *Config) ClientAddr() string {
	return c.BrokerIP1 + ":" + strconv.Itoa(c.ListenPort)
}

// DeleteHours parses deleteWhen ("04" or "04;16") into hours of the day.
func (s *Store) DeleteHours() ([]int, error) {
	var hours []int
	for _, tok := range strings.Split(s.DeleteWhen, ";") {
		tok = strings.TrimSpace(tok)
		if tok == "" {
			continue
		}
		h, err := strconv.Atoi(tok)
		if err != nil || h < 0 || h > 23 {
			return nil, fmt.Errorf("hour %q: want 00 to 23, several separated by ';'", tok)
		}
		hours = append(hours, h)
	}
	if len(hours) == 0 {
		return nil, errors.New("no hour given")
	}
	sort.Ints(hours)
	return hours, nil
}

func (c *Config) resolve(h Host) {
	if c.BrokerName == "" {
		c.BrokerName = h.Name
	}
	if c.BrokerIP1 == "" {
		c.BrokerIP1 = h.IP
	}
	if c.BrokerIP2 == "" {
		c.BrokerIP2 = c.BrokerIP1
	}
}

type keyMsg struct{ key, msg string }

// normalize applies the corrections RocketMQ makes silently and says so.
func (c *Config) normalize() []keyMsg {
	var fixes []keyMsg
	if c.BrokerRole.IsMaster() && c.BrokerID != 0 {
		fixes = append(fixes, keyMsg{"brokerId", fmt.Sprintf("%d set to 0: a %s is always broker 0", c.BrokerID, c.BrokerRole)})
		c.BrokerID = 0
	}
	if c.DiskMaxUsedSpaceRatio < diskRatioMin || c.DiskMaxUsedSpaceRatio > diskRatioMax {
		v := min(max(c.DiskMaxUsedSpaceRatio, diskRatioMin), diskRatioMax)
		fixes = append(fixes, keyMsg{"diskMaxUsedSpaceRatio", fmt.Sprintf("%d clamped to %d (range %d..%d)", c.DiskMaxUsedSpaceRatio, v, diskRatioMin, diskRatioMax)})
		c.DiskMaxUsedSpaceRatio = v
	}
	if c.RegisterNameServerPeriod < registerPeriodMin || c.RegisterNameServerPeriod > registerPeriodMax {
		v := min(max(c.RegisterNameServerPeriod, registerPeriodMin), registerPeriodMax)
		fixes = append(fixes, keyMsg{"registerNameServerPeriod", fmt.Sprintf("%d ms clamped to %d ms", c.RegisterNameServerPeriod.Milliseconds(), v.Milliseconds())})
		c.RegisterNameServerPeriod = v
	}
	return fixes
}

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

// javaOnlyKeys are Apache RocketMQ keys that tune the JVM implementation
// (thread pools, Netty, mmap tricks) or features outside this broker's
// scope. A broker.conf written for Apache RocketMQ carries them; they are
// accepted and named in one warning instead of one "unknown key" each.
var javaOnlyKeys = setOf(
	// thread pools and their queues
	"sendMessageThreadPoolNums", "putMessageFutureThreadPoolNums", "pullMessageThreadPoolNums",
	"litePullMessageThreadPoolNums", "ackMessageThreadPoolNums", "processReplyMessageThreadPoolNums",
	"queryMessageThreadPoolNums", "adminBrokerThreadPoolNums", "clientManageThreadPoolNums",
	"consumerManageThreadPoolNums", "heartbeatThreadPoolNums", "endTransactionThreadPoolNums",
	"loadBalanceProcessorThreadPoolNums", "recoverThreadPoolNums",
	"putThreadPoolQueueCapacity", "litePullThreadPoolQueueCapacity", "ackThreadPoolQueueCapacity",
	"replyThreadPoolQueueCapacity", "queryThreadPoolQueueCapacity", "clientManagerThreadPoolQueueCapacity",
	"consumerManagerThreadPoolQueueCapacity", "heartbeatThreadPoolQueueCapacity",
	"endTransactionPoolQueueCapacity", "adminBrokerThreadPoolQueueCapacity", "loadBalanceThreadPoolQueueCapacity",
	"waitTimeMillsInLitePullQueue", "waitTimeMillsInAckQueue",
	// Netty server and client
	"serverWorkerThreads", "serverCallbackExecutorThreads", "serverSelectorThreads",
	"serverOnewaySemaphoreValue", "serverAsyncSemaphoreValue", "serverSocketSndBufSize",
	"serverSocketRcvBufSize", "serverSocketBacklog", "serverPooledByteBufAllocatorEnable", "useEpollNativeSelector",
	"writeBufferHighWaterMark", "writeBufferLowWaterMark", "enableShutdownGracefully", "shutdownWaitTimeSeconds",
	"clientWorkerThreads", "clientCallbackExecutorThreads", "clientOnewaySemaphoreValue",
	"clientAsyncSemaphoreValue", "connectTimeoutMillis", "channelNotActiveInterval",
	"clientChannelMaxIdleTimeSeconds", "clientSocketSndBufSize", "clientSocketRcvBufSize",
	"clientPooledByteBufAllocatorEnable", "clientCloseSocketIfTimeout", "useTLS",
	// store internals of the mmap implementation
	"useReentrantLockWhenPutMessage", "transientStorePoolEnable", "transientStorePoolSize",
	"fastFailIfNoBufferInStorePool", "warmMapedFileEnable", "flushLeastPagesWhenWarmMapedFile",
	"commitIntervalCommitLog", "commitCommitLogLeastPages", "commitCommitLogThoroughInterval",
	"enableConsumeQueueExt", "mappedFileSizeConsumeQueueExt", "bitMapLengthConsumeQueueExt",
	"redeleteHangedFileInterval", "destroyMapedFileIntervalForcibly", "deleteCommitLogFilesInterval",
	"deleteConsumeQueueFilesInterval", "putMsgIndexHightWater", "debugLockEnable", "diskFallRecorded",
	"offsetCheckInSlave", "dLegerGroup", "dLegerPeers", "dLegerSelfId", "preferredLeaderId",
	"enableBatchPush", "enableScheduleMessageStats", "enableCleanExpiredOffset",
	// features and knobs outside this broker's scope
	"brokerConfigPath", "messageStorePlugIn", "traceOn", "enableCalcFilterBitMap",
	"expectConsumerNumUseFilter", "maxErrorRateOfBloomFilter", "filterDataCleanTimeSpan",
	"highSpeedMode", "commercialEnable", "commercialTimerCount", "commercialTransCount",
	"commercialBigCount", "commercialBaseCount", "commercialSizePerMsg", "accountStatsEnable",
	"accountStatsPrintZeroValues", "transferMsgByHeap", "regionId", "fetchNamesrvAddrByAddressServer",
	"fetchNameSrvAddrByDnsLookup", "isolateLogEnable", "autoDeleteUnusedStats", "enableDetailStat",
	"storeReplyMessageEnable", "startAcceptSendRequestTimeStamp", "flushConsumerOffsetHistoryInterval",
	"disableConsumeIfConsumerReadSlowly", "consumerFallbehindThreshold", "rejectPullConsumerEnable",
	"sendHeartbeatTimeoutMillis", "traceTopicName", "recoverConcurrently",
)

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}
