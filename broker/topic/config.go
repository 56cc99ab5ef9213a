// Package topic holds the broker's topic table: each topic's queue counts,
// permission and flags, persisted as RocketMQ's topics.json, with the system
// topics a broker creates at start and auto-creation from TBW102.
package topic

import "fmt"

// Filter types of a topic (TopicFilterType); informational in RocketMQ 4.x.
const (
	SingleTag = "SINGLE_TAG"
	MultiTag  = "MULTI_TAG"
)

// Config is one topic's configuration, RocketMQ's TopicConfig. Fields are
// declared in the order fastjson writes them (alphabetical), so our files
// diff cleanly against Java's.
type Config struct {
	Order           bool   `json:"order"`
	Perm            int    `json:"perm"`
	ReadQueueNums   int    `json:"readQueueNums"`
	TopicFilterType string `json:"topicFilterType"`
	TopicName       string `json:"topicName"`
	TopicSysFlag    int    `json:"topicSysFlag"`
	WriteQueueNums  int    `json:"writeQueueNums"`
}

// NewConfig returns TopicConfig's defaults: 16 read and write queues,
// read|write, single tag.
func NewConfig(name string) Config {
	return Config{
		TopicName:       name,
		ReadQueueNums:   DefaultQueueNums,
		WriteQueueNums:  DefaultQueueNums,
		Perm:            PermReadWrite,
		TopicFilterType: SingleTag,
	}
}

// Validate checks what an admin may set.
func (c Config) Validate() error {
	if err := ValidateName(c.TopicName); err != nil {
		return err
	}
	if c.ReadQueueNums < 0 || c.ReadQueueNums > MaxQueueNums {
		return fmt.Errorf("topic %s: readQueueNums %d out of 0..%d", c.TopicName, c.ReadQueueNums, MaxQueueNums)
	}
	if c.WriteQueueNums < 0 || c.WriteQueueNums > MaxQueueNums {
		return fmt.Errorf("topic %s: writeQueueNums %d out of 0..%d", c.TopicName, c.WriteQueueNums, MaxQueueNums)
	}
	if c.Perm < 0 || c.Perm > PermPriority|PermReadWrite|PermInherit {
		return fmt.Errorf("topic %s: perm %d is not a combination of PermName bits", c.TopicName, c.Perm)
	}
	switch c.TopicFilterType {
	case SingleTag, MultiTag:
	default:
		return fmt.Errorf("topic %s: topicFilterType %q: want %s or %s", c.TopicName, c.TopicFilterType, SingleTag, MultiTag)
	}
	return nil
}
