package config

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
	"fastFailIfNoBufferInStorePool", "flushLeastPagesWhenWarmMapedFile",
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
	"configBlackList", "enableLmq", "enableMultiDispatch", "maxLmqConsumeQueueNum",
	"enableScheduleAsyncDeliver", "scheduleAsyncDeliverMaxPendingLimit", "filterServerNums",
	"maxDelayTime", "readOnlyCommitLogStorePaths", "slaveTimeout", "storePathDLedgerCommitLog",
)

func setOf(keys ...string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[k] = true
	}
	return m
}
