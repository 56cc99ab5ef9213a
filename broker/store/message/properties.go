package message

import (
	"sort"
	"strings"
	"unicode/utf16"
)

// Separators of the properties string (Java MessageDecoder
// NAME_VALUE_SEPARATOR and PROPERTY_SEPARATOR).
const (
	NameValueSeparator = '\x01'
	PropertySeparator  = '\x02'
)

// Property names the store reads (Java MessageConst).
const (
	PropertyTags         = "TAGS"
	PropertyKeys         = "KEYS"
	PropertyUniqKey      = "UNIQ_KEY"
	PropertyDelayLevel   = "DELAY"
	PropertyRealTopic    = "REAL_TOPIC"
	PropertyRealQueueID  = "REAL_QID"
	PropertyWaitStoreOK  = "WAIT"
	PropertyTranPrepared = "TRAN_MSG"
	PropertyMinOffset    = "MIN_OFFSET"
	PropertyMaxOffset    = "MAX_OFFSET"
)

// KeySeparator separates several keys in the KEYS property.
const KeySeparator = " "

// ParseProperties splits a properties string into a map. Like the Java and
// Go clients, an item that is not exactly NAME\x01VALUE is dropped.
func ParseProperties(s string) map[string]string {
	// Sized for every item at once, and sliced without Split: a
	// consumer parses every message's properties, and the two Splits
	// allocated a slice per item.
	m := make(map[string]string, strings.Count(s, string(PropertySeparator))+1)
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		// Exactly one separator makes a pair; none or more, nothing.
		if i := strings.IndexByte(item, NameValueSeparator); i >= 0 && strings.IndexByte(item[i+1:], NameValueSeparator) < 0 {
			m[item[:i]] = item[i+1:]
		}
	}
	return m
}

// FormatProperties builds a properties string with a trailing separator,
// as Java writes it. Names are sorted so the same map always gives the same
// bytes (Go's map order is random; stored bytes must not be).
func FormatProperties(m map[string]string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	sort.Strings(names)
	var sb strings.Builder
	for _, k := range names {
		sb.WriteString(k)
		sb.WriteByte(NameValueSeparator)
		sb.WriteString(m[k])
		sb.WriteByte(PropertySeparator)
	}
	return sb.String()
}

// Property finds one property without building a map: the store reads TAGS,
// KEYS and UNIQ_KEY of every message it dispatches.
//
// It scans by hand (no iterator, no allocation): a put looks up five
// properties, and this was a visible share of a put's CPU.
func Property(s, name string) (string, bool) {
	for len(s) > 0 {
		item := s
		if i := strings.IndexByte(s, PropertySeparator); i >= 0 {
			item, s = s[:i], s[i+1:]
		} else {
			s = ""
		}
		if len(item) <= len(name) || item[len(name)] != NameValueSeparator || item[:len(name)] != name {
			continue
		}
		if v := item[len(name)+1:]; strings.IndexByte(v, NameValueSeparator) < 0 {
			return v, true
		}
	}
	return "", false
}

// RemoveProperty drops every NAME\x01VALUE item called name from a
// properties string and keeps the others in their order, so a re-put
// message differs from the one it was made from only where it must.
func RemoveProperty(props, name string) string {
	if _, ok := Property(props, name); !ok {
		return props
	}
	var b strings.Builder
	b.Grow(len(props))
	for item := range strings.SplitSeq(props, string(PropertySeparator)) {
		if item == "" {
			continue
		}
		if k, _, ok := strings.Cut(item, string(NameValueSeparator)); ok && k == name {
			continue
		}
		b.WriteString(item)
		b.WriteByte(PropertySeparator)
	}
	return b.String()
}

// SetProperty sets name to value, replacing an earlier value, keeping the
// other items in order (the new item goes last).
func SetProperty(props, name, value string) string {
	props = RemoveProperty(props, name)
	if props != "" && !strings.HasSuffix(props, string(PropertySeparator)) {
		props += string(PropertySeparator)
	}
	return props + name + string(NameValueSeparator) + value + string(PropertySeparator)
}

// TagsCode is the consume queue's tag hash: Java's String.hashCode of the
// TAGS value (31*h + UTF-16 unit), 0 for no tags
// (MessageExtBrokerInner.tagsString2tagsCode). Consumers compare it to the
// hash of their subscription's tags, so it must match Java's exactly.
func TagsCode(tags string) int64 { return int64(JavaHash(tags)) }

// JavaHash is Java's String.hashCode: 31*h + each UTF-16 code unit.
func JavaHash(s string) int32 { return JavaHashMore(0, s) }

// JavaHashMore continues a Java String.hashCode h over s: the hash of a+b
// is JavaHashMore(JavaHash(a), b), so a key joined from parts is hashed
// without building it.
func JavaHashMore(h int32, s string) int32 {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			// Not ASCII: hash the UTF-16 units Java would see.
			for _, u := range utf16.Encode([]rune(s[i:])) {
				h = 31*h + int32(u)
			}
			return h
		}
		h = 31*h + int32(s[i])
	}
	return h
}
