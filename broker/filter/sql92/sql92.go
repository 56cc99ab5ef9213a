// Package sql92 compiles and evaluates RocketMQ's SQL92 message selectors,
// the expressions a consumer subscribes with when the broker runs with
// enablePropertyFilter=true ("a > 5 AND region IN ('eu', 'us')").
//
// The grammar and the semantics follow org.apache.rocketmq.filter (itself
// ActiveMQ's JMS selector, trimmed): the same expressions are accepted and
// refused, and they match the same messages, including the odd corners:
// comparisons involving a missing property are UNKNOWN (neither true nor
// false; a message matches only when the whole selector is TRUE); property
// values are strings that are converted to the type of the number they meet;
// strings compare only with = and <> (or, with <, >, etc., when both sides
// parse as numbers); a bare property used as a condition is never TRUE.
// A conversion that fails (a = 3 with a = "x") is an evaluation error, and
// a message whose evaluation fails does not match, as in RocketMQ.
//
// Extensions found in later RocketMQ releases are included: CONTAINS,
// STARTSWITH, ENDSWITH and their NOT forms.
//
// testdata/rocketmq_oracle.jsonl pins the agreement: selectors and the
// answers of Apache RocketMQ's own implementation. Two deliberate
// differences: RocketMQ stops after a complete expression and silently
// ignores what follows ("a = 1 b = 2" filters on a alone), where we refuse
// trailing tokens; and RocketMQ refuses the literal 0.0 (a range check
// against Double.MIN_VALUE, the smallest positive double), which we accept.
package sql92

import (
	"fmt"
)

// Bounds on what Compile accepts: a selector travels in every pull request
// header and is compiled once per subscription; these stop a hostile or
// broken client from making the broker recurse or allocate without limit.
const (
	// MaxLength bounds a selector's length in bytes.
	MaxLength = 16 << 10
	// MaxDepth bounds nesting: parentheses, NOT chains, signs.
	MaxDepth = 64
)

// Truth is the three-valued result of a selector.
type Truth int8

const (
	Unknown Truth = iota // a NULL was involved: the message does not match
	False
	True
)

func (t Truth) String() string {
	switch t {
	case True:
		return "TRUE"
	case False:
		return "FALSE"
	}
	return "UNKNOWN"
}

// Expr is a compiled selector. It is immutable and safe to share.
type Expr struct {
	src  string
	root node
}

// CompileError says where a selector is wrong.
type CompileError struct {
	// Pos is the 1-based character position of the offending token.
	Pos int
	// Near is the offending token's text ("" at the end of input).
	Near string
	Msg  string
}

func (e *CompileError) Error() string {
	if e.Near == "" {
		return fmt.Sprintf("invalid SQL92 selector: at position %d (end of input): %s", e.Pos, e.Msg)
	}
	return fmt.Sprintf("invalid SQL92 selector: at position %d near %q: %s", e.Pos, e.Near, e.Msg)
}

// Compile parses src. Errors are *CompileError.
func Compile(src string) (*Expr, error) {
	if len(src) > MaxLength {
		return nil, &CompileError{Pos: 1, Msg: fmt.Sprintf("selector is %d bytes long, at most %d allowed", len(src), MaxLength)}
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	root, err := p.parse()
	if err != nil {
		return nil, err
	}
	return &Expr{src: src, root: root}, nil
}

// Source returns the text the expression was compiled from.
func (e *Expr) Source() string { return e.src }

// String returns the parsed form, fully parenthesised; tests use it to
// check precedence.
func (e *Expr) String() string { return e.root.String() }

// Getter looks a message property up; ok is false when it is missing.
type Getter func(name string) (value string, ok bool)

// MapGetter reads properties from a map.
func MapGetter(props map[string]string) Getter {
	return func(name string) (string, bool) {
		v, ok := props[name]
		return v, ok
	}
}

// Eval evaluates the selector against a message's properties. A missing
// key is NULL. The error reports a failed conversion; the message then does
// not match.
func (e *Expr) Eval(props map[string]string) (Truth, error) {
	return e.EvalWith(MapGetter(props))
}

// EvalWith is Eval over any property source, so a caller can look
// properties up in place instead of building a map per message.
func (e *Expr) EvalWith(get Getter) (Truth, error) {
	v, err := e.root.eval(get)
	if err != nil {
		return Unknown, err
	}
	switch {
	case v.k == kBool && v.b:
		return True, nil
	case v.k == kBool:
		return False, nil
	}
	return Unknown, nil
}

// Match reports whether a message with props is delivered: only when the
// selector is TRUE.
func (e *Expr) Match(props map[string]string) bool {
	return e.MatchWith(MapGetter(props))
}

// MatchWith is Match over any property source.
func (e *Expr) MatchWith(get Getter) bool {
	t, err := e.EvalWith(get)
	return err == nil && t == True
}
