package sql92

import "testing"

// Cases from Apache RocketMQ's filter tests (ExpressionTest, ParserTest),
// restated: the same selectors must compile or fail, and evaluate alike.
func TestRocketMQCases(t *testing.T) {
	type kv = map[string]string
	const (
		and     = "a=3 and b<>4 And c>5 AND d<=4"
		or      = "a=3 or b<>4 Or c>5 OR d<=4"
		in      = "a in ('3', '4', '5')"
		notIn   = "a not in ('3', '4', '5')"
		between = "a between 2 and 10"
		notBtw  = "a not between 2 and 10"
		boolean = "a=TRUE OR b=FALSE"
		nullOr  = "a is null OR a='hello'"
		equal   = "a is not null and a='hello'"
		strStr  = "TAGS is not null and TAGS='''''tag'''''"
	)
	tests := []struct {
		sel   string
		props kv
		want  bool
	}{
		{strStr, kv{"TAGS": "''tag''"}, true},
		{"a > 3.1E10", kv{"a": "3.1415E10"}, true},
		{"a > 3.14", kv{"a": "3.1415"}, true},
		{"a > b", kv{"a": "10", "b": "20"}, false},
		{"a > b", kv{"a": "20", "b": "10"}, true},
		{"a=b", kv{"a": "3.14", "b": "3.14"}, true},
		{"a<>b", kv{"a": "3.14", "b": "3.14"}, false},
		{"a<>b", kv{"a": "3.14", "b": "3.141"}, true},
		{nullOr, kv{}, true},
		{nullOr, kv{"a": "hello"}, true},
		{nullOr, kv{"a": "abc"}, false},
		{boolean, kv{"a": "true", "b": "false"}, true},
		{boolean, kv{"a": "false", "b": "true"}, false},
		{equal, kv{"a": "hello"}, true},
		{equal, kv{}, false},
		{and, kv{"a": "3", "b": "5", "c": "6", "d": "1"}, true},
		{and, kv{"a": "4", "b": "5", "c": "6", "d": "1"}, false},
		{or, kv{"a": "3"}, true},
		{or, kv{"a": "4", "b": "5"}, true},
		{or, kv{"a": "4", "b": "4", "c": "6"}, true},
		{or, kv{"a": "4", "b": "4", "c": "3", "d": "2"}, true},
		{or, kv{"a": "4", "b": "4", "c": "3", "d": "10"}, false},
		{in, kv{"a": "3"}, true},
		{in, kv{"a": "5"}, true},
		{in, kv{"a": "8"}, false},
		{notIn, kv{"a": "8"}, true},
		{notIn, kv{"a": "4"}, false},
		{between, kv{"a": "2"}, true},
		{between, kv{"a": "10"}, true},
		{between, kv{"a": "3"}, true},
		{between, kv{"a": "1"}, false},
		{between, kv{"a": "11"}, false},
		{notBtw, kv{"a": "1"}, true},
		{notBtw, kv{"a": "11"}, true},
		{notBtw, kv{"a": "2"}, false},
		{notBtw, kv{"a": "10"}, false},
		{"a is null", kv{"abc": "2"}, true},
		{"a is null", kv{"a": "2"}, false},
		{"a is not null", kv{"a": "2"}, true},
		{"a is not null", kv{"abc": "2"}, false},
		{"a between up and low", kv{"a": "3.14"}, false},
		{"(a not in ('6', '4', '5')) or (b in ('3', '4', '5'))", kv{"a": "6", "b": "3"}, true},
		{"(a between 2 and 10) AND (b not between 6 and 9)", kv{"a": "5", "b": "5"}, true},
		{"a <= now", kv{"a": "1", "now": "2"}, true},
	}
	for _, tt := range tests {
		e, err := Compile(tt.sel)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.sel, err)
			continue
		}
		if got := e.Match(tt.props); got != tt.want {
			t.Errorf("%q on %v = %v, want %v", tt.sel, tt.props, got, tt.want)
		}
	}
	// Evaluations RocketMQ's tests expect to throw (no match here).
	for _, c := range []struct {
		sel   string
		props kv
	}{
		{"a between up and low", kv{"a": "3.14", "up": "up", "low": "low"}},
		{"key is not null and key between 0 and 100", kv{"key": "con"}},
		{"a between 0 and 100", kv{"a": "abc"}},
	} {
		e, err := Compile(c.sel)
		if err != nil {
			t.Fatalf("Compile(%q): %v", c.sel, err)
		}
		if _, err := e.Eval(c.props); err == nil {
			t.Errorf("%q on %v: no evaluation error", c.sel, c.props)
		}
	}
	for _, bad := range []string{"a and between 2 and 10", " a between 10 and 0", "a > 100000000000000000000000"} {
		if _, err := Compile(bad); err == nil {
			t.Errorf("Compile(%q) accepted", bad)
		}
	}
	// Blanks do not change the parse.
	e1, _ := Compile("a=3 and b<>4 And c>5 AND d<=4")
	e2, _ := Compile("a=3  and    b<>4 And c>5 AND d<=4")
	e3, _ := Compile("a=3 or b<>4 Or c>5 OR d<=4")
	if e1.String() != e2.String() || e1.String() == e3.String() {
		t.Error("parse shapes differ")
	}
}
