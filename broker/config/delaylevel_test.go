package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseDelayLevels(t *testing.T) {
	d, err := ParseDelayLevels(DefaultMessageDelayLevel)
	if err != nil || len(d) != 18 {
		t.Fatalf("%v %v", d, err)
	}
	want := map[int]time.Duration{1: time.Second, 4: 30 * time.Second, 5: time.Minute, 16: 30 * time.Minute, 17: time.Hour, 18: 2 * time.Hour}
	for lvl, w := range want {
		if got, ok := d.Level(lvl); !ok || got != w {
			t.Errorf("level %d = %v %v, want %v", lvl, got, ok, w)
		}
	}
	if _, ok := d.Level(0); ok {
		t.Error("level 0 exists")
	}
	if _, ok := d.Level(19); ok {
		t.Error("level 19 exists")
	}
	if d, err := ParseDelayLevels("  2d\t90m  0s "); err != nil || d.String() != "2d 90m 0s" {
		t.Fatalf("%v %v", d, err)
	}
}

func TestParseDelayLevelsErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", "no delay levels"},
		{"1s 5", `level 2 "5"`},
		{"1s 5ms", `level 2 "5ms"`},
		{"1s -5s", `level 2 "-5s"`},
		{"s", `level 1 "s"`},
		{"1.5s", `level 1 "1.5s"`},
		{"99999999999999d", "too long"},
		{strings.Repeat("1s ", MaxDelayLevels+1), "at most"},
	}
	for _, tt := range tests {
		_, err := ParseDelayLevels(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseDelayLevels(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestDelayLevelsMarshalRefusesSubSecond(t *testing.T) {
	d := DelayLevels{1500 * time.Millisecond}
	if _, err := d.MarshalText(); err == nil {
		t.Fatal("sub-second delay marshalled")
	}
	if d.String() != "1.5s" {
		t.Fatalf("String = %q", d.String())
	}
}
