package filter

import (
	"fmt"

	"rocketsim/broker/filter/sql92"
)

// Filter is a compiled subscription: what the pull path asks per message.
// It is immutable; the broker caches it per (group, topic, SubVersion).
type Filter struct {
	sub   SubscriptionData
	all   bool
	codes map[int32]bool
	tags  map[string]bool
	sql   *sql92.Expr
}

// Compile checks a subscription and prepares it for matching. SQL92 needs
// enablePropertyFilter. A TAG subscription's codes are recomputed from its
// tags (see TagsHash), so a client that hashed differently still gets its
// messages.
func Compile(sub SubscriptionData, enablePropertyFilter bool) (*Filter, error) {
	f := &Filter{sub: sub}
	switch {
	case IsTagType(sub.ExpressionType):
		if IsSubAll(sub.SubString) {
			f.all = true
			break
		}
		// SubString is the source of truth, as when RocketMQ rebuilds the
		// subscription from a pull request. Only separators ("||") leave no
		// tag: RocketMQ refuses that ("subString split error"), or with
		// blanks between them silently matches nothing; we refuse both.
		tags := ParseTags(sub.SubString)
		if len(tags) == 0 {
			return nil, fmt.Errorf("%w: topic %s: tag expression %q names no tag", ErrParse, sub.Topic, sub.SubString)
		}
		f.tags = make(map[string]bool, len(tags))
		f.codes = make(map[int32]bool, len(tags))
		for _, t := range tags {
			f.tags[t] = true
			f.codes[int32(TagsHash(t))] = true
		}
	case sub.ExpressionType == TypeSQL92:
		if !enablePropertyFilter {
			return nil, fmt.Errorf("%w %s (enablePropertyFilter is false)", ErrUnsupportedType, sub.ExpressionType)
		}
		e, err := sql92.Compile(sub.SubString)
		if err != nil {
			return nil, fmt.Errorf("%w: topic %s: %w", ErrParse, sub.Topic, err)
		}
		f.sql = e
	default:
		return nil, fmt.Errorf("%w %q", ErrUnsupportedType, sub.ExpressionType)
	}
	return f, nil
}

// Subscription returns the subscription the filter was compiled from.
func (f *Filter) Subscription() SubscriptionData { return f.sub }

// IsSQL92 reports whether the filter needs message properties.
func (f *Filter) IsSQL92() bool { return f.sql != nil }

// MatchTagsCode is the consume-queue stage: a cheap test on the tags code
// stored in the entry, before the message is read. Hash collisions pass;
// MatchMessage drops them. SQL92 subscriptions pass everything here (there
// is no bloom filter in this broker).
func (f *Filter) MatchTagsCode(code int64) bool {
	if f.all || f.sql != nil {
		return true
	}
	return f.codes[int32(code)]
}

// MatchMessage is the delivery stage, on the message itself: the exact tag
// for TAG subscriptions (a message without tags matches only SubAll), the
// selector over the properties for SQL92 (a failed evaluation does not
// match). props may be nil for TAG subscriptions.
func (f *Filter) MatchMessage(tag string, props map[string]string) bool {
	switch {
	case f.all:
		return true
	case f.sql != nil:
		return f.sql.Match(props)
	}
	return tag != "" && f.tags[tag]
}
