// Package client holds the broker's view of its clients: which producer and
// consumer groups each connection belongs to, what each consumer group
// subscribes to, and when each connection last sent a heartbeat (RocketMQ's
// ProducerManager and ConsumerManager).
//
// It is plain data on the broker's event loop: times are the node's monotonic
// clock passed in by the caller, and every listing is sorted so that nothing
// observable depends on map order.
package client

import (
	"encoding/json"
	"fmt"

	"rocketsim/broker/filter"
)

// Heartbeat is the HEART_BEAT (34) body, Java's HeartbeatData.
type Heartbeat struct {
	ClientID        string         `json:"clientID"`
	ProducerDataSet []ProducerData `json:"producerDataSet"`
	ConsumerDataSet []ConsumerData `json:"consumerDataSet"`
}

// ProducerData names a producer group a client belongs to.
type ProducerData struct {
	GroupName string `json:"groupName"`
}

// ConsumerData is one consumer group of a client with its subscriptions.
type ConsumerData struct {
	GroupName           string                    `json:"groupName"`
	ConsumeType         string                    `json:"consumeType"`
	MessageModel        string                    `json:"messageModel"`
	ConsumeFromWhere    string                    `json:"consumeFromWhere"`
	SubscriptionDataSet []filter.SubscriptionData `json:"subscriptionDataSet"`
	UnitMode            bool                      `json:"unitMode"`
}

// Message models, as clients spell them.
const (
	Clustering   = "CLUSTERING"
	Broadcasting = "BROADCASTING"
)

// HeartbeatBodyMax bounds a heartbeat body: a client with thousands of
// subscriptions still fits; anything larger is refused rather than parsed.
const HeartbeatBodyMax = 4 << 20

// DecodeHeartbeat parses a heartbeat body.
func DecodeHeartbeat(body []byte) (Heartbeat, error) {
	var hb Heartbeat
	if len(body) > HeartbeatBodyMax {
		return hb, fmt.Errorf("heartbeat body of %d bytes exceeds %d", len(body), HeartbeatBodyMax)
	}
	if err := json.Unmarshal(body, &hb); err != nil {
		return hb, fmt.Errorf("heartbeat body: %w", err)
	}
	if hb.ClientID == "" {
		return hb, fmt.Errorf("heartbeat without clientID")
	}
	return hb, nil
}
