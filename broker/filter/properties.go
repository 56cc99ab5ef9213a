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

// lookupProperty finds one property without building the map: the tag
// filter reads only TAGS, on every message of a pull.
func lookupProperty(s, name string) (string, bool) {
	var value string
	found := false
	for item := range strings.SplitSeq(s, string(propertySeparator)) {
		if n, v, ok := strings.Cut(item, string(nameValueSeparator)); ok && n == name {
			value, found = v, true
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
		return f.sql.Match(DecodeProperties(properties))
	}
	tag, _ := lookupProperty(properties, PropertyTags)
	return f.MatchMessage(tag, nil)
}
