// Package routes is the name server's route table as a state machine: which
// brokers live in which cluster under which broker name and id, which topics
// each broker group serves with how many queues, when each broker was last
// heard from and on which connection, and the filter servers beside each
// broker. It does no I/O and reads no clock: callers pass the node's
// monotonic time in. Every list it returns is sorted, so its answers do not
// depend on Go's map order.
//
// The rules follow RocketMQ 4.9.x RouteInfoManager: only a master (broker id
// 0) changes topic queue data; a broker address appears under one id only;
// when the last address of a broker name goes, its topics go with it.
package routes

import "time"

// Permission bits of a topic's queues (Java PermName).
const (
	PermPriority = 1 << 3
	PermRead     = 1 << 2
	PermWrite    = 1 << 1
	PermInherit  = 1 << 0
)

// MasterID is the broker id of a broker group's master.
const MasterID int64 = 0

// DataVersion versions a broker's topic configuration; the broker bumps it on
// every change, and the name server skips re-reading an unchanged table.
type DataVersion struct {
	Timestamp int64 `json:"timestamp"`
	Counter   int64 `json:"counter"`
}

// TopicConfig is one topic as a broker reports it (Java TopicConfig).
type TopicConfig struct {
	TopicName       string `json:"topicName"`
	ReadQueueNums   int    `json:"readQueueNums"`
	WriteQueueNums  int    `json:"writeQueueNums"`
	Perm            int    `json:"perm"`
	TopicFilterType string `json:"topicFilterType"`
	TopicSysFlag    int    `json:"topicSysFlag"`
	Order           bool   `json:"order"`
}

// QueueData is a topic's queues on one broker group (Java QueueData).
type QueueData struct {
	BrokerName     string
	ReadQueueNums  int
	WriteQueueNums int
	Perm           int
	TopicSysFlag   int
}

// BrokerData is one broker group: its addresses by broker id (Java BrokerData).
type BrokerData struct {
	Cluster    string
	BrokerName string
	Addrs      map[int64]string
}

// TopicRoute is the answer to GET_ROUTEINFO_BY_TOPIC (Java TopicRouteData),
// with QueueDatas and BrokerDatas sorted by broker name.
type TopicRoute struct {
	OrderTopicConf    string
	QueueDatas        []QueueData
	BrokerDatas       []BrokerData
	FilterServerTable map[string][]string // broker address → filter servers
}

// Registration is one REGISTER_BROKER request, decoded.
type Registration struct {
	Cluster      string
	BrokerAddr   string
	BrokerName   string
	BrokerID     int64
	HAServerAddr string
	DataVersion  DataVersion
	// Topics is the broker's topic table; nil when the request had no body.
	Topics map[string]TopicConfig
	// FilterServers: nil leaves the table alone, empty clears the broker's
	// entry (Java's distinction between absent and empty).
	FilterServers []string
	// ConnID is the connection the registration arrived on; its close drops
	// the broker at once.
	ConnID uint64
	// Now is the name server's monotonic time at arrival.
	Now time.Duration
}

// RegisterResult tells a slave where its master is.
type RegisterResult struct {
	HAServerAddr string
	MasterAddr   string
}

// ClusterInfo is the answer to GET_BROKER_CLUSTER_INFO (Java ClusterInfo).
type ClusterInfo struct {
	Brokers  []BrokerData        // sorted by broker name
	Clusters map[string][]string // cluster → sorted broker names
}

// Live is what the table knows of a broker address's liveness.
type Live struct {
	Addr         string
	LastUpdate   time.Duration
	DataVersion  DataVersion
	ConnID       uint64
	HAServerAddr string
}
