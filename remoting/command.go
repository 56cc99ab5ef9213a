package remoting

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// Flag bits of Command.Flag (Java RemotingCommand RPC_TYPE and RPC_ONEWAY).
const (
	FlagResponse int32 = 1 << 0
	FlagOneway   int32 = 1 << 1
)

// Language names as Java's LanguageCode enum spells them in JSON headers.
const (
	LanguageJava = "JAVA"
	LanguageGo   = "GO"
)

// VersionDefault is the version our commands carry: MQVersion V4_9_8's
// ordinal, the Java release whose protocol we follow. Peers read it only for
// feature gates (e.g. a name server answers standard JSON to >= V4_9_4).
const VersionDefault int16 = 409

// VersionV4_9_4 is MQVersion V4_9_4's ordinal. Java's name server writes
// standard JSON route data (quoted integer keys) to requests at or above it.
const VersionV4_9_4 int16 = 401

// Command is one remoting command: a request or a response. ExtFields is the
// "custom header"; on the wire every value is a JSON string.
type Command struct {
	Code      int16
	Language  string
	Version   int16
	Opaque    int32
	Flag      int32
	Remark    string
	ExtFields map[string]string
	// ExtList is the custom header of a command built the same way many
	// times (a producer's sends), as entries sorted by key with no key
	// twice: Encode writes it when ExtFields is nil, without a map to
	// fill and look up. Decode never sets it; Ext, ExtInt64, ExtBool and
	// SetExt see it.
	ExtList []Field
	Body    []byte
}

// Field is one custom header entry.
type Field struct{ Key, Value string }

// NewRequest builds a request with code and the given custom header. The
// endpoint assigns Opaque when it sends it.
func NewRequest(code int16, ext map[string]string) *Command {
	if ext == nil {
		ext = map[string]string{}
	}
	return &Command{Code: code, Language: LanguageGo, Version: VersionDefault, ExtFields: ext}
}

// NewResponse builds the response to req: same opaque, response bit set.
func NewResponse(req *Command, code int16, remark string) *Command {
	return &Command{
		Code:      code,
		Language:  LanguageGo,
		Version:   VersionDefault,
		Opaque:    req.Opaque,
		Flag:      FlagResponse,
		Remark:    remark,
		ExtFields: map[string]string{},
	}
}

// IsResponse reports whether the response bit is set.
func (c *Command) IsResponse() bool { return c.Flag&FlagResponse != 0 }

// IsOneway reports whether the oneway bit is set. The Go client never sets
// it, even for its oneway calls; a reply to those is harmless.
func (c *Command) IsOneway() bool { return c.Flag&FlagOneway != 0 }

// Ext returns the custom header value for key, "" when absent.
func (c *Command) Ext(key string) string {
	v, _ := c.ext(key)
	return v
}

func (c *Command) ext(key string) (string, bool) {
	if c.ExtFields == nil && c.ExtList != nil {
		for _, f := range c.ExtList {
			if f.Key == key {
				return f.Value, true
			}
		}
		return "", false
	}
	v, ok := c.ExtFields[key]
	return v, ok
}

// SetExt sets a custom header value, creating the map when needed (an
// ExtList moves into it).
func (c *Command) SetExt(key, value string) {
	if c.ExtFields == nil {
		c.ExtFields = make(map[string]string, len(c.ExtList)+1)
		for _, f := range c.ExtList {
			c.ExtFields[f.Key] = f.Value
		}
		c.ExtList = nil
	}
	c.ExtFields[key] = value
}

// ExtInt64 parses a custom header value as a decimal integer; the error names
// the key, so a handler can put it straight into a response remark.
func (c *Command) ExtInt64(key string) (int64, error) {
	v, ok := c.ext(key)
	if !ok {
		return 0, fmt.Errorf("header field %q missing", key)
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
	if err != nil {
		return 0, fmt.Errorf("header field %q=%q: %w", key, v, err)
	}
	return n, nil
}

// ExtBool parses a custom header value as Java's Boolean.parseBoolean does:
// "true" in any case is true, everything else (absent included) is false.
func (c *Command) ExtBool(key string) bool {
	return strings.EqualFold(strings.TrimSpace(c.Ext(key)), "true")
}

// String is a short description for logs.
func (c *Command) String() string {
	kind := "request"
	if c.IsResponse() {
		kind = "response"
	}
	keys := make([]string, 0, len(c.ExtFields)+len(c.ExtList))
	for k := range c.ExtFields {
		keys = append(keys, k)
	}
	if c.ExtFields == nil {
		for _, f := range c.ExtList {
			keys = append(keys, f.Key)
		}
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%s code=%d opaque=%d flag=%d", kind, c.Code, c.Opaque, c.Flag)
	if c.Remark != "" {
		fmt.Fprintf(&b, " remark=%q", c.Remark)
	}
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%q", k, c.Ext(k))
	}
	fmt.Fprintf(&b, " body=%dB", len(c.Body))
	return b.String()
}
