package remoting

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeJSONHeader parses a JSON command header. It is hand-written because
// it runs once per frame on the broker's hot path (encoding/json with a map
// of raw values cost ~20µs a header); FuzzJSONHeaderMatchesEncodingJSON
// checks it against encoding/json on arbitrary input.
//
// Accepted: one object; code (required), version, opaque and flag as
// integers in their Java ranges; language and remark as strings or null;
// extFields as an object of strings (numbers and booleans taken as their
// text, null as ""), or null; any other key with any JSON value, ignored.
// Duplicate keys: the last wins, as in encoding/json.
func decodeJSONHeader(data []byte) (*Command, error) {
	p := headerParser{data: data}
	cmd, err := p.header()
	if err != nil {
		return nil, fmt.Errorf("%w: bad JSON header: %w", ErrMalformed, err)
	}
	return cmd, nil
}

type headerParser struct {
	data []byte
	pos  int
}

var errEnd = errors.New("unexpected end of input")

func (p *headerParser) errorf(format string, args ...any) error {
	return fmt.Errorf("offset %d: %s", p.pos, fmt.Sprintf(format, args...))
}

func (p *headerParser) ws() {
	for p.pos < len(p.data) {
		switch p.data[p.pos] {
		case ' ', '\t', '\n', '\r':
			p.pos++
		default:
			return
		}
	}
}

// peek returns the next non-blank byte without consuming it.
func (p *headerParser) peek() (byte, error) {
	p.ws()
	if p.pos >= len(p.data) {
		return 0, errEnd
	}
	return p.data[p.pos], nil
}

func (p *headerParser) expect(c byte) error {
	b, err := p.peek()
	if err != nil {
		return err
	}
	if b != c {
		return p.errorf("want %q, found %q", c, b)
	}
	p.pos++
	return nil
}

// object walks an object, calling field for each key with the parser on its
// value.
func (p *headerParser) object(field func(key string) error) error {
	if err := p.expect('{'); err != nil {
		return err
	}
	if b, err := p.peek(); err != nil {
		return err
	} else if b == '}' {
		p.pos++
		return nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return err
		}
		if err := p.expect(':'); err != nil {
			return err
		}
		if err := field(key); err != nil {
			return err
		}
		b, err := p.peek()
		if err != nil {
			return err
		}
		p.pos++
		switch b {
		case ',':
		case '}':
			return nil
		default:
			p.pos--
			return p.errorf("want ',' or '}', found %q", b)
		}
	}
}

// headerKeys are the fields we read. Like encoding/json (and the Go
// client's jsoniter), keys match case-insensitively.
var headerKeys = []string{"code", "version", "opaque", "flag", "language", "remark", "extFields"}

func canonicalKey(key string) string {
	for _, k := range headerKeys {
		if key == k {
			return k
		}
	}
	for _, k := range headerKeys {
		if strings.EqualFold(key, k) {
			return k
		}
	}
	return ""
}

func (p *headerParser) header() (*Command, error) {
	cmd := &Command{}
	hasCode := false
	err := p.object(func(key string) error {
		var err error
		switch canonicalKey(key) {
		case "code":
			var n int64
			var null bool
			n, null, err = p.integer(-1<<15, 1<<15-1)
			cmd.Code, hasCode = int16(n), !null
		case "version":
			err = p.intField(func(n int64) { cmd.Version = int16(n) }, -1<<15, 1<<15-1)
		case "opaque":
			err = p.intField(func(n int64) { cmd.Opaque = int32(n) }, -1<<31, 1<<31-1)
		case "flag":
			err = p.intField(func(n int64) { cmd.Flag = int32(n) }, -1<<31, 1<<31-1)
		case "language":
			err = p.stringField(&cmd.Language)
		case "remark":
			err = p.stringField(&cmd.Remark)
		case "extFields":
			err = p.extFields(cmd)
		default:
			err = p.skip(0)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", key, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.pos != len(p.data) {
		return nil, p.errorf("trailing data after the object")
	}
	if !hasCode {
		return nil, errors.New("JSON header has no code")
	}
	return cmd, nil
}

// intField sets an integer field; null leaves it alone (encoding/json's rule).
func (p *headerParser) intField(set func(int64), lo, hi int64) error {
	n, null, err := p.integer(lo, hi)
	if err == nil && !null {
		set(n)
	}
	return err
}

// stringField sets a string field; null makes it "".
func (p *headerParser) stringField(dst *string) error {
	if null, err := p.isNull(); err != nil || null {
		if null {
			*dst = ""
		}
		return err
	}
	s, err := p.str()
	if err == nil {
		*dst = s
	}
	return err
}

func (p *headerParser) isNull() (bool, error) {
	b, err := p.peek()
	if err != nil {
		return false, err
	}
	if b != 'n' {
		return false, nil
	}
	return true, p.literal("null")
}

func (p *headerParser) literal(word string) error {
	if len(p.data)-p.pos < len(word) || string(p.data[p.pos:p.pos+len(word)]) != word {
		return p.errorf("invalid literal")
	}
	p.pos += len(word)
	return nil
}

// extFieldsOnStack is how many custom header entries extFields gathers
// in an array on its stack before it makes the map: the map is then made
// at its final size (a SEND_MESSAGE header has 14 entries, and a map grown
// past 8 by inserts was a tenth of the broker's CPU). More entries spill
// to the heap, nothing is lost.
const extFieldsOnStack = 24

// extField is one custom header entry on its way to the map.
type extField struct{ k, v string }

// extFields reads the custom header into cmd.ExtFields. A second extFields
// key adds to the first map and null clears it, as encoding/json does.
func (p *headerParser) extFields(cmd *Command) error {
	if null, err := p.isNull(); err != nil || null {
		if null {
			cmd.ExtFields = nil
		}
		return err
	}
	var buf [extFieldsOnStack]extField
	fields, err := p.extMembers(buf[:0])
	if err != nil {
		return err
	}
	m := cmd.ExtFields
	if m == nil {
		m = make(map[string]string, len(fields))
	}
	for _, f := range fields { // in order: a duplicate key's last value wins
		m[f.k] = f.v
	}
	cmd.ExtFields = m
	return nil
}

// extMembers reads the extFields object, appending its entries to fields.
// It is object() without the callback, so that fields stays on the
// caller's stack.
func (p *headerParser) extMembers(fields []extField) ([]extField, error) {
	if err := p.expect('{'); err != nil {
		return nil, err
	}
	if b, err := p.peek(); err != nil {
		return nil, err
	} else if b == '}' {
		p.pos++
		return fields, nil
	}
	for {
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		if err := p.expect(':'); err != nil {
			return nil, err
		}
		v, err := p.extValue(key)
		if err != nil {
			return nil, err
		}
		fields = append(fields, extField{key, v})
		b, err := p.peek()
		if err != nil {
			return nil, err
		}
		p.pos++
		switch b {
		case ',':
		case '}':
			return fields, nil
		default:
			p.pos--
			return nil, p.errorf("want ',' or '}', found %q", b)
		}
	}
}

// extValue reads one custom header value: a string, or a number or
// boolean taken as its text, or null as "".
func (p *headerParser) extValue(key string) (string, error) {
	b, err := p.peek()
	if err != nil {
		return "", fmt.Errorf("extFields %q: %w", key, err)
	}
	var v string
	switch {
	case b == '"':
		v, err = p.str()
	case b == 'n':
		err = p.literal("null")
	case b == 't':
		v, err = "true", p.literal("true")
	case b == 'f':
		v, err = "false", p.literal("false")
	case b == '-' || (b >= '0' && b <= '9'):
		start := p.pos
		err = p.number()
		v = string(p.data[start:p.pos])
	default:
		err = p.errorf("value of %q is not a string", key)
	}
	if err != nil {
		return "", fmt.Errorf("extFields %q: %w", key, err)
	}
	return v, nil
}

// integer reads null or a JSON number that must be an integer within
// [lo, hi].
func (p *headerParser) integer(lo, hi int64) (n int64, null bool, err error) {
	if null, err := p.isNull(); err != nil || null {
		return 0, null, err
	}
	start := p.pos
	if err := p.number(); err != nil {
		return 0, false, err
	}
	n, err = strconv.ParseInt(string(p.data[start:p.pos]), 10, 64)
	if err != nil || n < lo || n > hi {
		return 0, false, fmt.Errorf("number %s is not an integer in [%d, %d]", p.data[start:p.pos], lo, hi)
	}
	return n, false, nil
}

// number consumes a JSON number (RFC 8259 grammar).
func (p *headerParser) number() error {
	d := p.data
	i := p.pos
	if i < len(d) && d[i] == '-' {
		i++
	}
	switch {
	case i < len(d) && d[i] == '0':
		i++
	case i < len(d) && d[i] >= '1' && d[i] <= '9':
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	default:
		return p.errorf("invalid number")
	}
	if i < len(d) && d[i] == '.' {
		i++
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return p.errorf("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	if i < len(d) && (d[i] == 'e' || d[i] == 'E') {
		i++
		if i < len(d) && (d[i] == '+' || d[i] == '-') {
			i++
		}
		if i >= len(d) || d[i] < '0' || d[i] > '9' {
			return p.errorf("invalid number")
		}
		for i < len(d) && d[i] >= '0' && d[i] <= '9' {
			i++
		}
	}
	p.pos = i
	return nil
}

// knownKeys are the header's own field names and the extFields keys of
// the frequent requests and responses (send, pull, offsets). A key among
// them, written without escapes, is returned as this table's string
// instead of a new one: a send's header has 14 of them, each an
// allocation on the broker's hot path otherwise.
var knownKeys = func() map[string]string {
	names := []string{
		// Command
		"code", "extFields", "flag", "language", "opaque", "remark", "serializeTypeCurrentRPC", "version",
		// SendMessageRequestHeader, then its V2 one-letter aliases
		"producerGroup", "topic", "defaultTopic", "defaultTopicQueueNums", "queueId", "sysFlag",
		"bornTimestamp", "properties", "reconsumeTimes", "unitMode", "maxReconsumeTimes", "batch", "bname",
		"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n",
		// SendMessageResponseHeader
		"msgId", "queueOffset", "transactionId", "MSG_REGION", "TRACE_ON", "batchUniqId",
		// PullMessageRequestHeader and its response
		"consumerGroup", "maxMsgNums", "commitOffset", "suspendTimeoutMillis", "subscription", "subVersion",
		"expressionType", "suggestWhichBrokerId", "nextBeginOffset", "minOffset", "maxOffset",
		// offsets and heartbeats
		"offset", "clientID", "brokerName",
	}
	m := make(map[string]string, len(names))
	for _, n := range names {
		m[n] = n
	}
	return m
}()

// key reads an object key: a known one without escapes comes from
// knownKeys, anything else from str.
func (p *headerParser) key() (string, error) {
	if err := p.expect('"'); err != nil {
		return "", err
	}
	start := p.pos
	for i := start; i < len(p.data); i++ {
		c := p.data[i]
		if c == '"' {
			if k, ok := knownKeys[string(p.data[start:i])]; ok { // no allocation: Go looks up []byte keys in place
				p.pos = i + 1
				return k, nil
			}
			break
		}
		if c == '\\' || c < 0x20 || c >= utf8.RuneSelf {
			break
		}
	}
	p.pos = start - 1 // str reads the string again, quote included
	return p.str()
}

// str reads a JSON string. Text without escapes is sliced; escapes are
// decoded here (the Go client's properties header is full of \u0001 and
// \u0002), with encoding/json's rules for bad surrogates and invalid UTF-8
// (each becomes U+FFFD).
func (p *headerParser) str() (string, error) {
	if err := p.expect('"'); err != nil {
		return "", err
	}
	start := p.pos
	for i := start; i < len(p.data); i++ {
		switch c := p.data[i]; {
		case c == '"':
			p.pos = i + 1
			// One string per value, not substrings of one string of the
			// header: most values are short enough for the runtime's tiny
			// allocator, and a send's answer decoded faster this way.
			if raw := p.data[start:i]; utf8.Valid(raw) {
				return string(raw), nil
			}
			return string(appendValidUTF8(nil, p.data[start:i])), nil
		case c == '\\':
			return p.unescape(start, i)
		case c < 0x20:
			return "", p.errorf("control character in string")
		}
	}
	return "", errEnd
}

// unescapeOnStack is the decoded length unescape builds on its stack
// before the heap: the properties header of a send, full of \u0001 and
// \u0002, is usually shorter, and then its one allocation is the string.
const unescapeOnStack = 512

// unescape decodes the rest of a string whose first escape is at i.
func (p *headerParser) unescape(start, i int) (string, error) {
	d := p.data
	var buf [unescapeOnStack]byte
	out := appendValidUTF8(buf[:0], d[start:i])
	for i < len(d) {
		c := d[i]
		switch {
		case c == '"':
			p.pos = i + 1
			return string(out), nil
		case c < 0x20:
			p.pos = i
			return "", p.errorf("control character in string")
		case c != '\\':
			j := i
			for j < len(d) && d[j] != '"' && d[j] != '\\' && d[j] >= 0x20 {
				j++
			}
			out = appendValidUTF8(out, d[i:j])
			i = j
			continue
		}
		if i+1 >= len(d) {
			return "", errEnd
		}
		switch e := d[i+1]; e {
		case '"', '\\', '/':
			out = append(out, e)
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'n':
			out = append(out, '\n')
		case 'r':
			out = append(out, '\r')
		case 't':
			out = append(out, '\t')
		case 'u':
			r, ok := hex4(d, i+2)
			if !ok {
				p.pos = i
				return "", p.errorf("invalid \\u escape")
			}
			i += 6
			if utf16.IsSurrogate(r) {
				// A high surrogate pairs with a following \uDC00-\uDFFF;
				// anything else makes it U+FFFD, the next escape read anew.
				if i+1 < len(d) && d[i] == '\\' && d[i+1] == 'u' {
					if r2, ok := hex4(d, i+2); ok {
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							out = utf8.AppendRune(out, dec)
							i += 6
							continue
						}
					}
				}
				r = utf8.RuneError
			}
			out = utf8.AppendRune(out, r)
			continue
		default:
			p.pos = i
			return "", p.errorf("invalid escape \\%c", e)
		}
		i += 2
	}
	return "", errEnd
}

func hex4(d []byte, i int) (rune, bool) {
	if i+4 > len(d) {
		return 0, false
	}
	var r rune
	for _, c := range d[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// appendValidUTF8 copies b, replacing each invalid byte with U+FFFD.
func appendValidUTF8(out, b []byte) []byte {
	if utf8.Valid(b) { // nearly always: one copy, not a rune at a time
		return append(out, b...)
	}
	for len(b) > 0 {
		r, size := utf8.DecodeRune(b)
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, b[:size]...)
		}
		b = b[size:]
	}
	return out
}

// skipDepthMax bounds the nesting of an ignored value, so a hostile header
// cannot recurse without limit.
const skipDepthMax = 64

// skip consumes any JSON value.
func (p *headerParser) skip(depth int) error {
	if depth > skipDepthMax {
		return p.errorf("nesting deeper than %d", skipDepthMax)
	}
	b, err := p.peek()
	if err != nil {
		return err
	}
	switch {
	case b == '{':
		return p.object(func(string) error { return p.skip(depth + 1) })
	case b == '[':
		p.pos++
		if c, err := p.peek(); err != nil {
			return err
		} else if c == ']' {
			p.pos++
			return nil
		}
		for {
			if err := p.skip(depth + 1); err != nil {
				return err
			}
			c, err := p.peek()
			if err != nil {
				return err
			}
			p.pos++
			if c == ']' {
				return nil
			}
			if c != ',' {
				p.pos--
				return p.errorf("want ',' or ']', found %q", c)
			}
		}
	case b == '"':
		_, err := p.str()
		return err
	case b == 't':
		return p.literal("true")
	case b == 'f':
		return p.literal("false")
	case b == 'n':
		return p.literal("null")
	case b == '-' || (b >= '0' && b <= '9'):
		return p.number()
	}
	return p.errorf("unexpected %q", b)
}
