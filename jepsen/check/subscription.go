package check

import "strings"

// subscription is one group's filter on one topic.
type subscription struct {
	all     bool
	tags    map[string]bool
	unknown bool // an expression the checker does not evaluate
}

func parseSubscription(entry string) (string, *subscription) {
	topic, expr, found := strings.Cut(entry, ":")
	expr = strings.TrimSpace(expr)
	if !found || expr == "" || expr == "*" {
		return topic, &subscription{all: true}
	}
	sub := &subscription{tags: map[string]bool{}}
	for _, t := range strings.Split(expr, "||") {
		t = strings.TrimSpace(t)
		if t == "" || strings.ContainsAny(t, " ()=<>'") {
			return topic, &subscription{unknown: true}
		}
		sub.tags[t] = true
	}
	return topic, sub
}

// requires reports whether a message with tags must reach the group; nil
// (not subscribed) requires nothing.
func (s *subscription) requires(tags string) bool {
	switch {
	case s == nil || s.unknown:
		return false
	case s.all:
		return true
	}
	return s.tags[tags]
}
