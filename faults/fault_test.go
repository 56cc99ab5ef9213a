package faults

import (
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func decodeString(t *testing.T, src string) (Fault, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatalf("yaml: %v", err)
	}
	return Decode(doc.Content[0])
}

func TestDecodeEveryKind(t *testing.T) {
	cases := []struct {
		src  string
		want Fault
	}{
		{"{kind: crash, nodes: [server]}", Fault{Kind: Crash, Nodes: []string{"server"}}},
		{"{kind: restart, node: server}", Fault{Kind: Restart, Nodes: []string{"server"}}},
		{"{kind: power-loss, nodes: server}", Fault{Kind: PowerLoss, Nodes: []string{"server"}}},
		{"{kind: pause, nodes: [a, b]}", Fault{Kind: Pause, Nodes: []string{"a", "b"}}},
		{"{kind: resume, nodes: [a, b]}", Fault{Kind: Resume, Nodes: []string{"a", "b"}}},
		{"{kind: disk-full, nodes: [a], capacity: 64KiB}", Fault{Kind: DiskFull, Nodes: []string{"a"}, Capacity: 64 << 10}},
		{"{kind: disk-full, nodes: [a]}", Fault{Kind: DiskFull, Nodes: []string{"a"}}},
		{"{kind: disk-free, nodes: [a]}", Fault{Kind: DiskFree, Nodes: []string{"a"}}},
		{"{kind: fsync-latency, nodes: [a], min: 1ms, max: 20ms}", Fault{Kind: FsyncLatency, Nodes: []string{"a"}, Min: time.Millisecond, Max: 20 * time.Millisecond}},
		{"{kind: fsync-fail, nodes: [a], prob: 0.25}", Fault{Kind: FsyncFail, Nodes: []string{"a"}, Prob: 0.25}},
		{"{kind: clock-offset, nodes: [a], offset: -3s}", Fault{Kind: ClockOffset, Nodes: []string{"a"}, Offset: -3 * time.Second}},
		{"{kind: clock-drift, nodes: [a], rate: 1.001}", Fault{Kind: ClockDrift, Nodes: []string{"a"}, Rate: 1.001}},
		{"{kind: clock-jump, nodes: [a], by: 1h}", Fault{Kind: ClockJump, Nodes: []string{"a"}, By: time.Hour}},
		{"{kind: partition, groups: [[a], [b, c]]}", Fault{Kind: Partition, Groups: [][]string{{"a"}, {"b", "c"}}}},
		{"{kind: partition-one-way, from: a, to: [b, c]}", Fault{Kind: PartitionOneWay, From: []string{"a"}, To: []string{"b", "c"}}},
		{"{kind: heal}", Fault{Kind: Heal}},
		{"{kind: link-loss, prob: 0.1}", Fault{Kind: LinkLoss, Prob: 0.1}},
		{"{kind: link-loss, from: [a], to: b, prob: 0}", Fault{Kind: LinkLoss, From: []string{"a"}, To: []string{"b"}}},
		{"{kind: crash, nodes: [a, b, c], pick: 2}", Fault{Kind: Crash, Nodes: []string{"a", "b", "c"}, Pick: 2}},
		{"{kind: isolate, nodes: [a, b]}", Fault{Kind: Isolate, Nodes: []string{"a", "b"}}},
		{"{kind: partition-random}", Fault{Kind: PartitionRandom}},
		{"{kind: bridge, node: b}", Fault{Kind: Bridge, Nodes: []string{"b"}}},
		{"{kind: link-latency, min: 1ms, max: 5ms}", Fault{Kind: LinkLatency, Min: time.Millisecond, Max: 5 * time.Millisecond}},
		{"{kind: link-latency, from: a, to: b, min: 0s, max: 5ms}", Fault{Kind: LinkLatency, From: []string{"a"}, To: []string{"b"}, Max: 5 * time.Millisecond}},
	}
	covered := map[Kind]bool{}
	for _, c := range cases {
		got, err := decodeString(t, c.src)
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got.String() != c.want.String() {
			t.Errorf("%s: got %s, want %s", c.src, got, c.want)
		}
		covered[got.Kind] = true
		// String is the flow form Decode reads back: a fault survives the round trip.
		back, err := decodeString(t, got.String())
		if err != nil {
			t.Errorf("round trip of %s: %v", got, err)
		} else if back.String() != got.String() {
			t.Errorf("round trip: %s became %s", got, back)
		}
	}
	for _, k := range Kinds {
		if !covered[k] {
			t.Errorf("kind %s has no decode case", k)
		}
	}
}

func TestDecodeErrorsNameLineAndKey(t *testing.T) {
	cases := []struct {
		src  string
		want []string
	}{
		{"kind: crash\nnodes: [a]\nporb: 0.5\n", []string{"line 3", `"porb"`, "unknown key"}},
		{"kind: crsh\nnodes: [a]\n", []string{"line 1", "unknown fault kind", `"crsh"`}},
		{"nodes: [a]\n", []string{"line 1", `missing key "kind"`}},
		{"kind: crash\n", []string{`missing key "nodes"`}},
		{"kind: clock-jump\nnodes: [a]\nby: 3s\nprob: 0.1\n", []string{"line 4", `does not take "prob"`}},
		{"kind: fsync-fail\nnodes: [a]\nprob: 1.5\n", []string{"outside [0, 1]"}},
		{"kind: fsync-fail\nnodes: [a]\nprob: lots\n", []string{"line 3", `"prob"`, "want a number"}},
		{"kind: clock-jump\nnodes: [a]\nby: 5\n", []string{"line 3", "want a duration"}},
		{"kind: fsync-latency\nnodes: [a]\nmin: 5ms\nmax: 1ms\n", []string{"min <= max"}},
		{"kind: partition\ngroups: [[a]]\n", []string{"at least 2 groups"}},
		{"kind: partition\ngroups: [[a, b], [b]]\n", []string{`"b" is in two groups`}},
		{"kind: partition-one-way\nfrom: a\nto: a\n", []string{"both sides"}},
		{"kind: clock-drift\nnodes: [a]\nrate: 3\n", []string{"rate 3 outside"}},
		{"kind: disk-full\nnodes: [a]\ncapacity: 12XB\n", []string{"bad size"}},
		{"kind: crash\nnode: a\nnodes: [b]\n", []string{"either node or nodes"}},
		{"kind: crash\nnodes: {a: 1}\n", []string{"line 2", "got a mapping"}},
		{"[crash]\n", []string{"must be a mapping"}},
		{"kind: crash\nkind: heal\n", []string{"line 2", "given twice"}},
		{"kind: bridge\nnodes: [a, b]\n", []string{"exactly one bridge node"}},
		{"kind: crash\nnodes: [a, b]\npick: 3\n", []string{"pick 3 of 2 nodes"}},
		{"kind: crash\nnodes: [a, b]\npick: 1.5\n", []string{"line 3", "whole number"}},
		{"kind: heal\npick: 1\n", []string{"line 2", `does not take "pick"`}},
		{"kind: crash\nnodes: [\"a, b\"]\n", []string{`node name "a, b"`}},
		{"kind: partition-random\nnodes: [a]\n", []string{"line 2", `does not take "nodes"`}},
	}
	for _, c := range cases {
		_, err := decodeString(t, c.src)
		if err == nil {
			t.Errorf("%q: no error", c.src)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%q: error %q does not mention %q", c.src, err, w)
			}
		}
	}
}

func TestValidateGoValues(t *testing.T) {
	if err := (Fault{Kind: FsyncFail, Nodes: []string{"a"}}).Validate(); err != nil {
		t.Errorf("prob 0 must be valid (it turns failures off): %v", err)
	}
	if err := (Fault{Kind: Crash}).Validate(); err == nil {
		t.Error("crash without nodes validated")
	}
	if err := (Fault{Kind: Crash, Nodes: []string{"a"}, Prob: 0.5}).Validate(); err == nil {
		t.Error("crash with a prob validated")
	}
	if err := (Fault{Kind: "melt"}).Validate(); err == nil {
		t.Error("unknown kind validated")
	}
}

func TestTargetsSortedUnique(t *testing.T) {
	f := Fault{Kind: Partition, Groups: [][]string{{"c", "a"}, {"b"}}}
	got := strings.Join(f.Targets(), ",")
	if got != "a,b,c" {
		t.Errorf("targets %s", got)
	}
	if n := len((Fault{Kind: Heal}).Targets()); n != 0 {
		t.Errorf("heal has %d targets", n)
	}
}

func TestParseSize(t *testing.T) {
	good := map[string]int64{"0": 0, "4096": 4096, "64KiB": 65536, "1 MiB": 1 << 20, "2GiB": 2 << 30, "1TiB": 1 << 40, "512B": 512}
	for s, want := range good {
		got, err := ParseSize(s)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-1", "1.5MiB", "10MB", "lots", "99999999999TiB"} {
		if _, err := ParseSize(s); err == nil {
			t.Errorf("ParseSize(%q) accepted", s)
		}
	}
}

func TestUnmarshalInDocument(t *testing.T) {
	var doc struct {
		F []Fault `yaml:"faults"`
	}
	err := yaml.Unmarshal([]byte("faults:\n  - {kind: heal}\n  - {kind: crash, nodes: [x], bogus: 1}\n"), &doc)
	if err == nil || !strings.Contains(err.Error(), "line 3") || !strings.Contains(err.Error(), "bogus") {
		t.Fatalf("want an error naming line 3 and bogus, got %v", err)
	}
}

func TestParseString(t *testing.T) {
	f, err := Parse("{kind: clock-jump, nodes: [a], by: -1m}")
	if err != nil || f.Kind != ClockJump || f.By != -time.Minute {
		t.Fatalf("%+v %v", f, err)
	}
	for _, s := range []string{"", "crash", "{kind: crash}", "{kind: crash, nodes: [a]} extra: 1", "[1, 2]"} {
		if _, err := Parse(s); err == nil {
			t.Errorf("Parse(%q) accepted", s)
		}
	}
}
