package topic

// DLQQueueNums is the queue count of a group's dead-letter topic
// (MixAll.DLQ_NUMS_PER_GROUP).
const DLQQueueNums = 1

// EnsureRetryTopic returns the group's %RETRY% topic, creating it readable
// and writable with retryQueueNums queues (the group's retryQueueNums) as
// consumerSendMsgBack does. created asks the caller to register.
func (t *Table) EnsureRetryTopic(group string, retryQueueNums int) (Config, bool, error) {
	return t.CreateInSendBack(RetryTopic(group), retryQueueNums, PermReadWrite, 0)
}

// EnsureDLQTopic returns the group's %DLQ% topic, creating it write-only with
// one queue: dead letters are kept, not delivered, until an operator makes
// the topic readable.
func (t *Table) EnsureDLQTopic(group string) (Config, bool, error) {
	return t.CreateInSendBack(DLQTopic(group), DLQQueueNums, PermWrite, 0)
}
