package sql92

import (
	"fmt"
	"strings"
)

// node is one compiled sub-expression.
type node interface {
	eval(props Getter) (value, error)
	String() string
}

// isBoolean reports whether n is what RocketMQ calls a BooleanExpression:
// logic, comparisons, NOT, and the TRUE/FALSE/NULL literals. Only those can
// be operands of AND, OR and NOT (a property is cast); only the others can
// be compared with <, >, <=, >=.
func isBoolean(n node) bool {
	switch n := n.(type) {
	case constNode:
		return n.v.k == kBool || n.v.k == kNull
	case propNode, negNode:
		return false
	}
	return true
}

type constNode struct{ v value }

func (n constNode) eval(Getter) (value, error) { return n.v, nil }
func (n constNode) String() string             { return n.v.String() }

type propNode struct{ name string }

func (n propNode) eval(props Getter) (value, error) {
	s, ok := props(n.name)
	if !ok {
		return vNull, nil
	}
	return value{k: kString, s: s}, nil
}
func (n propNode) String() string { return n.name }

// negNode is unary minus: numbers negate, anything else is NULL.
type negNode struct{ x node }

func (n negNode) eval(props Getter) (value, error) {
	v, err := n.x.eval(props)
	if err != nil {
		return vNull, err
	}
	switch v.k {
	case kInt:
		return value{k: kInt, i: int64(-int32(v.i))}, nil // Java int arithmetic wraps
	case kLong:
		return value{k: kLong, i: -v.i}, nil
	case kDouble:
		return value{k: kDouble, f: -v.f}, nil
	}
	return vNull, nil
}
func (n negNode) String() string { return "(-" + n.x.String() + ")" }

// castNode makes a property usable as a condition: NULL stays NULL, and a
// value that is not a Boolean (every property value is a string) is FALSE.
type castNode struct{ x node }

func (n castNode) eval(props Getter) (value, error) {
	v, err := n.x.eval(props)
	if err != nil || v.k == kNull {
		return vNull, err
	}
	if v.k != kBool {
		return vFalse, nil
	}
	return v, nil
}
func (n castNode) String() string { return n.x.String() }

type notNode struct{ x node }

func (n notNode) eval(props Getter) (value, error) {
	v, err := n.x.eval(props)
	if err != nil || v.k != kBool {
		return vNull, err
	}
	return boolValue(!v.b), nil
}
func (n notNode) String() string { return "(NOT " + n.x.String() + ")" }

// andNode and orNode are three-valued: FALSE AND x is FALSE even when x is
// NULL; TRUE OR x is TRUE. The left side is evaluated first and an error on
// the right is not reached when the left decides.
type andNode struct{ l, r node }

func (n andNode) eval(props Getter) (value, error) {
	lv, err := n.l.eval(props)
	if err != nil {
		return vNull, err
	}
	if lv.k == kBool && !lv.b {
		return vFalse, nil
	}
	rv, err := n.r.eval(props)
	if err != nil {
		return vNull, err
	}
	if rv.k == kBool && !rv.b {
		return vFalse, nil
	}
	if lv.k == kNull || rv.k == kNull {
		return vNull, nil
	}
	return vTrue, nil
}
func (n andNode) String() string { return "(" + n.l.String() + " AND " + n.r.String() + ")" }

type orNode struct{ l, r node }

func (n orNode) eval(props Getter) (value, error) {
	lv, err := n.l.eval(props)
	if err != nil {
		return vNull, err
	}
	if lv.k == kBool && lv.b {
		return vTrue, nil
	}
	rv, err := n.r.eval(props)
	if err != nil {
		return vNull, err
	}
	if rv.k == kBool && rv.b {
		return vTrue, nil
	}
	if lv.k == kNull || rv.k == kNull {
		return vNull, nil
	}
	return vFalse, nil
}
func (n orNode) String() string { return "(" + n.l.String() + " OR " + n.r.String() + ")" }

// eqNode is =, and IS NULL when r is the NULL literal.
type eqNode struct{ l, r node }

func (n eqNode) eval(props Getter) (value, error) {
	lv, err := n.l.eval(props)
	if err != nil {
		return vNull, err
	}
	rv, err := n.r.eval(props)
	if err != nil {
		return vNull, err
	}
	if (lv.k == kNull) != (rv.k == kNull) {
		if lv.k == kNull {
			return vNull, nil
		}
		return vFalse, nil
	}
	if javaEquals(lv, rv) {
		return vTrue, nil
	}
	c, err := compare(lv, rv)
	if err != nil {
		return vNull, err
	}
	return boolValue(c == 0), nil
}

func (n eqNode) String() string {
	if c, ok := n.r.(constNode); ok && c.v.k == kNull {
		return "(" + n.l.String() + " IS NULL)"
	}
	return "(" + n.l.String() + " = " + n.r.String() + ")"
}

// cmpNode is <, <=, >, >=.
type cmpNode struct {
	op   string
	l, r node
}

func (n cmpNode) eval(props Getter) (value, error) {
	lv, err := n.l.eval(props)
	if err != nil || lv.k == kNull {
		return vNull, err
	}
	rv, err := n.r.eval(props)
	if err != nil || rv.k == kNull {
		return vNull, err
	}
	if lv.k == kString && rv.k == kString {
		// Two strings are ordered only as numbers.
		if lv, err = parseAs(lv.s, kDouble); err != nil {
			return vNull, fmt.Errorf("cannot order strings with %s: %w", n.op, err)
		}
		if rv, err = parseAs(rv.s, kDouble); err != nil {
			return vNull, fmt.Errorf("cannot order strings with %s: %w", n.op, err)
		}
	}
	c, err := compare(lv, rv)
	if err != nil {
		return vNull, err
	}
	switch n.op {
	case "<":
		return boolValue(c < 0), nil
	case "<=":
		return boolValue(c <= 0), nil
	case ">":
		return boolValue(c > 0), nil
	case ">=":
		return boolValue(c >= 0), nil
	}
	panic("sql92: comparison operator " + n.op)
}
func (n cmpNode) String() string { return "(" + n.l.String() + " " + n.op + " " + n.r.String() + ")" }

// inNode is [NOT] IN over string literals; a value that is not a string is
// NULL, a missing one too.
type inNode struct {
	prop propNode
	set  map[string]bool
	list []string // for String, in written order
	not  bool
}

func (n inNode) eval(props Getter) (value, error) {
	v, _ := n.prop.eval(props)
	if v.k != kString {
		return vNull, nil
	}
	return boolValue(n.set[v.s] != n.not), nil
}

func (n inNode) String() string {
	quoted := make([]string, len(n.list))
	for i, s := range n.list {
		quoted[i] = value{k: kString, s: s}.String()
	}
	op := " IN ("
	if n.not {
		op = " NOT IN ("
	}
	return "(" + n.prop.String() + op + strings.Join(quoted, ", ") + "))"
}

// strOpNode is [NOT] CONTAINS / STARTSWITH / ENDSWITH. RocketMQ makes every
// case that is not a non-empty search in a present string FALSE, for the NOT
// forms too.
type strOpNode struct {
	op     string // CONTAINS, STARTSWITH, ENDSWITH
	not    bool
	x      node
	search string
}

func (n strOpNode) eval(props Getter) (value, error) {
	if n.search == "" {
		return vFalse, nil
	}
	v, err := n.x.eval(props)
	if err != nil {
		return vNull, err
	}
	if v.k != kString {
		return vFalse, nil
	}
	var hit bool
	switch n.op {
	case "CONTAINS":
		hit = strings.Contains(v.s, n.search)
	case "STARTSWITH":
		hit = strings.HasPrefix(v.s, n.search)
	case "ENDSWITH":
		hit = strings.HasSuffix(v.s, n.search)
	default:
		panic("sql92: string operator " + n.op)
	}
	return boolValue(hit != n.not), nil
}

func (n strOpNode) String() string {
	op := n.op
	if n.not {
		op = "NOT " + op
	}
	return "(" + n.x.String() + " " + op + " " + value{k: kString, s: n.search}.String() + ")"
}
