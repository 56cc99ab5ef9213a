package sql92

import (
	"fmt"
	"strconv"
	"strings"
)

// parser is a recursive-descent parser for SelectorParser.jj's grammar:
//
//	selector   := or
//	or         := and (OR and)*
//	and        := equality (AND equality)*
//	equality   := comparison ('=' comparison | '<>' comparison | IS NULL | IS NOT NULL)*
//	comparison := unary ( ('>' | '>=' | '<' | '<=') unary
//	                    | [NOT] (CONTAINS | STARTSWITH | ENDSWITH) string
//	                    | [NOT] BETWEEN unary AND unary
//	                    | [NOT] IN '(' string (',' string)* ')' )*
//	unary      := '+' unary | '-' unary | NOT unary | primary
//	primary    := literal | identifier | '(' or ')'
//
// NOT binds tighter than comparisons, as in the Java grammar: "NOT a = 1"
// is "(NOT a) = 1".
type parser struct {
	toks  []token
	i     int
	depth int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) peekAt(n int) token {
	if p.i+n < len(p.toks) {
		return p.toks[p.i+n]
	}
	return p.toks[len(p.toks)-1]
}
func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func (p *parser) isOp(op string) bool {
	t := p.peek()
	return t.kind == tOp && t.text == op
}

func errAt(t token, format string, args ...any) *CompileError {
	return &CompileError{Pos: t.pos, Near: t.raw, Msg: fmt.Sprintf(format, args...)}
}

func (p *parser) parse() (node, error) {
	if p.peek().kind == tEOF {
		return nil, errAt(p.peek(), "empty selector")
	}
	start := p.peek()
	n, err := p.or()
	if err != nil {
		return nil, err
	}
	// Java stops after the expression and ignores whatever follows, so a
	// typo such as "a = 1 b = 2" silently filters on a alone; we refuse
	// trailing tokens, except an unterminated "--" comment (see lex).
	if t := p.peek(); t.kind != tEOF && !t.commentStart {
		return nil, errAt(t, "unexpected token")
	}
	return asBoolean(n, start)
}

// asBoolean is SelectorParser.asBooleanExpression: boolean expressions pass,
// a property is cast, anything else (a number or string) cannot be a
// condition.
func asBoolean(n node, at token) (node, error) {
	if isBoolean(n) {
		return n, nil
	}
	if _, ok := n.(propNode); ok {
		return castNode{n}, nil
	}
	return nil, errAt(at, "expression %s will not result in a boolean value", n)
}

func (p *parser) or() (node, error) {
	return p.logical(tOr, p.and, func(l, r node) node { return orNode{l, r} })
}

func (p *parser) and() (node, error) {
	return p.logical(tAnd, p.equality, func(l, r node) node { return andNode{l, r} })
}

// logical parses operands joined by op (OR, AND), left-associative, each
// operand cast to a boolean as Java's asBooleanExpression does.
func (p *parser) logical(op tokKind, operand func() (node, error), join func(l, r node) node) (node, error) {
	start := p.peek()
	l, err := operand()
	if err != nil {
		return nil, err
	}
	for p.peek().kind == op {
		p.next()
		rt := p.peek()
		r, err := operand()
		if err != nil {
			return nil, err
		}
		if l, err = asBoolean(l, start); err != nil {
			return nil, err
		}
		if r, err = asBoolean(r, rt); err != nil {
			return nil, err
		}
		l = join(l, r)
	}
	return l, nil
}

func (p *parser) equality() (node, error) {
	l, err := p.comparison()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		switch {
		case p.isOp("=") || p.isOp("<>"):
			p.next()
			r, err := p.comparison()
			if err != nil {
				return nil, err
			}
			if err := checkEqualOperands(l, r, t); err != nil {
				return nil, err
			}
			l = eqNode{l, r}
			if t.text == "<>" {
				l = notNode{l}
			}
		case t.kind == tIs:
			p.next()
			not := false
			if p.peek().kind == tNot {
				p.next()
				not = true
			}
			if nt := p.next(); nt.kind != tNull {
				return nil, errAt(nt, "expected NULL after IS")
			}
			l = eqNode{l, constNode{vNull}}
			if not {
				l = notNode{l}
			}
		default:
			return l, nil
		}
	}
}

// checkEqualOperands is createEqual's validation: the NULL literal cannot
// be compared with = or <> (use IS NULL), and a TRUE/FALSE literal cannot be
// compared with a literal of another kind.
func checkEqualOperands(l, r node, at token) error {
	for _, n := range []node{l, r} {
		if c, ok := n.(constNode); ok && c.v.k == kNull {
			return errAt(at, "NULL cannot be compared with %s; use IS NULL", at.text)
		}
	}
	lc, lok := l.(constNode)
	_, rok := r.(constNode)
	if lok && rok && isBoolean(lc) && !isBoolean(r) {
		return errAt(at, "%s cannot be compared with %s", l, r)
	}
	return nil
}

// checkOrderable is checkLessThanOperand: only numbers and non-boolean
// expressions can be ordered.
func checkOrderable(n node, at token) error {
	if c, ok := n.(constNode); ok {
		if c.v.k == kInt || c.v.k == kLong || c.v.k == kDouble {
			return nil
		}
		return errAt(at, "value %s cannot be compared with %s", n, at.text)
	}
	if isBoolean(n) {
		return errAt(at, "value %s cannot be compared with %s", n, at.text)
	}
	return nil
}

func newCmp(op string, l, r node, at token) (node, error) {
	if err := checkOrderable(l, at); err != nil {
		return nil, err
	}
	if err := checkOrderable(r, at); err != nil {
		return nil, err
	}
	return cmpNode{op, l, r}, nil
}

func (p *parser) comparison() (node, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for {
		t := p.peek()
		not := false
		opTok := t
		if t.kind == tNot {
			switch p.peekAt(1).kind {
			case tBetween, tIn, tContains, tStartsWith, tEndsWith:
				p.next()
				not = true
				opTok = p.peek()
			default:
				return l, nil
			}
		}
		switch {
		case opTok.kind == tOp && (opTok.text == "<" || opTok.text == "<=" || opTok.text == ">" || opTok.text == ">="):
			p.next()
			r, err := p.unary()
			if err != nil {
				return nil, err
			}
			if l, err = newCmp(opTok.text, l, r, opTok); err != nil {
				return nil, err
			}
		case opTok.kind == tContains || opTok.kind == tStartsWith || opTok.kind == tEndsWith:
			p.next()
			s, err := p.stringLiteral()
			if err != nil {
				return nil, err
			}
			l = strOpNode{op: strings.ToUpper(opTok.text), not: not, x: l, search: s}
		case opTok.kind == tBetween:
			p.next()
			low, err := p.unary()
			if err != nil {
				return nil, err
			}
			if at := p.next(); at.kind != tAnd {
				return nil, errAt(at, "expected AND in BETWEEN")
			}
			high, err := p.unary()
			if err != nil {
				return nil, err
			}
			if l, err = newBetween(l, low, high, not, opTok); err != nil {
				return nil, err
			}
		case opTok.kind == tIn:
			p.next()
			prop, ok := l.(propNode)
			if !ok {
				return nil, errAt(opTok, "IN needs a property on its left, got %s", l)
			}
			if open := p.next(); open.kind != tOp || open.text != "(" {
				return nil, errAt(open, "expected ( after IN")
			}
			in := inNode{prop: prop, set: map[string]bool{}, not: not}
			for {
				s, err := p.stringLiteral()
				if err != nil {
					return nil, err
				}
				in.list = append(in.list, s)
				in.set[s] = true
				sep := p.next()
				if sep.kind == tOp && sep.text == ")" {
					break
				}
				if sep.kind != tOp || sep.text != "," {
					return nil, errAt(sep, "expected , or ) in IN list")
				}
			}
			l = in
		default:
			return l, nil
		}
	}
}

// newBetween is createBetween / createNotBetween: literal bounds must not
// be NULL and must be in order; BETWEEN is >= AND <=, NOT BETWEEN is < OR >.
func newBetween(v, low, high node, not bool, at token) (node, error) {
	lc, lok := low.(constNode)
	hc, hok := high.(constNode)
	if !not && lok && hok {
		if lc.v.k == kNull || hc.v.k == kNull {
			return nil, errAt(at, "BETWEEN bounds cannot be NULL")
		}
		c, err := compare(hc.v, lc.v)
		if err != nil || c < 0 {
			return nil, errAt(at, "BETWEEN lower bound %s must be less than or equal to upper bound %s", lc.v, hc.v)
		}
	}
	if not {
		l, err := newCmp("<", v, low, at)
		if err != nil {
			return nil, err
		}
		r, err := newCmp(">", v, high, at)
		if err != nil {
			return nil, err
		}
		return orNode{l, r}, nil
	}
	l, err := newCmp(">=", v, low, at)
	if err != nil {
		return nil, err
	}
	r, err := newCmp("<=", v, high, at)
	if err != nil {
		return nil, err
	}
	return andNode{l, r}, nil
}

func (p *parser) stringLiteral() (string, error) {
	t := p.next()
	if t.kind != tString {
		return "", errAt(t, "expected a string literal in single quotes")
	}
	return t.text, nil
}

func (p *parser) enter(t token) error {
	p.depth++
	if p.depth > MaxDepth {
		return errAt(t, "nested deeper than %d", MaxDepth)
	}
	return nil
}

func (p *parser) unary() (node, error) {
	t := p.peek()
	if err := p.enter(t); err != nil {
		return nil, err
	}
	defer func() { p.depth-- }()
	switch {
	case t.kind == tOp && t.text == "+":
		p.next()
		return p.unary()
	case t.kind == tOp && t.text == "-":
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return negNode{x}, nil
	case t.kind == tNot:
		p.next()
		xt := p.peek()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		if x, err = asBoolean(x, xt); err != nil {
			return nil, err
		}
		return notNode{x}, nil
	}
	return p.primary()
}

func (p *parser) primary() (node, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return constNode{value{k: kString, s: t.text}}, nil
	case tInteger:
		return decimalLiteral(t)
	case tFloat:
		f, ok := javaParseDouble(t.text)
		if !ok {
			return nil, errAt(t, "bad number")
		}
		if f > 1.7976931348623157e308 {
			return nil, errAt(t, "number is larger than the largest double")
		}
		return constNode{value{k: kDouble, f: f}}, nil
	case tTrue:
		return constNode{vTrue}, nil
	case tFalse:
		return constNode{vFalse}, nil
	case tNull:
		return constNode{vNull}, nil
	case tIdent:
		return propNode{t.text}, nil
	case tOp:
		if t.text == "(" {
			n, err := p.or()
			if err != nil {
				return nil, err
			}
			if c := p.next(); c.kind != tOp || c.text != ")" {
				return nil, errAt(c, "expected )")
			}
			return n, nil
		}
	case tEOF:
		return nil, errAt(t, "expression expected")
	}
	return nil, errAt(t, "expression expected")
}

// decimalLiteral is ConstantExpression.createFromDecimal: an optional l/L
// suffix is dropped, values beyond 64 bits are refused, and a value that
// fits 32 bits is an Integer (which matters when it meets a string).
func decimalLiteral(t token) (node, error) {
	text := strings.TrimRight(t.text, "lL")
	n, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return nil, errAt(t, "integer out of 64-bit range")
	}
	if n >= -1<<31 && n <= 1<<31-1 {
		return constNode{value{k: kInt, i: n}}, nil
	}
	return constNode{value{k: kLong, i: n}}, nil
}
