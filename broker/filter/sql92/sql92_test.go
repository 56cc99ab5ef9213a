package sql92

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestEval(t *testing.T) {
	props := map[string]string{
		"a": "3", "b": "abc", "c": "3.5", "big": "5000000000", "neg": "-2",
		"t": "true", "T": "TRUE", "empty": "", "pad": " 7 ", "region": "eu-west",
		"TAGS": "TagA", "KEYS": "k1", "q": "it's", "nan": "NaN", "zero": "0",
	}
	tests := []struct {
		sel  string
		want Truth
	}{
		// numbers against string properties
		{"a = 3", True},
		{"a = 4", False},
		{"a <> 4", True},
		{"a > 2", True},
		{"a >= 3", True},
		{"a < 3", False},
		{"a <= 3", True},
		{"a > 2.5", True},
		{"a = 3.0", True},
		{"c > 3.0", True},
		{"c = 3.5", True},
		{"big > 4000000000", True},
		{"big = 5000000000", True},
		{"neg < 0", True},
		{"neg = -2", True},
		{"-a = -3", Unknown}, // negating a string is NULL
		{"a = +3", True},
		{"a > -5", True},
		{"a = 3L", True},
		{"a BETWEEN 1 AND 5", True},
		{"a BETWEEN 3 AND 3", True},
		{"a BETWEEN 4 AND 5", False},
		{"a NOT BETWEEN 4 AND 5", True},
		{"a NOT BETWEEN 1 AND 5", False},
		{"c BETWEEN 3.0 AND 4.0", True},
		{"zero = 0", True},
		{"a > .5", True},
		{"a < 1E1", True},
		{"a < 1e+1", True},
		// two string properties order as numbers
		{"a < c", True},
		{"c > a", True},
		// strings
		{"b = 'abc'", True},
		{"b = 'ABC'", False},
		{"b <> 'abc'", False},
		{"b <> 'x'", True},
		{"q = 'it''s'", True},
		{"empty = ''", True},
		{"a = '3'", True},
		{"a = '3.0'", False}, // string equality is exact
		{"b IN ('x', 'abc')", True},
		{"b IN ('x')", False},
		{"b NOT IN ('x', 'y')", True},
		{"b NOT IN ('abc')", False},
		{"TAGS IN ('TagA', 'TagB', 'TagC', 'TagD', 'TagE', 'TagF')", True},
		{"region CONTAINS 'west'", True},
		{"region NOT CONTAINS 'west'", False},
		{"region STARTSWITH 'eu'", True},
		{"region ENDSWITH 'east'", False},
		{"region NOT ENDSWITH 'east'", True},
		{"missing CONTAINS 'x'", False},
		{"missing NOT CONTAINS 'x'", False},
		{"region CONTAINS ''", False},
		// booleans
		{"t = TRUE", True},
		{"T = true", True},
		{"b = TRUE", False},
		{"a = FALSE", True}, // Boolean.valueOf("3") is false
		{"TRUE", True},
		{"FALSE", False},
		{"NOT FALSE", True},
		{"TRUE OR FALSE", True},
		{"TRUE AND FALSE", False},
		{"t", False}, // a property as a condition is never TRUE
		{"NOT t", True},
		// NULL semantics
		{"missing = 1", Unknown},
		{"missing > 1", Unknown},
		{"missing <> 1", Unknown},
		{"missing BETWEEN 1 AND 2", Unknown},
		{"missing IN ('a')", Unknown},
		{"missing NOT IN ('a')", Unknown},
		{"missing IS NULL", True},
		{"missing IS NOT NULL", False},
		{"a IS NULL", False},
		{"a IS NOT NULL", True},
		{"empty IS NOT NULL", True},
		{"NOT (missing = 1)", Unknown},
		{"missing = 1 OR a = 3", True},
		{"missing = 1 OR a = 4", Unknown},
		{"missing = 1 AND a = 4", False},
		{"missing = 1 AND a = 3", Unknown},
		{"missing", Unknown},
		{"NULL", Unknown},
		{"1 = missing", False}, // left non-null, right null: FALSE, as in Java
		// precedence and grouping
		{"a = 3 OR b = 'x' AND c = 'y'", True},
		{"(a = 3 OR b = 'x') AND c = 'y'", False},
		{"NOT a = 4 OR TRUE", True},
		{"a=3AND b='abc'", True},
		{"a = 3 -- comment\n AND b = 'abc'", True},
		{"a = 3 /* block */ AND b = 'abc'", True},
		{"a = 3 -- comment to the end", True},
		{"a is not null and b in ('abc') and a between 1 and 9", True},
		// Double semantics
		{"nan > 1.0", True}, // Double.compare puts NaN above everything
		{"nan = 0.0", False},
		{"pad = 7.0", True}, // Double.valueOf trims blanks
	}
	for _, tt := range tests {
		e, err := Compile(tt.sel)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.sel, err)
			continue
		}
		got, err := e.Eval(props)
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.sel, err)
			continue
		}
		if got != tt.want {
			t.Errorf("%q = %v, want %v (parsed %s)", tt.sel, got, tt.want, e)
		}
		if e.Match(props) != (tt.want == True) {
			t.Errorf("Match(%q) disagrees with Eval", tt.sel)
		}
	}
}

// Conversions that fail make the evaluation fail and the message not match.
func TestEvalConversionErrors(t *testing.T) {
	props := map[string]string{"a": "abc", "c": "3.5", "big": "5000000000", "pad": " 7 ", "b": "x"}
	for _, sel := range []string{
		"a = 3",
		"a > 3",
		"a <> 3",
		"c = 3",   // Integer.valueOf("3.5") fails
		"c > 3",   // the same trap with an order
		"big = 3", // does not fit an Integer
		"pad = 7", // Integer.valueOf does not trim
		"a < b",   // two strings that are not numbers cannot be ordered
		"NOT (a = 3)",
		"FALSE OR a = 3",
	} {
		e, err := Compile(sel)
		if err != nil {
			t.Fatalf("Compile(%q): %v", sel, err)
		}
		if _, err := e.Eval(props); !errors.Is(err, errConvert) {
			t.Errorf("Eval(%q) error = %v, want a conversion error", sel, err)
		}
		if e.Match(props) {
			t.Errorf("Match(%q) = true", sel)
		}
	}
	// Short-circuit: the failing side is not reached.
	for _, sel := range []string{"TRUE OR a = 3", "FALSE AND a = 3"} {
		e, _ := Compile(sel)
		if _, err := e.Eval(props); err != nil {
			t.Errorf("Eval(%q): %v", sel, err)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		sel      string
		pos      int
		fragment string
	}{
		{"", 1, "empty selector"},
		{"   ", 4, "empty selector"},
		{"a != 1", 3, "use <>"},
		{"a == 1", 3, "use ="},
		{"a = 1 && b = 2", 7, "AND / OR"},
		{`a = "x"`, 5, "single quotes"},
		{"a = 'x", 5, "unterminated string"},
		{"a = 1 /* x", 7, "unterminated comment"},
		{"a = ", 5, "expression expected"},
		{"a = 1)", 6, "unexpected token"},
		{"(a = 1", 7, "expected )"},
		{"a = NULL", 3, "IS NULL"},
		{"NULL = a", 6, "IS NULL"},
		{"a IS 1", 6, "expected NULL"},
		{"a > 'x'", 3, "cannot be compared"},
		{"'x' < a", 5, "cannot be compared"},
		{"a > TRUE", 3, "cannot be compared"},
		{"(a = 1) > 2", 9, "cannot be compared"},
		{"TRUE = 1", 6, "cannot be compared"},
		{"a BETWEEN 5 AND 1", 3, "lower bound"},
		{"a BETWEEN NULL AND 1", 3, "NULL"},
		{"a BETWEEN 1 OR 2", 13, "expected AND"},
		{"1 IN ('a')", 3, "property"},
		{"a IN (1, 2)", 7, "string literal"},
		{"a IN ()", 7, "string literal"},
		{"a IN ('x' 'y')", 11, "expected , or )"},
		{"a IN 'x'", 6, "expected ("},
		{"a CONTAINS b", 12, "string literal"},
		{"5", 1, "boolean value"},
		{"'abc'", 1, "boolean value"},
		{"NOT 5", 5, "boolean value"},
		{"a = 1 AND 5", 11, "boolean value"},
		{"a = 99999999999999999999", 5, "64-bit"},
		{"a = 007", 6, "unexpected token"},
		{"a # 1", 3, "unexpected character"},
		{"a.b = 1", 2, "unexpected character"},
		{"a = 1e999", 5, "largest double"},
		{"a NOT = 1", 3, "unexpected token"},
		{"中文 = 1", 1, "unexpected character"},
		{"x = '中' AND y # 1", 15, "unexpected character"},
		{strings.Repeat("(", MaxDepth+1) + "a=1" + strings.Repeat(")", MaxDepth+1), MaxDepth + 1, "nested deeper"},
		{strings.Repeat("NOT ", MaxDepth+1) + "TRUE", 4*MaxDepth + 1, "nested deeper"},
		{"a = '" + strings.Repeat("x", MaxLength) + "'", 1, "at most"},
	}
	for _, tt := range tests {
		_, err := Compile(tt.sel)
		var ce *CompileError
		if !errors.As(err, &ce) {
			t.Errorf("Compile(%.40q) = %v, want a CompileError", tt.sel, err)
			continue
		}
		if ce.Pos != tt.pos || !strings.Contains(ce.Error(), tt.fragment) {
			t.Errorf("Compile(%.40q) = %v (pos %d), want pos %d and %q", tt.sel, err, ce.Pos, tt.pos, tt.fragment)
		}
	}
}

func TestParseShape(t *testing.T) {
	tests := []struct{ sel, want string }{
		{"a = 1 OR b = 2 AND c = 3", "((a = 1) OR ((b = 2) AND (c = 3)))"},
		{"NOT a = 1", "((NOT a) = 1)"},
		{"a <> 1", "(NOT (a = 1))"},
		{"a IS NOT NULL", "(NOT (a IS NULL))"},
		{"a BETWEEN 1 AND 2", "((a >= 1) AND (a <= 2))"},
		{"a NOT BETWEEN 1 AND 2", "((a < 1) OR (a > 2))"},
		{"a NOT IN ('x', 'y''z')", "(a NOT IN ('x', 'y''z'))"},
		{"- - a > 1", "((-(-a)) > 1)"},
		{"a > 1.5E3", "(a > 1500.0)"}, {"a > 2.5e-7", "(a > 2.5e-07)"},
		{"a", "a"},
		{"x nOt StartsWith 'p'", "(x NOT STARTSWITH 'p')"},
	}
	for _, tt := range tests {
		e, err := Compile(tt.sel)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.sel, err)
			continue
		}
		if e.String() != tt.want {
			t.Errorf("Compile(%q) = %s, want %s", tt.sel, e, tt.want)
		}
		if e.Source() != tt.sel {
			t.Errorf("Source() = %q", e.Source())
		}
	}
}

func TestJavaParseDouble(t *testing.T) {
	ok := map[string]float64{"1": 1, " 2.5 ": 2.5, "-3": -3, "+4": 4, "1e3": 1000, "5.": 5, ".5": 0.5, "2f": 2, "2D": 2, "1e999": math.Inf(1)}
	for s, want := range ok {
		got, good := javaParseDouble(s)
		if !good || got != want {
			t.Errorf("javaParseDouble(%q) = %v %v, want %v", s, got, good, want)
		}
	}
	for _, s := range []string{"", "inf", "Inf", "nan", "0x10", "1_000", "1e", "e5", "--1", "1.2.3", "abc", "."} {
		if _, good := javaParseDouble(s); good {
			t.Errorf("javaParseDouble(%q) accepted", s)
		}
	}
}

func FuzzCompile(f *testing.F) {
	for _, s := range []string{"a = 1", "a BETWEEN 1 AND 2 OR b IN ('x')", "NOT (a IS NULL)", "a > 1.5e3", "'", "((("} {
		f.Add(s)
	}
	props := map[string]string{"a": "1", "b": "x", "c": "2.5"}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := Compile(s)
		if err != nil {
			var ce *CompileError
			if !errors.As(err, &ce) || ce.Pos < 1 {
				t.Fatalf("bad error %v", err)
			}
			return
		}
		// The canonical form must compile to itself.
		again, err := Compile(e.String())
		if err != nil {
			t.Fatalf("canonical form %q of %q does not compile: %v", e, s, err)
		}
		t1, err1 := e.Eval(props)
		t2, err2 := again.Eval(props)
		if t1 != t2 || (err1 == nil) != (err2 == nil) {
			t.Fatalf("%q and its canonical form %q disagree: %v/%v vs %v/%v", s, e, t1, err1, t2, err2)
		}
	})
}
