package sql92

import (
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF tokKind = iota
	tIdent
	tString  // value unquoted
	tInteger // DECIMAL_LITERAL, optional l/L suffix
	tFloat   // FLOATING_POINT_LITERAL
	tOp      // = <> < <= > >= ( ) , + -
	// keywords
	tNot
	tAnd
	tOr
	tBetween
	tIn
	tTrue
	tFalse
	tNull
	tIs
	tContains
	tStartsWith
	tEndsWith
)

var keywords = map[string]tokKind{
	"NOT": tNot, "AND": tAnd, "OR": tOr, "BETWEEN": tBetween, "IN": tIn,
	"TRUE": tTrue, "FALSE": tFalse, "NULL": tNull, "IS": tIs,
	"CONTAINS": tContains, "STARTSWITH": tStartsWith, "ENDSWITH": tEndsWith,
}

type token struct {
	kind tokKind
	text string // as written (for errors); for tString the decoded value
	raw  string // as written
	pos  int    // 1-based character position
	// commentStart marks the first '-' of a "--" that no line break ends:
	// Java lexes it as two minus signs, and a selector that has ended
	// before it ignores the rest, so "a = 1 -- note" works there.
	commentStart bool
}

// lex splits src into tokens. It follows SelectorParser.jj: blanks are
// space, \t, \n, \r, \f; "--" comments run to the end of a line (without a
// line break they are two minus signs: "a > --3" is a double negation) and
// /* */ comments are skipped; keywords are case-insensitive; identifiers are
// [A-Za-z_$][A-Za-z0-9_$]*; numbers are unsigned.
func lex(src string) ([]token, error) {
	var toks []token
	i := 0
	pos := func(off int) int { return utf8.RuneCountInString(src[:off]) + 1 }
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f':
			i++
		case strings.HasPrefix(src[i:], "--") && strings.ContainsAny(src[i:], "\r\n"):
			i += strings.IndexAny(src[i:], "\r\n")
		case strings.HasPrefix(src[i:], "/*"):
			j := strings.Index(src[i+2:], "*/")
			if j < 0 {
				return nil, &CompileError{Pos: pos(i), Near: "/*", Msg: "unterminated comment"}
			}
			i += 2 + j + 2
		case c == '\'':
			var b strings.Builder
			j := i + 1
			for {
				if j >= len(src) {
					return nil, &CompileError{Pos: pos(i), Near: src[i:min(len(src), i+20)], Msg: "unterminated string literal"}
				}
				if src[j] == '\'' {
					if j+1 < len(src) && src[j+1] == '\'' {
						b.WriteByte('\'')
						j += 2
						continue
					}
					break
				}
				b.WriteByte(src[j])
				j++
			}
			toks = append(toks, token{kind: tString, text: b.String(), raw: src[i : j+1], pos: pos(i)})
			i = j + 1
		case isDigit(c) || (c == '.' && i+1 < len(src) && isDigit(src[i+1])):
			kind, n := scanNumber(src[i:])
			toks = append(toks, token{kind: kind, text: src[i : i+n], raw: src[i : i+n], pos: pos(i)})
			i += n
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && isIdentPart(src[j]) {
				j++
			}
			word := src[i:j]
			kind := tIdent
			if k, ok := keywords[strings.ToUpper(word)]; ok {
				kind = k
			}
			toks = append(toks, token{kind: kind, text: word, raw: word, pos: pos(i)})
			i = j
		default:
			op := ""
			for _, cand := range []string{"<>", "<=", ">=", "=", "<", ">", "(", ")", ",", "+", "-"} {
				if strings.HasPrefix(src[i:], cand) {
					op = cand
					break
				}
			}
			if op == "" {
				r, _ := utf8.DecodeRuneInString(src[i:])
				near := string(r)
				msg := "unexpected character"
				switch {
				case strings.HasPrefix(src[i:], "!="):
					near, msg = "!=", "not an operator in RocketMQ's SQL92; use <>"
				case strings.HasPrefix(src[i:], "&&") || strings.HasPrefix(src[i:], "||"):
					near, msg = src[i:i+2], "not an operator in RocketMQ's SQL92; use AND / OR"
				case c == '"':
					msg = "strings are quoted with single quotes"
				}
				return nil, &CompileError{Pos: pos(i), Near: near, Msg: msg}
			}
			if op == "=" && strings.HasPrefix(src[i:], "==") {
				return nil, &CompileError{Pos: pos(i), Near: "==", Msg: "not an operator in RocketMQ's SQL92; use ="}
			}
			toks = append(toks, token{kind: tOp, text: op, raw: op, pos: pos(i), commentStart: strings.HasPrefix(src[i:], "--")})
			i += len(op)
		}
	}
	toks = append(toks, token{kind: tEOF, pos: utf8.RuneCountInString(src) + 1})
	return toks, nil
}

// scanNumber returns the longest DECIMAL_LITERAL or FLOATING_POINT_LITERAL
// at the start of s, as JavaCC's longest-match rule picks it.
func scanNumber(s string) (tokKind, int) {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	intEnd := i
	isFloat := false
	if i < len(s) && s[i] == '.' {
		isFloat = true
		i++
		for i < len(s) && isDigit(s[i]) {
			i++
		}
	}
	if n := scanExponent(s[i:]); n > 0 {
		isFloat = true
		i += n
	}
	if isFloat {
		return tFloat, i
	}
	// DECIMAL_LITERAL is "0" or [1-9][0-9]*: "007" lexes as "0" then "07",
	// which the parser then refuses, as RocketMQ does.
	if s[0] == '0' {
		intEnd = 1
	}
	if intEnd < len(s) && (s[intEnd] == 'l' || s[intEnd] == 'L') {
		return tInteger, intEnd + 1
	}
	return tInteger, intEnd
}

func scanExponent(s string) int {
	if len(s) < 2 || (s[0] != 'e' && s[0] != 'E') {
		return 0
	}
	i := 1
	if s[i] == '+' || s[i] == '-' {
		i++
	}
	j := i
	for j < len(s) && isDigit(s[j]) {
		j++
	}
	if j == i {
		return 0
	}
	return j
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isIdentStart(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' || c == '$'
}

func isIdentPart(c byte) bool { return isIdentStart(c) || isDigit(c) }
