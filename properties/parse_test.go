package properties

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseJavaSyntax(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []Entry
	}{
		{"equals", "a=1", []Entry{{"a", "1", 1}}},
		{"colon", "a:1", []Entry{{"a", "1", 1}}},
		{"blank separator", "a 1", []Entry{{"a", "1", 1}}},
		{"blanks around separator", "  a  =  1", []Entry{{"a", "1", 1}}},
		{"tab and formfeed", "\ta\f=\t1", []Entry{{"a", "1", 1}}},
		{"blank then equals", "a   =b", []Entry{{"a", "b", 1}}},
		{"second separator stays in value", "a==b", []Entry{{"a", "=b", 1}}},
		{"colon in value", "namesrvAddr=127.0.0.1:9876;10.0.0.2:9876", []Entry{{"namesrvAddr", "127.0.0.1:9876;10.0.0.2:9876", 1}}},
		{"trailing blanks kept", "a=1  ", []Entry{{"a", "1  ", 1}}},
		{"key only", "a", []Entry{{"a", "", 1}}},
		{"key and separator only", "a=", []Entry{{"a", "", 1}}},
		{"empty key", "=v", []Entry{{"", "v", 1}}},
		{"hash comment", "# c\na=1", []Entry{{"a", "1", 2}}},
		{"bang comment", "  ! c\na=1", []Entry{{"a", "1", 2}}},
		{"hash in value", "a=1#2", []Entry{{"a", "1#2", 1}}},
		{"comment does not continue", "# c \\\na=1", []Entry{{"a", "1", 2}}},
		{"blank lines", "\n\n  \n\ta=1\n\n", []Entry{{"a", "1", 4}}},
		{"crlf", "a=1\r\nb=2\r\n", []Entry{{"a", "1", 1}, {"b", "2", 2}}},
		{"cr only", "a=1\rb=2", []Entry{{"a", "1", 1}, {"b", "2", 2}}},
		{"continuation", "a=1,\\\n   2,\\\n\t3\nb=4", []Entry{{"a", "1,2,3", 1}, {"b", "4", 4}}},
		{"continuation keeps comment marks", "a=x\\\n#y", []Entry{{"a", "x#y", 1}}},
		{"even backslashes do not continue", "a=x\\\\\nb=y", []Entry{{"a", `x\`, 1}, {"b", "y", 2}}},
		{"continuation at eof", "a=x\\", []Entry{{"a", "x", 1}}},
		{"blank continuation ends line", "a=x\\\n   \nb=y", []Entry{{"a", "x", 1}, {"b", "y", 3}}},
		{"continuation in key", "ke\\\n  y=v", []Entry{{"key", "v", 1}}},
		{"escapes", `a=\t\n\r\f\q\\`, []Entry{{"a", "\t\n\r\f" + `q\`, 1}}},
		{"escaped separators in key", `a\=b\:c\ d=e`, []Entry{{"a=b:c d", "e", 1}}},
		{"unicode escape", `a=\u0041\u00e9\u4e2d`, []Entry{{"a", "Aé中", 1}}},
		{"unicode escape is not a separator", `a\u003db=c`, []Entry{{"a=b", "c", 1}}},
		{"surrogate pair", `a=\uD83D\uDE00`, []Entry{{"a", "😀", 1}}},
		{"lone surrogate", `a=\uD83Dx`, []Entry{{"a", "\uFFFDx", 1}}},
		{"utf8 literal", "a=中文", []Entry{{"a", "中文", 1}}},
		{"bom skipped", "\uFEFFa=1", []Entry{{"a", "1", 1}}},
		{"last wins, first position", "a=1\nb=2\na=3", []Entry{{"a", "3", 3}, {"b", "2", 2}}},
		{"leading blank value escaped", `a=\ x`, []Entry{{"a", " x", 1}}},
		// Corners found by comparing with Java 17's Properties.load.
		{"lone backslash line then blank", "\\\n\r\n", nil},
		{"lone backslash at eof", "\\", []Entry{{"", "", 1}}},
		{"lone backslash line at eof", "\\\n", []Entry{{"", "", 1}}},
		{"lone backslash line at eof, crlf", "\\\r\n", nil},
		{"empty continuation does not override", ":k\\u0041\r\n\\\n\t", []Entry{{"", "kA", 1}}},
		{"comment after empty continuation", "\f\\\n!0\f#", nil},
		{"hash comment after empty continuation", "\\\n#:0#k\\u0041\r\nk", []Entry{{"k", "", 3}}},
		{"bad escape in a comment is ignored", "=:k\t\r\n\\\n#\\u", []Entry{{"", ":k\t", 1}}},
		{"blank last continuation line", "x\\\n   ", []Entry{{"x", "", 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Parse(strings.NewReader(tt.in), "t.conf")
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got := p.Entries()
			if len(got) == 0 {
				got = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a=1\nb=\\u12", "t.conf:2: "},
		{"a=1\nb=\\u12zz", "malformed"},
		{"\n\nk\\u00=1", "t.conf:3: key"},
	}
	for _, tt := range tests {
		_, err := Parse(strings.NewReader(tt.in), "t.conf")
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("Parse(%q) = %v, want error containing %q", tt.in, err, tt.want)
		}
	}
}

func TestParseLatin1Fallback(t *testing.T) {
	p, err := Parse(strings.NewReader("# caf\xe9\nname=caf\xe9 \xa7\n"), "latin1.conf")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := p.Get("name"); v != "café §" {
		t.Fatalf("got %q", v)
	}
}

func TestParseTooLarge(t *testing.T) {
	_, err := Parse(strings.NewReader(strings.Repeat("#", MaxFileSize+1)), "big")
	if !errors.Is(err, ErrTooLarge) {
		t.Fatalf("got %v, want ErrTooLarge", err)
	}
}

func TestPropsAccessors(t *testing.T) {
	p, err := Parse(strings.NewReader("b=2\na=1\nc=3"), "f")
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Keys(); !reflect.DeepEqual(got, []string{"b", "a", "c"}) {
		t.Fatalf("Keys = %v", got)
	}
	if got := p.SortedKeys(); !reflect.DeepEqual(got, []string{"a", "b", "c"}) {
		t.Fatalf("SortedKeys = %v", got)
	}
	if p.Where("a") != "f:2" {
		t.Fatalf("Where = %s", p.Where("a"))
	}
	p.Set("a", "9", 0)
	if v, _ := p.Get("a"); v != "9" || p.Where("a") != "f" {
		t.Fatalf("after override: %q %s", v, p.Where("a"))
	}
	if !p.Delete("b") || p.Delete("b") {
		t.Fatal("Delete")
	}
	if got := p.Keys(); !reflect.DeepEqual(got, []string{"a", "c"}) {
		t.Fatalf("Keys after delete = %v", got)
	}
	if v, ok := p.Get("c"); !ok || v != "3" || p.Len() != 2 {
		t.Fatalf("Get(c) after delete = %q %v", v, ok)
	}
}

func TestSetFromNamesSource(t *testing.T) {
	p, _ := Parse(strings.NewReader("namesrvAddr=a:1"), "broker.conf")
	p.SetFrom("namesrvAddr", "b:2", "-n flag")
	if p.Where("namesrvAddr") != "-n flag" {
		t.Fatalf("Where = %q", p.Where("namesrvAddr"))
	}
	p.Set("namesrvAddr", "c:3", 7)
	if p.Where("namesrvAddr") != "broker.conf:7" {
		t.Fatalf("Where after Set = %q", p.Where("namesrvAddr"))
	}
}
