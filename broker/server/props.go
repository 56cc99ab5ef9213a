package server

import (
	"strings"

	"rocketsim/broker/store/message"
)

// withProperty returns props with name set to value, written as
// message.FormatProperties writes a map (keys sorted, each item
// "k\x01v\x02"), without building the map: it works only when props is
// already in that form, as our producer writes it, and reports false
// otherwise (the official Go client writes its map in random order), for
// the caller to parse and format. The send path adds CLUSTER to every
// message; parsing and formatting the properties was a tenth of the
// broker's CPU per send.
//
// When it reports true, the result equals
// FormatProperties(ParseProperties(props) with name=value).
func withProperty(props, name, value string) (string, bool) {
	// Walk the items, checking the canonical form, and find where name
	// goes: before the first key above it, or in place of its own item.
	at, end := -1, -1 // byte range of the item name replaces, or insertion point at==end
	prev := ""
	for i, first := 0, true; i < len(props); first = false {
		j := strings.IndexByte(props[i:], message.PropertySeparator)
		if j < 0 {
			return "", false // no trailing separator: ParseProperties would drop nothing, but Format adds one
		}
		item := props[i : i+j]
		k, v, ok := strings.Cut(item, string(message.NameValueSeparator))
		if !ok || strings.IndexByte(v, message.NameValueSeparator) >= 0 {
			return "", false // an item ParseProperties drops
		}
		if !first && k <= prev {
			return "", false // unsorted or repeated keys
		}
		prev = k
		if at < 0 {
			switch {
			case k == name:
				at, end = i, i+j+1
			case k > name:
				at, end = i, i
			}
		}
		i += j + 1
	}
	if at < 0 {
		at, end = len(props), len(props)
	}
	var b strings.Builder
	b.Grow(len(props) - (end - at) + len(name) + len(value) + 2)
	b.WriteString(props[:at])
	b.WriteString(name)
	b.WriteByte(message.NameValueSeparator)
	b.WriteString(value)
	b.WriteByte(message.PropertySeparator)
	b.WriteString(props[end:])
	return b.String(), true
}
