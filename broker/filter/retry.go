package filter

// PropertyRetryTopic is the message property that holds a retried
// message's original topic (MessageConst.PROPERTY_RETRY_TOPIC).
const PropertyRetryTopic = "RETRY_TOPIC"

// MatchRetry decides a message pulled from a group's %RETRY% topic when the
// broker runs with filterSupportRetry: the message must pass the SQL92
// filter the group uses on the message's original topic, as
// ExpressionForRetryMessageFilter does. lookup returns the group's compiled
// filter for a topic, or nil when it has none; a message whose original
// topic is unknown, or whose group filters that topic by tag (which the
// consume-queue stage of the original topic already applied), matches.
func MatchRetry(props map[string]string, lookup func(topic string) *Filter) bool {
	real, ok := props[PropertyRetryTopic]
	if !ok {
		return true
	}
	f := lookup(real)
	if f == nil || f.sql == nil {
		return true
	}
	return f.sql.Match(props)
}
