package properties

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

type color int

const (
	red color = iota + 1
	blue
)

var errBadColor = errors.New("want RED or BLUE")

func (c *color) UnmarshalText(b []byte) error {
	switch string(b) {
	case "RED":
		*c = red
	case "BLUE":
		*c = blue
	default:
		return errBadColor
	}
	return nil
}

func (c color) MarshalText() ([]byte, error) {
	switch c {
	case red:
		return []byte("RED"), nil
	case blue:
		return []byte("BLUE"), nil
	}
	return nil, fmt.Errorf("bad color %d", int(c))
}

type inner struct {
	Depth int `prop:"depth"`
}

type sample struct {
	inner
	Name    string        `prop:"name"`
	Port    int           `prop:"listenPort"`
	Big     int64         `prop:"big"`
	Small   int8          `prop:"small"`
	Count   uint32        `prop:"count"`
	On      bool          `prop:"on"`
	Ratio   float64       `prop:"ratio"`
	Flush   time.Duration `prop:"flushInterval"`
	Keep    time.Duration `prop:"keep,s"`
	Addrs   []string      `prop:"namesrvAddr"`
	Tags    []string      `prop:"tags,sep=comma"`
	Color   color         `prop:"color"`
	Ignored string        `prop:"-"`
	Nested  struct {
		Leaf string `prop:"leaf"`
	}
	untagged int
}

func TestBindAllTypes(t *testing.T) {
	in := `
name = broker-a
listenPort=10911  
big=-9000000000
small=-128
count=7
on=TRUE
ratio=0.75
flushInterval=500
keep=1.5m
namesrvAddr=a:9876; b:9876;;
tags=x, y
color=BLUE
depth=3
leaf=l
`
	p, err := Parse(strings.NewReader(in), "b.conf")
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := Bind(p, &s); err != nil {
		t.Fatalf("Bind: %v", err)
	}
	if s.Name != "broker-a" || s.Port != 10911 || s.Big != -9000000000 || s.Small != -128 || s.Count != 7 ||
		!s.On || s.Ratio != 0.75 || s.Flush != 500*time.Millisecond || s.Keep != 90*time.Second ||
		!reflect.DeepEqual(s.Addrs, []string{"a:9876", "b:9876"}) || !reflect.DeepEqual(s.Tags, []string{"x", "y"}) ||
		s.Color != blue || s.Depth != 3 || s.Nested.Leaf != "l" {
		t.Fatalf("bound %+v", s)
	}
}

func TestBindKeepsDefaults(t *testing.T) {
	p, _ := Parse(strings.NewReader("name=x"), "f")
	s := sample{Port: 10911}
	if err := Bind(p, &s); err != nil {
		t.Fatal(err)
	}
	if s.Port != 10911 || s.Name != "x" {
		t.Fatalf("got %+v", s)
	}
}

func TestBindReportsEveryProblem(t *testing.T) {
	in := "listenPort=ten\nlistenPrt=1\non=yes\nname=ok\nsmall=128\ncolor=GREEN\nratio=NaN\nflushInterval=soon\nextra\ncount=-1\n"
	p, _ := Parse(strings.NewReader(in), "broker.conf")
	var s sample
	err := Bind(p, &s)
	var be *BindError
	if !errors.As(err, &be) {
		t.Fatalf("got %v, want *BindError", err)
	}
	var got []string
	for _, pr := range be.Problems {
		got = append(got, fmt.Sprintf("%s %s %d", pr.Where, pr.Key, pr.Kind))
	}
	want := []string{
		"broker.conf:1 listenPort 2",
		"broker.conf:2 listenPrt 1",
		"broker.conf:3 on 2",
		"broker.conf:5 small 2",
		"broker.conf:6 color 2",
		"broker.conf:7 ratio 2",
		"broker.conf:8 flushInterval 2",
		"broker.conf:9 extra 1",
		"broker.conf:10 count 2",
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("problems\n got %q\nwant %q", got, want)
	}
	if len(be.Unknown()) != 2 || len(be.Bad()) != 7 {
		t.Fatalf("Unknown %d Bad %d", len(be.Unknown()), len(be.Bad()))
	}
	if !errors.Is(err, errBadColor) {
		t.Fatal("errors.Is does not reach the type's own error")
	}
	msg := err.Error()
	for _, frag := range []string{`broker.conf:1: key listenPort: bad value "ten"`, "broker.conf:2: unknown key listenPrt"} {
		if !strings.Contains(msg, frag) {
			t.Errorf("message %q lacks %q", msg, frag)
		}
	}
	if s.Name != "ok" {
		t.Fatal("good entries must still bind")
	}
}

func TestBindPanicsOnProgrammingErrors(t *testing.T) {
	mustPanic := func(name string, f func()) {
		t.Helper()
		defer func() {
			if recover() == nil {
				t.Errorf("%s: no panic", name)
			}
		}()
		f()
	}
	p := New("f")
	mustPanic("non-pointer", func() { _ = Bind(p, sample{}) })
	mustPanic("duplicate key", func() {
		_ = Bind(p, &struct {
			A int `prop:"a"`
			B int `prop:"a"`
		}{})
	})
	mustPanic("bad option", func() {
		_ = Bind(p, &struct {
			A int `prop:"a,hours"`
		}{})
	})
}

func TestDumpRoundTrip(t *testing.T) {
	s := sample{
		Name: " lead space, = and : and \\ and\ttab", Port: 1, Big: -2, Small: 3, Count: 4, On: true, Ratio: 0.1,
		Flush: 1500 * time.Millisecond, Keep: 2500 * time.Millisecond, Addrs: []string{"a:1", "b:2"},
		Tags: []string{"x", "y"}, Color: red,
	}
	s.Depth = 5
	s.Nested.Leaf = "中文"
	out := Dump(&s)
	if !strings.HasPrefix(out, "depth=5\nname=") {
		t.Fatalf("declaration order broken:\n%s", out)
	}
	if !strings.Contains(out, "\nflushInterval=1500\n") || !strings.Contains(out, "\nkeep=2.5s\n") || !strings.Contains(out, "\nnamesrvAddr=a:1;b:2\n") {
		t.Fatalf("dump:\n%s", out)
	}
	p, err := Parse(strings.NewReader(out), "dump")
	if err != nil {
		t.Fatal(err)
	}
	var back sample
	if err := Bind(p, &back); err != nil {
		t.Fatal(err)
	}
	// Bind trims blanks, so a leading blank does not survive; compare the rest.
	back.Name = " " + back.Name
	if !reflect.DeepEqual(back, s) {
		t.Fatalf("round trip\n got %+v\nwant %+v", back, s)
	}
	if got := KeysOf(s); got[0] != "depth" || got[len(got)-1] != "leaf" || len(got) != 14 {
		t.Fatalf("KeysOf = %v", got)
	}
}

func TestBindAlias(t *testing.T) {
	var s struct {
		Size int64 `prop:"mappedFileSize,alias=mapedFileSize"`
	}
	p, _ := Parse(strings.NewReader("mapedFileSize=42"), "f")
	if err := Bind(p, &s); err != nil || s.Size != 42 {
		t.Fatalf("alias: %v %d", err, s.Size)
	}
	if k := KeysOf(&s); len(k) != 1 || k[0] != "mappedFileSize" {
		t.Fatalf("KeysOf = %v", k)
	}
	if d := Dump(&s); d != "mappedFileSize=42\n" {
		t.Fatalf("Dump = %q", d)
	}
}
