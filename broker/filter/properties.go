package filter

import "strings"

// Message properties are stored as NAME\x01VALUE\x02NAME\x01VALUE\x02...
// (MessageDecoder's separators).
const (
	nameValueSeparator = '\x01'
	propertySeparator  = '\x02'
)

// PropertyTags is the property that holds a message's tag.
const PropertyTags = "TAGS"

// DecodeProperties parses a stored properties string. An item without a
// separator is skipped; a later duplicate wins.
func DecodeProperties(s string) map[string]string {
	m := make(map[string]string, strings.Count(s, string(propertySeparator))+1)
	for item := range strings.SplitSeq(s, string(propertySeparator)) {
		name, value, ok := strings.Cut(item, string(nameValueSeparator))
		if ok && name != "" {
			m[name] = value
		}
	}
	return m
}

// lookupProperty finds one property in place, without allocating: filters
// read one or a few properties of every message a pull scans. A later
// duplicate wins, as in DecodeProperties.
func lookupProperty(s, name string) (string, bool) {
	var value string
	found := false
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, propertySeparator); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if len(item) > len(name) && item[len(name)] == nameValueSeparator && item[:len(name)] == name {
			value, found = item[len(name)+1:], true
		}
	}
	return value, found
}

// MatchProperties is MatchMessage on a message's stored properties string,
// so a *Filter serves as the store's pull filter.
func (f *Filter) MatchProperties(properties string) bool {
	switch {
	case f.all:
		return true
	case f.sql != nil:
		return f.sql.MatchWith(func(name string) (string, bool) { return lookupProperty(properties, name) })
	}
	tag, _ := lookupProperty(properties, PropertyTags)
	return f.MatchMessage(tag, nil)
}
