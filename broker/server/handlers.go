package server

import "rocketsim/remoting"

// handle registers the request handlers. Codes not registered here get
// REQUEST_CODE_NOT_SUPPORTED from the endpoint.
func (b *Broker) handle() {
	for code, h := range map[int16]remoting.Handler{
		remoting.ReqSendMessage:                      b.handleSend,
		remoting.ReqSendMessageV2:                    b.handleSend,
		remoting.ReqSendBatchMessage:                 b.handleSend,
		remoting.ReqPullMessage:                      b.handlePull,
		remoting.ReqQueryConsumerOffset:              b.handleQueryConsumerOffset,
		remoting.ReqUpdateConsumerOffset:             b.handleUpdateConsumerOffset,
		remoting.ReqGetMaxOffset:                     b.handleGetMaxOffset,
		remoting.ReqGetMinOffset:                     b.handleGetMinOffset,
		remoting.ReqSearchOffsetByTimestamp:          b.handleSearchOffset,
		remoting.ReqGetEarliestMsgStoretime:          b.handleEarliestStoreTime,
		remoting.ReqHeartBeat:                        b.handleHeartbeat,
		remoting.ReqUnregisterClient:                 b.handleUnregisterClient,
		remoting.ReqGetConsumerListByGroup:           b.handleGetConsumerList,
		remoting.ReqLockBatchMQ:                      b.handleLockBatch,
		remoting.ReqUnlockBatchMQ:                    b.handleUnlockBatch,
		remoting.ReqUpdateAndCreateTopic:             b.handleCreateTopic,
		remoting.ReqGetAllTopicConfig:                b.handleGetAllTopicConfig,
		remoting.ReqDeleteTopicInBroker:              b.handleDeleteTopic,
		remoting.ReqUpdateAndCreateSubscriptionGroup: b.handleUpdateGroup,
		remoting.ReqGetAllSubscriptionGroupConfig:    b.handleGetAllGroups,
		remoting.ReqDeleteSubscriptionGroup:          b.handleDeleteGroup,
		remoting.ReqConsumerSendMsgBack:              b.handleSendBack,
		remoting.ReqQueryMessage:                     b.handleQueryMessage,
		remoting.ReqViewMessageById:                  b.handleViewMessage,
		remoting.ReqGetTopicStatsInfo:                b.handleTopicStats,
		remoting.ReqGetConsumeStats:                  b.handleConsumeStats,
		remoting.ReqGetConsumerConnectionList:        b.handleConsumerConnections,
		remoting.ReqGetBrokerRuntimeInfo:             b.handleRuntimeInfo,
		remoting.ReqInvokeBrokerToResetOffset:        b.handleResetOffset,
		remoting.ReqGetAllConsumerOffset:             b.handleGetAllConsumerOffset,
		remoting.ReqGetAllDelayOffset:                b.handleGetAllDelayOffset,
		remoting.ReqGetTopicConfig:                   b.handleGetTopicConfig,
		remoting.ReqGetProducerConnectionList:        b.handleProducerConnections,
		remoting.ReqQueryTopicConsumeByWho:           b.handleConsumedBy,
		remoting.ReqGetBrokerConfig:                  b.handleGetBrokerConfig,
		remoting.ReqEndTransaction:                   b.handleEndTransaction,
	} {
		b.ep.Handle(code, h)
	}
}
