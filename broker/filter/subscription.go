package filter

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
)

// Expression types, as clients send them in SubscriptionData.expressionType.
const (
	TypeTag   = "TAG"
	TypeSQL92 = "SQL92"
)

// IsTagType reports whether typ means TAG: old clients send nothing.
func IsTagType(typ string) bool { return typ == "" || typ == TypeTag }

// SubscriptionData is one topic subscription of a consumer group, with the
// JSON shape clients send in heartbeats and pull requests carry in pieces.
type SubscriptionData struct {
	Topic     string `json:"topic"`
	SubString string `json:"subString"`
	// TagsSet and CodeSet hold the tags of a TAG expression and their
	// hashes; both empty for SubAll and for SQL92.
	TagsSet []string `json:"tagsSet"`
	CodeSet CodeSet  `json:"codeSet"`
	// SubVersion orders updates of one subscription; clients use their
	// clock in milliseconds.
	SubVersion     int64  `json:"subVersion"`
	ExpressionType string `json:"expressionType"`
	// ClassFilterMode is the removed class filter; always false here.
	ClassFilterMode bool `json:"classFilterMode"`
}

// MarshalJSON writes empty sets as [] rather than null: Java consumers
// iterate tagsSet and codeSet without a null check.
func (s SubscriptionData) MarshalJSON() ([]byte, error) {
	type plain SubscriptionData // no MarshalJSON: no recursion
	p := plain(s)
	if p.TagsSet == nil {
		p.TagsSet = []string{}
	}
	if p.CodeSet == nil {
		p.CodeSet = CodeSet{}
	}
	return json.Marshal(p)
}

// NewSubscription builds the SubscriptionData a client would send for
// (topic, expr, typ) at version, as FilterAPI.build does: a TAG expression
// is split into tags and hashed; "" and "*" become SubAll. It does not check
// an SQL92 expression: Compile does.
func NewSubscription(topic, expr, typ string, version int64) (*SubscriptionData, error) {
	if typ == "" {
		typ = TypeTag
	}
	s := &SubscriptionData{Topic: topic, SubString: expr, SubVersion: version, ExpressionType: typ}
	switch typ {
	case TypeTag:
		if IsSubAll(expr) {
			s.SubString = SubAll
			return s, nil
		}
		s.TagsSet = ParseTags(expr)
		if len(s.TagsSet) == 0 {
			return nil, fmt.Errorf("%w: topic %s: tag expression %q names no tag", ErrParse, topic, expr)
		}
		s.CodeSet = codesOf(s.TagsSet)
	case TypeSQL92:
		if expr == "" {
			return nil, fmt.Errorf("%w: empty SQL92 expression for topic %s", ErrParse, topic)
		}
	default:
		return nil, fmt.Errorf("%w: %q", ErrUnsupportedType, typ)
	}
	return s, nil
}

func codesOf(tags []string) CodeSet {
	codes := make(CodeSet, len(tags))
	for i, t := range tags {
		codes[i] = int32(TagsHash(t))
	}
	return codes
}

// CodeSet is the tags codes of a subscription. Java clients send numbers;
// rocketmq-client-go sends them as strings; both decode. It encodes as
// numbers.
type CodeSet []int32

// UnmarshalJSON accepts [1, -2] and ["1", "-2"].
func (c *CodeSet) UnmarshalJSON(b []byte) error {
	if bytes.Equal(bytes.TrimSpace(b), []byte("null")) {
		*c = nil
		return nil
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return fmt.Errorf("codeSet: %w", err)
	}
	out := make(CodeSet, 0, len(raw))
	for _, r := range raw {
		s := string(bytes.TrimSpace(r))
		if len(s) > 0 && s[0] == '"' {
			if err := json.Unmarshal(r, &s); err != nil {
				return fmt.Errorf("codeSet: %w", err)
			}
		}
		n, err := strconv.ParseInt(s, 10, 32)
		if err != nil {
			return fmt.Errorf("codeSet: %q is not a 32-bit integer", s)
		}
		out = append(out, int32(n))
	}
	*c = out
	return nil
}

// Errors Compile returns; the broker maps them to response codes.
var (
	// ErrUnsupportedType: an expression type this broker does not filter
	// by, or SQL92 while enablePropertyFilter is false. RocketMQ answers
	// SYSTEM_ERROR "The broker does not support consumer to filter message
	// by <type>".
	ErrUnsupportedType = errors.New("the broker does not support consumer to filter message by this type")
	// ErrParse: the expression does not compile. RocketMQ answers
	// SUBSCRIPTION_PARSE_FAILED.
	ErrParse = errors.New("subscription expression parse failed")
)
