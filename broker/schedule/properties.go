package schedule

import (
	"strings"

	"rocketsim/broker/store/message"
)

// removeProperty drops every NAME\x01VALUE item called name from a
// properties string and keeps the others in their order, so a re-put
// message differs from the parked one only where it must.
func removeProperty(props, name string) string {
	if _, ok := message.Property(props, name); !ok {
		return props
	}
	var b strings.Builder
	b.Grow(len(props))
	for item := range strings.SplitSeq(props, string(message.PropertySeparator)) {
		if item == "" {
			continue
		}
		if k, _, ok := strings.Cut(item, string(message.NameValueSeparator)); ok && k == name {
			continue
		}
		b.WriteString(item)
		b.WriteByte(message.PropertySeparator)
	}
	return b.String()
}
