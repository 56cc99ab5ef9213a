// Request and response codes, transcribed from RocketMQ 4.9.x RequestCode.java
// and ResponseCode.java (numbers verified against apache/rocketmq).

package remoting

import "strconv"

// Request codes (Java RequestCode). Codes above int16 (5.x POP, controller)
// are left out: the Go client's header field is an int16.
const (
	ReqSendMessage                      int16 = 10
	ReqPullMessage                      int16 = 11
	ReqQueryMessage                     int16 = 12
	ReqQueryBrokerOffset                int16 = 13
	ReqQueryConsumerOffset              int16 = 14
	ReqUpdateConsumerOffset             int16 = 15
	ReqUpdateAndCreateTopic             int16 = 17
	ReqGetAllTopicConfig                int16 = 21
	ReqGetTopicConfigList               int16 = 22
	ReqGetTopicNameList                 int16 = 23
	ReqUpdateBrokerConfig               int16 = 25
	ReqGetBrokerConfig                  int16 = 26
	ReqTriggerDeleteFiles               int16 = 27
	ReqGetBrokerRuntimeInfo             int16 = 28
	ReqSearchOffsetByTimestamp          int16 = 29
	ReqGetMaxOffset                     int16 = 30
	ReqGetMinOffset                     int16 = 31
	ReqGetEarliestMsgStoretime          int16 = 32
	ReqViewMessageById                  int16 = 33
	ReqHeartBeat                        int16 = 34
	ReqUnregisterClient                 int16 = 35
	ReqConsumerSendMsgBack              int16 = 36
	ReqEndTransaction                   int16 = 37
	ReqGetConsumerListByGroup           int16 = 38
	ReqCheckTransactionState            int16 = 39
	ReqNotifyConsumerIdsChanged         int16 = 40
	ReqLockBatchMQ                      int16 = 41
	ReqUnlockBatchMQ                    int16 = 42
	ReqGetAllConsumerOffset             int16 = 43
	ReqGetAllDelayOffset                int16 = 45
	ReqCheckClientConfig                int16 = 46
	ReqGetClientConfig                  int16 = 47
	ReqUpdateAndCreateACLConfig         int16 = 50
	ReqDeleteACLConfig                  int16 = 51
	ReqGetBrokerClusterACLInfo          int16 = 52
	ReqUpdateGlobalWhiteAddrsConfig     int16 = 53
	ReqGetBrokerClusterACLConfig        int16 = 54
	ReqPutKVConfig                      int16 = 100
	ReqGetKVConfig                      int16 = 101
	ReqDeleteKVConfig                   int16 = 102
	ReqRegisterBroker                   int16 = 103
	ReqUnregisterBroker                 int16 = 104
	ReqGetRouteInfoByTopic              int16 = 105
	ReqGetBrokerClusterInfo             int16 = 106
	ReqUpdateAndCreateSubscriptionGroup int16 = 200
	ReqGetAllSubscriptionGroupConfig    int16 = 201
	ReqGetTopicStatsInfo                int16 = 202
	ReqGetConsumerConnectionList        int16 = 203
	ReqGetProducerConnectionList        int16 = 204
	ReqWipeWritePermOfBroker            int16 = 205
	ReqGetAllTopicListFromNameserver    int16 = 206
	ReqDeleteSubscriptionGroup          int16 = 207
	ReqGetConsumeStats                  int16 = 208
	ReqSuspendConsumer                  int16 = 209
	ReqResumeConsumer                   int16 = 210
	ReqResetConsumerOffsetInConsumer    int16 = 211
	ReqResetConsumerOffsetInBroker      int16 = 212
	ReqAdjustConsumerThreadPool         int16 = 213
	ReqWhoConsumeTheMessage             int16 = 214
	ReqDeleteTopicInBroker              int16 = 215
	ReqDeleteTopicInNamesrv             int16 = 216
	ReqRegisterTopicInNamesrv           int16 = 217
	ReqGetKVListByNamespace             int16 = 219
	ReqResetConsumerClientOffset        int16 = 220
	ReqGetConsumerStatusFromClient      int16 = 221
	ReqInvokeBrokerToResetOffset        int16 = 222
	ReqInvokeBrokerToGetConsumerStatus  int16 = 223
	ReqGetTopicsByCluster               int16 = 224
	ReqQueryTopicConsumeByWho           int16 = 300
	ReqRegisterFilterServer             int16 = 301
	ReqRegisterMessageFilterClass       int16 = 302
	ReqQueryConsumeTimeSpan             int16 = 303
	ReqGetSystemTopicListFromNS         int16 = 304
	ReqGetSystemTopicListFromBroker     int16 = 305
	ReqCleanExpiredConsumeQueue         int16 = 306
	ReqGetConsumerRunningInfo           int16 = 307
	ReqQueryCorrectionOffset            int16 = 308
	ReqConsumeMessageDirectly           int16 = 309
	ReqSendMessageV2                    int16 = 310
	ReqGetUnitTopicList                 int16 = 311
	ReqGetHasUnitSubTopicList           int16 = 312
	ReqGetHasUnitSubUnunitTopicList     int16 = 313
	ReqCloneGroupOffset                 int16 = 314
	ReqViewBrokerStatsData              int16 = 315
	ReqCleanUnusedTopic                 int16 = 316
	ReqGetBrokerConsumeStats            int16 = 317
	ReqUpdateNamesrvConfig              int16 = 318
	ReqGetNamesrvConfig                 int16 = 319
	ReqSendBatchMessage                 int16 = 320
	ReqQueryConsumeQueue                int16 = 321
	ReqQueryDataVersion                 int16 = 322
	ReqResumeCheckHalfMessage           int16 = 323
	ReqSendReplyMessage                 int16 = 324
	ReqSendReplyMessageV2               int16 = 325
	ReqPushReplyMessageToClient         int16 = 326
	ReqAddWritePermOfBroker             int16 = 327
	ReqQueryTopicsByConsumer            int16 = 343
	ReqQuerySubscriptionByConsumer      int16 = 345
	ReqGetTopicConfig                   int16 = 351
	ReqGetSubscriptionGroupConfig       int16 = 352
	ReqLitePullMessage                  int16 = 361
)

// Response codes (Java ResponseCode and RemotingSysResponseCode).
const (
	RespSuccess                    int16 = 0
	RespSystemError                int16 = 1
	RespSystemBusy                 int16 = 2
	RespRequestCodeNotSupported    int16 = 3
	RespTransactionFailed          int16 = 4
	RespFlushDiskTimeout           int16 = 10
	RespSlaveNotAvailable          int16 = 11
	RespFlushSlaveTimeout          int16 = 12
	RespMessageIllegal             int16 = 13
	RespServiceNotAvailable        int16 = 14
	RespVersionNotSupported        int16 = 15
	RespNoPermission               int16 = 16
	RespTopicNotExist              int16 = 17
	RespTopicExistAlready          int16 = 18
	RespPullNotFound               int16 = 19
	RespPullRetryImmediately       int16 = 20
	RespPullOffsetMoved            int16 = 21
	RespQueryNotFound              int16 = 22
	RespSubscriptionParseFailed    int16 = 23
	RespSubscriptionNotExist       int16 = 24
	RespSubscriptionNotLatest      int16 = 25
	RespSubscriptionGroupNotExist  int16 = 26
	RespFilterDataNotExist         int16 = 27
	RespFilterDataNotLatest        int16 = 28
	RespFlushDiskFailed            int16 = 29
	RespTransactionShouldCommit    int16 = 200
	RespTransactionShouldRollback  int16 = 201
	RespTransactionStateUnknow     int16 = 202
	RespTransactionStateGroupWrong int16 = 203
	RespNoBuyerId                  int16 = 204
	RespNotInCurrentUnit           int16 = 205
	RespConsumerNotOnline          int16 = 206
	RespConsumeMsgTimeout          int16 = 207
	RespNoMessage                  int16 = 208
)

// requestNames maps request codes to Java's names, for logs and remarks.
var requestNames = map[int16]string{
	10:  "SEND_MESSAGE",
	11:  "PULL_MESSAGE",
	12:  "QUERY_MESSAGE",
	13:  "QUERY_BROKER_OFFSET",
	14:  "QUERY_CONSUMER_OFFSET",
	15:  "UPDATE_CONSUMER_OFFSET",
	17:  "UPDATE_AND_CREATE_TOPIC",
	21:  "GET_ALL_TOPIC_CONFIG",
	22:  "GET_TOPIC_CONFIG_LIST",
	23:  "GET_TOPIC_NAME_LIST",
	25:  "UPDATE_BROKER_CONFIG",
	26:  "GET_BROKER_CONFIG",
	27:  "TRIGGER_DELETE_FILES",
	28:  "GET_BROKER_RUNTIME_INFO",
	29:  "SEARCH_OFFSET_BY_TIMESTAMP",
	30:  "GET_MAX_OFFSET",
	31:  "GET_MIN_OFFSET",
	32:  "GET_EARLIEST_MSG_STORETIME",
	33:  "VIEW_MESSAGE_BY_ID",
	34:  "HEART_BEAT",
	35:  "UNREGISTER_CLIENT",
	36:  "CONSUMER_SEND_MSG_BACK",
	37:  "END_TRANSACTION",
	38:  "GET_CONSUMER_LIST_BY_GROUP",
	39:  "CHECK_TRANSACTION_STATE",
	40:  "NOTIFY_CONSUMER_IDS_CHANGED",
	41:  "LOCK_BATCH_MQ",
	42:  "UNLOCK_BATCH_MQ",
	43:  "GET_ALL_CONSUMER_OFFSET",
	45:  "GET_ALL_DELAY_OFFSET",
	46:  "CHECK_CLIENT_CONFIG",
	47:  "GET_CLIENT_CONFIG",
	50:  "UPDATE_AND_CREATE_ACL_CONFIG",
	51:  "DELETE_ACL_CONFIG",
	52:  "GET_BROKER_CLUSTER_ACL_INFO",
	53:  "UPDATE_GLOBAL_WHITE_ADDRS_CONFIG",
	54:  "GET_BROKER_CLUSTER_ACL_CONFIG",
	100: "PUT_KV_CONFIG",
	101: "GET_KV_CONFIG",
	102: "DELETE_KV_CONFIG",
	103: "REGISTER_BROKER",
	104: "UNREGISTER_BROKER",
	105: "GET_ROUTEINFO_BY_TOPIC",
	106: "GET_BROKER_CLUSTER_INFO",
	200: "UPDATE_AND_CREATE_SUBSCRIPTIONGROUP",
	201: "GET_ALL_SUBSCRIPTIONGROUP_CONFIG",
	202: "GET_TOPIC_STATS_INFO",
	203: "GET_CONSUMER_CONNECTION_LIST",
	204: "GET_PRODUCER_CONNECTION_LIST",
	205: "WIPE_WRITE_PERM_OF_BROKER",
	206: "GET_ALL_TOPIC_LIST_FROM_NAMESERVER",
	207: "DELETE_SUBSCRIPTIONGROUP",
	208: "GET_CONSUME_STATS",
	209: "SUSPEND_CONSUMER",
	210: "RESUME_CONSUMER",
	211: "RESET_CONSUMER_OFFSET_IN_CONSUMER",
	212: "RESET_CONSUMER_OFFSET_IN_BROKER",
	213: "ADJUST_CONSUMER_THREAD_POOL",
	214: "WHO_CONSUME_THE_MESSAGE",
	215: "DELETE_TOPIC_IN_BROKER",
	216: "DELETE_TOPIC_IN_NAMESRV",
	217: "REGISTER_TOPIC_IN_NAMESRV",
	219: "GET_KVLIST_BY_NAMESPACE",
	220: "RESET_CONSUMER_CLIENT_OFFSET",
	221: "GET_CONSUMER_STATUS_FROM_CLIENT",
	222: "INVOKE_BROKER_TO_RESET_OFFSET",
	223: "INVOKE_BROKER_TO_GET_CONSUMER_STATUS",
	224: "GET_TOPICS_BY_CLUSTER",
	300: "QUERY_TOPIC_CONSUME_BY_WHO",
	301: "REGISTER_FILTER_SERVER",
	302: "REGISTER_MESSAGE_FILTER_CLASS",
	303: "QUERY_CONSUME_TIME_SPAN",
	304: "GET_SYSTEM_TOPIC_LIST_FROM_NS",
	305: "GET_SYSTEM_TOPIC_LIST_FROM_BROKER",
	306: "CLEAN_EXPIRED_CONSUMEQUEUE",
	307: "GET_CONSUMER_RUNNING_INFO",
	308: "QUERY_CORRECTION_OFFSET",
	309: "CONSUME_MESSAGE_DIRECTLY",
	310: "SEND_MESSAGE_V2",
	311: "GET_UNIT_TOPIC_LIST",
	312: "GET_HAS_UNIT_SUB_TOPIC_LIST",
	313: "GET_HAS_UNIT_SUB_UNUNIT_TOPIC_LIST",
	314: "CLONE_GROUP_OFFSET",
	315: "VIEW_BROKER_STATS_DATA",
	316: "CLEAN_UNUSED_TOPIC",
	317: "GET_BROKER_CONSUME_STATS",
	318: "UPDATE_NAMESRV_CONFIG",
	319: "GET_NAMESRV_CONFIG",
	320: "SEND_BATCH_MESSAGE",
	321: "QUERY_CONSUME_QUEUE",
	322: "QUERY_DATA_VERSION",
	323: "RESUME_CHECK_HALF_MESSAGE",
	324: "SEND_REPLY_MESSAGE",
	325: "SEND_REPLY_MESSAGE_V2",
	326: "PUSH_REPLY_MESSAGE_TO_CLIENT",
	327: "ADD_WRITE_PERM_OF_BROKER",
	343: "QUERY_TOPICS_BY_CONSUMER",
	345: "QUERY_SUBSCRIPTION_BY_CONSUMER",
	351: "GET_TOPIC_CONFIG",
	352: "GET_SUBSCRIPTIONGROUP_CONFIG",
	361: "LITE_PULL_MESSAGE",
}

// responseNames maps response codes to Java's names.
var responseNames = map[int16]string{
	0:   "SUCCESS",
	1:   "SYSTEM_ERROR",
	2:   "SYSTEM_BUSY",
	3:   "REQUEST_CODE_NOT_SUPPORTED",
	4:   "TRANSACTION_FAILED",
	10:  "FLUSH_DISK_TIMEOUT",
	11:  "SLAVE_NOT_AVAILABLE",
	12:  "FLUSH_SLAVE_TIMEOUT",
	13:  "MESSAGE_ILLEGAL",
	14:  "SERVICE_NOT_AVAILABLE",
	15:  "VERSION_NOT_SUPPORTED",
	16:  "NO_PERMISSION",
	17:  "TOPIC_NOT_EXIST",
	18:  "TOPIC_EXIST_ALREADY",
	19:  "PULL_NOT_FOUND",
	20:  "PULL_RETRY_IMMEDIATELY",
	21:  "PULL_OFFSET_MOVED",
	22:  "QUERY_NOT_FOUND",
	23:  "SUBSCRIPTION_PARSE_FAILED",
	24:  "SUBSCRIPTION_NOT_EXIST",
	25:  "SUBSCRIPTION_NOT_LATEST",
	26:  "SUBSCRIPTION_GROUP_NOT_EXIST",
	27:  "FILTER_DATA_NOT_EXIST",
	28:  "FILTER_DATA_NOT_LATEST",
	29:  "FLUSH_DISK_FAILED",
	200: "TRANSACTION_SHOULD_COMMIT",
	201: "TRANSACTION_SHOULD_ROLLBACK",
	202: "TRANSACTION_STATE_UNKNOW",
	203: "TRANSACTION_STATE_GROUP_WRONG",
	204: "NO_BUYER_ID",
	205: "NOT_IN_CURRENT_UNIT",
	206: "CONSUMER_NOT_ONLINE",
	207: "CONSUME_MSG_TIMEOUT",
	208: "NO_MESSAGE",
}

// RequestName is Java's name for a request code, or "UNKNOWN(n)".
func RequestName(code int16) string {
	if n, ok := requestNames[code]; ok {
		return n
	}
	return "UNKNOWN(" + itoa(code) + ")"
}

// ResponseName is Java's name for a response code, or "UNKNOWN(n)".
func ResponseName(code int16) string {
	if n, ok := responseNames[code]; ok {
		return n
	}
	return "UNKNOWN(" + itoa(code) + ")"
}

func itoa(n int16) string { return strconv.Itoa(int(n)) }
