// Package config holds the broker's configuration: RocketMQ's broker.conf
// keys with their defaults (BrokerConfig, NettyServerConfig and
// MessageStoreConfig merged, as BrokerStartup reads one file into all three),
// loading with validation, and the delay-level table.
//
// Durations are time.Duration fields bound from RocketMQ's integer
// milliseconds, so broker.conf files written for Apache RocketMQ load
// unchanged. Keys that only tune Java internals (thread pools, Netty buffers)
// are accepted and ignored; anything else unknown is reported.
package config

import (
	"time"
)

// Config is the whole broker configuration.
type Config struct {
	// BrokerClusterName groups brokers in the name server's cluster table.
	BrokerClusterName string `prop:"brokerClusterName"`
	// BrokerName names a master and its slaves; empty means the host name
	// (Java's default), filled by Resolve.
	BrokerName string `prop:"brokerName"`
	// BrokerID is 0 for a master, >0 for a slave.
	BrokerID int64 `prop:"brokerId"`
	// NamesrvAddr lists the name servers, "host:port;host:port".
	NamesrvAddr []string `prop:"namesrvAddr,sep=semicolon"`
	// BrokerIP1 is the address clients use; empty means the local address,
	// filled by Resolve. BrokerIP2 is the one slaves use for HA.
	BrokerIP1 string `prop:"brokerIP1"`
	BrokerIP2 string `prop:"brokerIP2"`
	// ListenPort serves clients (NettyServerConfig.listenPort; BrokerStartup
	// presets 10911).
	ListenPort int `prop:"listenPort"`
	// RocketmqHome is accepted for compatibility; nothing reads it.
	RocketmqHome string `prop:"rocketmqHome"`

	// BrokerPermission is the broker-wide perm (PermName bits) reported to
	// the name server; 6 = read|write.
	BrokerPermission int `prop:"brokerPermission"`
	// DefaultTopicQueueNums is the queue count of TBW102 and so of
	// auto-created topics.
	DefaultTopicQueueNums int `prop:"defaultTopicQueueNums"`
	// AutoCreateTopicEnable lets a send to an unknown topic create it from
	// TBW102.
	AutoCreateTopicEnable bool `prop:"autoCreateTopicEnable"`
	// ClusterTopicEnable and BrokerTopicEnable create the topics named
	// after the cluster and the broker at start.
	ClusterTopicEnable bool `prop:"clusterTopicEnable"`
	BrokerTopicEnable  bool `prop:"brokerTopicEnable"`
	// AutoCreateSubscriptionGroup creates a group's config on first use.
	AutoCreateSubscriptionGroup bool `prop:"autoCreateSubscriptionGroup"`
	// TraceTopicEnable creates MsgTraceTopicName at start.
	TraceTopicEnable  bool   `prop:"traceTopicEnable"`
	MsgTraceTopicName string `prop:"msgTraceTopicName"`

	// FlushConsumerOffsetInterval is how often consumerOffset.json is
	// persisted.
	FlushConsumerOffsetInterval time.Duration `prop:"flushConsumerOffsetInterval"`
	// RejectTransactionMessage refuses prepared (half) messages.
	RejectTransactionMessage bool `prop:"rejectTransactionMessage"`
	// LongPollingEnable suspends pulls that find nothing for the time the
	// client asks (its brokerSuspendMaxTimeMillis); otherwise they wait
	// ShortPollingTimeMills.
	LongPollingEnable     bool          `prop:"longPollingEnable"`
	ShortPollingTimeMills time.Duration `prop:"shortPollingTimeMills"`
	// NotifyConsumerIdsChangedEnable tells a group's consumers when its
	// membership changes so they rebalance at once.
	NotifyConsumerIdsChangedEnable bool `prop:"notifyConsumerIdsChangedEnable"`
	// SlaveReadEnable lets consumers be redirected to a slave when they
	// fall behind.
	SlaveReadEnable bool `prop:"slaveReadEnable"`
	// ChannelExpiredTimeout drops producer and consumer entries whose
	// connection sent no heartbeat for this long.
	ChannelExpiredTimeout time.Duration `prop:"channelExpiredTimeout"`

	// BrokerFastFailureEnable refuses requests that waited too long in a
	// queue with SYSTEM_BUSY instead of serving them late.
	BrokerFastFailureEnable bool `prop:"brokerFastFailureEnable"`
	// WaitTimeMillsIn*Queue are those waits (send: 200 ms).
	WaitTimeMillsInSendQueue        time.Duration `prop:"waitTimeMillsInSendQueue"`
	WaitTimeMillsInPullQueue        time.Duration `prop:"waitTimeMillsInPullQueue"`
	WaitTimeMillsInHeartbeatQueue   time.Duration `prop:"waitTimeMillsInHeartbeatQueue"`
	WaitTimeMillsInTransactionQueue time.Duration `prop:"waitTimeMillsInTransactionQueue"`
	// Send/PullThreadPoolQueueCapacity bound the requests waiting to be
	// served; beyond them a request is refused with SYSTEM_BUSY.
	SendThreadPoolQueueCapacity int `prop:"sendThreadPoolQueueCapacity"`
	PullThreadPoolQueueCapacity int `prop:"pullThreadPoolQueueCapacity"`

	// FilterSupportRetry applies SQL92 filters to retry topics too.
	FilterSupportRetry bool `prop:"filterSupportRetry"`
	// EnablePropertyFilter allows SQL92 subscriptions.
	EnablePropertyFilter bool `prop:"enablePropertyFilter"`

	// RegisterNameServerPeriod is the re-registration period (RocketMQ
	// clamps it to 10 s..60 s; so do we).
	RegisterNameServerPeriod   time.Duration `prop:"registerNameServerPeriod"`
	RegisterBrokerTimeoutMills time.Duration `prop:"registerBrokerTimeoutMills"`
	// CompressedRegister deflates the registration body.
	CompressedRegister bool `prop:"compressedRegister"`
	// ForceRegister registers every period even if nothing changed.
	ForceRegister bool `prop:"forceRegister"`

	// TransactionTimeOut is how old a half message must be before the
	// broker asks the producer for its state; TransactionCheckMax checks
	// later it is discarded; TransactionCheckInterval paces the checker.
	TransactionTimeOut       time.Duration `prop:"transactionTimeOut"`
	TransactionCheckMax      int           `prop:"transactionCheckMax"`
	TransactionCheckInterval time.Duration `prop:"transactionCheckInterval"`

	// AclEnable is refused when true: this broker has no ACL, and saying
	// yes would be a security lie.
	AclEnable bool `prop:"aclEnable"`
	// EnableDLegerCommitLog is refused when true for the same reason.
	EnableDLegerCommitLog bool `prop:"enableDLegerCommitLog"`

	// ServerChannelMaxIdleTimeSeconds closes client connections idle that
	// long (NettyServerConfig).
	ServerChannelMaxIdleTimeSeconds int `prop:"serverChannelMaxIdleTimeSeconds"`

	// Store is MessageStoreConfig.
	Store
}

// Store is the message store's part of the configuration.
type Store struct {
	// StorePathRootDir holds everything; the other paths default to
	// directories under it. It is relative to the node's data root unless
	// absolute. (Java defaults the commit log to ~/store/commitlog even when
	// the root moves, a known trap; we derive it from the root.)
	StorePathRootDir      string `prop:"storePathRootDir"`
	StorePathCommitLog    string `prop:"storePathCommitLog"`
	StorePathConsumeQueue string `prop:"storePathConsumeQueue"`
	StorePathIndex        string `prop:"storePathIndex"`
	StoreCheckpoint       string `prop:"storeCheckpoint"`
	AbortFile             string `prop:"abortFile"`

	// MappedFileSizeCommitLog is the size of one commit-log segment.
	// MappedFileSizeConsumeQueue is rounded up to whole 20-byte entries.
	// (Old releases spelled them "maped"; Load accepts both.)
	MappedFileSizeCommitLog    int64 `prop:"mappedFileSizeCommitLog,alias=mapedFileSizeCommitLog"`
	MappedFileSizeConsumeQueue int64 `prop:"mappedFileSizeConsumeQueue,alias=mapedFileSizeConsumeQueue"`

	BrokerRole    BrokerRole    `prop:"brokerRole"`
	FlushDiskType FlushDiskType `prop:"flushDiskType"`
	// SyncFlushTimeout bounds how long a SYNC_FLUSH send waits for fsync
	// before it is answered FLUSH_DISK_TIMEOUT.
	SyncFlushTimeout time.Duration `prop:"syncFlushTimeout"`
	// ServeOnlyFlushed (ours, not RocketMQ's; default false as RocketMQ
	// 4.x behaves) hands a record to consumers (consume queue, index,
	// long-polling wake-ups) only once an fsync covers it. RocketMQ
	// dispatches on write: after a power loss the unsynced tail is gone,
	// its queue offsets are given to new messages, and a consumer that read
	// the lost record and committed past it skips an acknowledged one.
	// Under ASYNC_FLUSH it delays delivery until the next flush.
	ServeOnlyFlushed bool `prop:"serveOnlyFlushed"`

	// FlushIntervalCommitLog paces the ASYNC_FLUSH flusher; it syncs when
	// FlushCommitLogLeastPages 4 KiB pages are dirty, or everything every
	// FlushCommitLogThoroughInterval. FlushCommitLogTimed flushes on the
	// period rather than when woken.
	FlushIntervalCommitLog         time.Duration `prop:"flushIntervalCommitLog"`
	FlushCommitLogLeastPages       int           `prop:"flushCommitLogLeastPages"`
	FlushCommitLogThoroughInterval time.Duration `prop:"flushCommitLogThoroughInterval"`
	FlushCommitLogTimed            bool          `prop:"flushCommitLogTimed"`
	// The same knobs for consume queues.
	FlushIntervalConsumeQueue         time.Duration `prop:"flushIntervalConsumeQueue"`
	FlushConsumeQueueLeastPages       int           `prop:"flushConsumeQueueLeastPages"`
	FlushConsumeQueueThoroughInterval time.Duration `prop:"flushConsumeQueueThoroughInterval"`
	// FlushDelayOffsetInterval persists delayOffset.json.
	FlushDelayOffsetInterval time.Duration `prop:"flushDelayOffsetInterval"`

	// MaxMessageSize bounds one message body (4 MiB).
	MaxMessageSize int `prop:"maxMessageSize"`
	// CheckCRCOnRecover verifies body CRCs when recovering the commit log.
	CheckCRCOnRecover bool `prop:"checkCRCOnRecover"`

	// DeleteWhen lists the hours ("04", "04;16") at which expired files are
	// removed; FileReservedTime is their age in hours; above
	// DiskMaxUsedSpaceRatio percent (clamped to 10..95) they go regardless,
	// oldest first, when CleanFileForciblyEnable.
	DeleteWhen              string        `prop:"deleteWhen"`
	FileReservedTime        int           `prop:"fileReservedTime"`
	DiskMaxUsedSpaceRatio   int           `prop:"diskMaxUsedSpaceRatio"`
	CleanFileForciblyEnable bool          `prop:"cleanFileForciblyEnable"`
	CleanResourceInterval   time.Duration `prop:"cleanResourceInterval"`

	// Pull batch bounds: bytes and messages per pull from memory and
	// from disk, and the share of memory above which a read counts as disk.
	MaxTransferBytesOnMessageInMemory int `prop:"maxTransferBytesOnMessageInMemory"`
	MaxTransferCountOnMessageInMemory int `prop:"maxTransferCountOnMessageInMemory"`
	MaxTransferBytesOnMessageInDisk   int `prop:"maxTransferBytesOnMessageInDisk"`
	MaxTransferCountOnMessageInDisk   int `prop:"maxTransferCountOnMessageInDisk"`
	AccessMessageInMemoryMaxRatio     int `prop:"accessMessageInMemoryMaxRatio"`

	// Index file (query by key) shape.
	MessageIndexEnable bool `prop:"messageIndexEnable"`
	MaxHashSlotNum     int  `prop:"maxHashSlotNum"`
	MaxIndexNum        int  `prop:"maxIndexNum"`
	MaxMsgsNumBatch    int  `prop:"maxMsgsNumBatch"`
	MessageIndexSafe   bool `prop:"messageIndexSafe"`

	// WarmMapedFileEnable (Java's spelling): Java writes zeros over each
	// new commit log file; here the file is zero-filled a window ahead of
	// the records (commitlog.WarmAhead), so an fsync finds its blocks
	// allocated. It raises the SYNC_FLUSH fsync rate; the zeros take disk
	// space ahead of need, so a full disk is noticed that much later.
	WarmMapedFileEnable bool `prop:"warmMapedFileEnable"`
	// DefaultQueryMaxNum bounds a query-by-key answer.
	DefaultQueryMaxNum int `prop:"defaultQueryMaxNum"`

	// HA replication. HaListenPort 0 means listenPort+1 (BrokerStartup
	// forces that value; we only default to it).
	HaListenPort            int           `prop:"haListenPort"`
	HaMasterAddress         string        `prop:"haMasterAddress"`
	HaSendHeartbeatInterval time.Duration `prop:"haSendHeartbeatInterval"`
	HaHousekeepingInterval  time.Duration `prop:"haHousekeepingInterval"`
	HaTransferBatchSize     int           `prop:"haTransferBatchSize"`
	HaSlaveFallbehindMax    int64         `prop:"haSlaveFallbehindMax"`

	// MessageDelayLevel is the delay table, level 1 first.
	MessageDelayLevel DelayLevels `prop:"messageDelayLevel"`

	// OsPageCacheBusyTimeOutMills: a commit-log append holding the lock
	// longer than this makes sends fail fast with SYSTEM_BUSY.
	OsPageCacheBusyTimeOutMills time.Duration `prop:"osPageCacheBusyTimeOutMills"`
	// DuplicationEnable keeps a slave's store timestamps on recovery.
	DuplicationEnable bool `prop:"duplicationEnable"`
}

// ConsumeQueueUnitSize is the size of one consume-queue entry: commit-log
// offset (8), size (4), tags hash (8).
const ConsumeQueueUnitSize = 20

// Defaults returns RocketMQ 4.x's defaults. BrokerName and BrokerIP1/2
// stay empty: Resolve fills them from the host.
func Defaults() Config {
	return Config{
		BrokerClusterName:               "DefaultCluster",
		BrokerID:                        0,
		ListenPort:                      10911,
		BrokerPermission:                6,
		DefaultTopicQueueNums:           8,
		AutoCreateTopicEnable:           true,
		ClusterTopicEnable:              true,
		BrokerTopicEnable:               true,
		AutoCreateSubscriptionGroup:     true,
		MsgTraceTopicName:               "RMQ_SYS_TRACE_TOPIC",
		FlushConsumerOffsetInterval:     5 * time.Second,
		LongPollingEnable:               true,
		ShortPollingTimeMills:           time.Second,
		NotifyConsumerIdsChangedEnable:  true,
		ChannelExpiredTimeout:           120 * time.Second,
		BrokerFastFailureEnable:         true,
		WaitTimeMillsInSendQueue:        200 * time.Millisecond,
		WaitTimeMillsInPullQueue:        5 * time.Second,
		WaitTimeMillsInHeartbeatQueue:   31 * time.Second,
		WaitTimeMillsInTransactionQueue: 3 * time.Second,
		SendThreadPoolQueueCapacity:     10000,
		PullThreadPoolQueueCapacity:     100000,
		RegisterNameServerPeriod:        30 * time.Second,
		RegisterBrokerTimeoutMills:      6 * time.Second,
		ForceRegister:                   true,
		TransactionTimeOut:              6 * time.Second,
		TransactionCheckMax:             15,
		TransactionCheckInterval:        60 * time.Second,
		ServerChannelMaxIdleTimeSeconds: 120,
		Store: Store{
			StorePathRootDir:                  "store",
			MappedFileSizeCommitLog:           1 << 30,
			MappedFileSizeConsumeQueue:        300000 * ConsumeQueueUnitSize,
			BrokerRole:                        AsyncMaster,
			FlushDiskType:                     AsyncFlush,
			SyncFlushTimeout:                  5 * time.Second,
			FlushIntervalCommitLog:            500 * time.Millisecond,
			FlushCommitLogLeastPages:          4,
			FlushCommitLogThoroughInterval:    10 * time.Second,
			FlushCommitLogTimed:               true, // 4.9.x; older releases had false
			FlushIntervalConsumeQueue:         time.Second,
			FlushConsumeQueueLeastPages:       2,
			FlushConsumeQueueThoroughInterval: 60 * time.Second,
			FlushDelayOffsetInterval:          10 * time.Second,
			MaxMessageSize:                    4 << 20,
			CheckCRCOnRecover:                 true,
			DeleteWhen:                        "04",
			FileReservedTime:                  72,
			DiskMaxUsedSpaceRatio:             75,
			CleanFileForciblyEnable:           true,
			CleanResourceInterval:             10 * time.Second,
			MaxTransferBytesOnMessageInMemory: 256 << 10,
			MaxTransferCountOnMessageInMemory: 32,
			MaxTransferBytesOnMessageInDisk:   64 << 10,
			MaxTransferCountOnMessageInDisk:   8,
			AccessMessageInMemoryMaxRatio:     40,
			MessageIndexEnable:                true,
			MaxHashSlotNum:                    5000000,
			MaxIndexNum:                       5000000 * 4,
			MaxMsgsNumBatch:                   64,
			DefaultQueryMaxNum:                32,
			HaSendHeartbeatInterval:           5 * time.Second,
			HaHousekeepingInterval:            20 * time.Second,
			HaTransferBatchSize:               32 << 10,
			HaSlaveFallbehindMax:              256 << 20,
			MessageDelayLevel:                 defaultDelayLevels(),
			OsPageCacheBusyTimeOutMills:       time.Second,
		},
	}
}

// DefaultMessageDelayLevel is RocketMQ's delay table.
const DefaultMessageDelayLevel = "1s 5s 10s 30s 1m 2m 3m 4m 5m 6m 7m 8m 9m 10m 20m 30m 1h 2h"

func defaultDelayLevels() DelayLevels {
	d, err := ParseDelayLevels(DefaultMessageDelayLevel)
	if err != nil {
		panic("config: default delay levels: " + err.Error())
	}
	return d
}
