// Package subscription holds the broker's consumer-group table: each
// group's consumption switches and retry policy (RocketMQ's
// SubscriptionGroupConfig), persisted as subscriptionGroup.json, with
// auto-creation on first use when autoCreateSubscriptionGroup is on.
package subscription

import (
	"errors"
	"fmt"
	"strings"
)

// Group is one consumer group's configuration. Fields are declared in the
// order fastjson writes them (alphabetical).
type Group struct {
	// BrokerID is the broker consumers are steered to (0, the master).
	BrokerID int64 `json:"brokerId"`
	// ConsumeBroadcastEnable allows broadcasting consumption.
	ConsumeBroadcastEnable bool `json:"consumeBroadcastEnable"`
	// ConsumeEnable allows the group to pull at all.
	ConsumeEnable        bool   `json:"consumeEnable"`
	ConsumeFromMinEnable bool   `json:"consumeFromMinEnable"`
	GroupName            string `json:"groupName"`
	// NotifyConsumerIdsChangedEnable tells members when membership changes.
	NotifyConsumerIdsChangedEnable bool `json:"notifyConsumerIdsChangedEnable"`
	// RetryMaxTimes is how often a message is redelivered before it goes to
	// the group's dead-letter topic (16: the delay levels from 3 upward).
	RetryMaxTimes int `json:"retryMaxTimes"`
	// RetryQueueNums is the queue count of the group's %RETRY% topic.
	RetryQueueNums int `json:"retryQueueNums"`
	// WhichBrokerWhenConsumeSlowly is the slave consumers are sent to when
	// they fall behind.
	WhichBrokerWhenConsumeSlowly int64 `json:"whichBrokerWhenConsumeSlowly"`
}

// Defaults of SubscriptionGroupConfig.
const (
	DefaultRetryQueueNums = 1
	DefaultRetryMaxTimes  = 16
	// MaxRetryQueueNums bounds retryQueueNums like a topic's queue count.
	MaxRetryQueueNums = 1024
	// MaxNameLength is the clients' bound on a group name (Validators).
	MaxNameLength = 255
)

// NewGroup returns SubscriptionGroupConfig's defaults for name.
func NewGroup(name string) Group {
	return Group{
		GroupName:                      name,
		ConsumeEnable:                  true,
		ConsumeFromMinEnable:           true,
		ConsumeBroadcastEnable:         true,
		RetryQueueNums:                 DefaultRetryQueueNums,
		RetryMaxTimes:                  DefaultRetryMaxTimes,
		BrokerID:                       0,
		WhichBrokerWhenConsumeSlowly:   1,
		NotifyConsumerIdsChangedEnable: true,
	}
}

// ErrBadName is returned for group names clients would refuse.
var ErrBadName = errors.New("invalid consumer group name")

// ValidateName applies the clients' rule (Validators.checkGroup): not
// empty, at most 255 characters of letters, digits, '%', '|', '-', '_'.
func ValidateName(name string) error {
	if name == "" {
		return fmt.Errorf("%w: empty", ErrBadName)
	}
	if len(name) > MaxNameLength {
		return fmt.Errorf("%w: %d characters, at most %d allowed", ErrBadName, len(name), MaxNameLength)
	}
	if i := strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '%' || r == '|' || r == '-' || r == '_')
	}); i >= 0 {
		return fmt.Errorf("%w: %q contains %q; allowed are letters, digits, %%, |, - and _", ErrBadName, name, name[i:i+1])
	}
	return nil
}

// Validate checks what an admin may set.
func (g Group) Validate() error {
	if err := ValidateName(g.GroupName); err != nil {
		return err
	}
	if g.RetryQueueNums < 0 || g.RetryQueueNums > MaxRetryQueueNums {
		return fmt.Errorf("group %s: retryQueueNums %d out of 0..%d", g.GroupName, g.RetryQueueNums, MaxRetryQueueNums)
	}
	if g.RetryMaxTimes < 0 {
		return fmt.Errorf("group %s: retryMaxTimes %d is negative", g.GroupName, g.RetryMaxTimes)
	}
	if g.BrokerID < 0 || g.WhichBrokerWhenConsumeSlowly < 0 {
		return fmt.Errorf("group %s: broker ids must be >= 0", g.GroupName)
	}
	return nil
}

// System consumer groups, MixAll's names; a broker creates them at start.
const (
	ToolsConsumerGroup       = "TOOLS_CONSUMER"
	FiltersrvConsumerGroup   = "FILTERSRV_CONSUMER"
	SelfTestConsumerGroup    = "SELF_TEST_C_GROUP"
	OnsHTTPProxyGroup        = "CID_ONS-HTTP-PROXY"
	OnsAPIPullGroup          = "CID_ONSAPI_PULL"
	OnsAPIPermissionGroup    = "CID_ONSAPI_PERMISSION"
	OnsAPIOwnerGroup         = "CID_ONSAPI_OWNER"
	SysRMQTransGroup         = "CID_RMQ_SYS_TRANS"
	SysConsumerGroupPrefix   = "CID_RMQ_SYS_"
	DefaultConsumerGroup     = "DEFAULT_CONSUMER"
	ClientInnerProducerGroup = "CLIENT_INNER_PRODUCER"
)

// systemGroups are the groups SubscriptionGroupManager creates at start
// (rocketmq-all-4.9.8); CID_RMQ_SYS_TRANS is created on first use.
var systemGroups = []string{
	ToolsConsumerGroup, FiltersrvConsumerGroup, SelfTestConsumerGroup, OnsHTTPProxyGroup,
	OnsAPIPullGroup, OnsAPIPermissionGroup, OnsAPIOwnerGroup,
}

// IsSystemGroup reports whether group is reserved by RocketMQ; such groups
// are created on use even when autoCreateSubscriptionGroup is off.
func IsSystemGroup(group string) bool { return strings.HasPrefix(group, SysConsumerGroupPrefix) }
