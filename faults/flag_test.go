package faults

import (
	"flag"
	"io"
	"strings"
	"testing"
	"time"
)

func TestFlagListCollectsAndRefuses(t *testing.T) {
	newSet := func() (*flag.FlagSet, *FlagList) {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var l FlagList
		fs.Var(&l, "fault", "a fault")
		return fs, &l
	}
	fs, l := newSet()
	err := fs.Parse([]string{"-fault", "{kind: fsync-fail, nodes: [b], prob: 0.5}", "-fault", "{kind: clock-jump, nodes: [b], by: -3s}"})
	if err != nil {
		t.Fatal(err)
	}
	if len(*l) != 2 || (*l)[0].Kind != FsyncFail || (*l)[0].Prob != 0.5 || (*l)[1].Kind != ClockJump || (*l)[1].By != -3*time.Second {
		t.Fatalf("got %+v", *l)
	}
	if got, want := l.String(), "{kind: fsync-fail, nodes: [b], prob: 0.5} {kind: clock-jump, nodes: [b], by: -3s}"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}

	for _, bad := range []string{"fsync-fail", "{kind: fsync-fail, prob: 2}", "{kind: nonsense}"} {
		fs, l := newSet()
		err := fs.Parse([]string{"-fault", bad})
		if err == nil || !strings.Contains(err.Error(), "-fault") {
			t.Errorf("-fault %q: want an error naming the flag, got %v", bad, err)
		}
		if len(*l) != 0 {
			t.Errorf("-fault %q: kept %+v", bad, *l)
		}
	}
	var nilList *FlagList
	if nilList.String() != "" {
		t.Error("a nil list prints empty (flag's defaults use a zero value)")
	}
}
