package scenario

import (
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"rocketsim/faults"
	"rocketsim/sim/pingpong"
)

const base = `name: t
duration: 1m
topology:
  nodes:
    - name: server
      role: server
    - name: c1
      role: client
workload:
  kind: pingpong
  params:
    interval: 10ms
faults:
  - at: 5s
    fault: {kind: crash, nodes: [server]}
`

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := Parse([]byte(src), "t.yaml")
	if err != nil {
		t.Fatalf("parse: %v", err)
	}
	return s
}

func TestParseBase(t *testing.T) {
	s := mustParse(t, base)
	if s.Duration != time.Minute || s.Settle != SettleDefault || s.Seed != nil {
		t.Errorf("duration %v settle %v seed %v", s.Duration, s.Settle, s.Seed)
	}
	cfg, ok := s.Workload.Config.(pingpong.Config)
	if !ok || cfg.Interval != 10*time.Millisecond || cfg.Port != pingpong.PortDefault {
		t.Errorf("workload config %#v", s.Workload.Config)
	}
	if len(s.Faults) != 1 || s.Faults[0].Fault.Kind != faults.Crash {
		t.Errorf("faults %+v", s.Faults)
	}
	if got := s.NodesWithRole("client"); len(got) != 1 || got[0].Name != "c1" {
		t.Errorf("clients %v", got)
	}
}

// TestErrorsNameTheProblem: each bad file must fail, and the message must
// name the file, the line and the offending key or value.
func TestErrorsNameTheProblem(t *testing.T) {
	cases := []struct {
		name, old, new string
		want           []string
	}{
		{"typo top-level", "duration: 1m", "durration: 1m", []string{"t.yaml:2:", `unknown key "durration"`, "duration"}},
		{"typo in node", "      role: client", "      rol: client", []string{"t.yaml:8:", `unknown key "rol"`}},
		{"typo in params", "    interval: 10ms", "    intervall: 10ms", []string{"t.yaml:12:", `"intervall"`}},
		{"typo in fault", "{kind: crash, nodes: [server]}", "{kind: crash, nodez: [server]}", []string{"t.yaml:15:", `"nodez"`}},
		{"typo in schedule", "  - at: 5s", "  - att: 5s", []string{"t.yaml:14:", `"att"`}},
		{"unknown node in fault", "nodes: [server]}", "nodes: [servr]}", []string{"t.yaml:15:", `unknown node "servr"`}},
		{"negative duration", "duration: 1m", "duration: -1m", []string{"t.yaml:2:", "duration -1m0s"}},
		{"bare number duration", "duration: 1m", "duration: 60", []string{"t.yaml:2:", "time.Duration"}},
		{"unknown workload kind", "kind: pingpong", "kind: pingpang", []string{"t.yaml:10:", `unknown workload kind "pingpang"`}},
		{"unknown role", "role: client", "role: clinet", []string{"t.yaml:8:", `role "clinet"`}},
		{"bad param value", "interval: 10ms", "interval: -10ms", []string{"t.yaml:", "interval"}},
		{"fault after the end", "at: 5s", "at: 2m", []string{"t.yaml:14:", "outside the run"}},
		{"duplicate node", "name: c1", "name: server", []string{"t.yaml:7:", "used twice"}},
		{"bad host", "role: client\n", "role: client\n      host: 300.1.1.1\n", []string{"t.yaml:9:", "IPv4"}},
		{"no server", "role: server", "role: client", []string{"needs 1 to 1 \"server\""}},
		{"options for pingpong", "role: client\n", "role: client\n      options: {x: 1}\n", []string{"t.yaml:9:", "take no options"}},
		{"bad fault param", "{kind: crash, nodes: [server]}", "{kind: fsync-fail, nodes: [server], prob: 2}", []string{"t.yaml:15:", "outside [0, 1]"}},
		{"disk typo", "role: client\n", "role: client\n      disk: {capacity: 1MiB, sector: 512}\n", []string{"t.yaml:9:", `unknown key "sector"`}},
		{"bad size", "role: client\n", "role: client\n      disk: {capacity: 1MB}\n", []string{"t.yaml:9:", "bad size"}},
		{"network typo", "workload:\n", "network: {latncy: {min: 1ms, max: 2ms}}\nworkload:\n", []string{"t.yaml:9:", `unknown key "latncy"`, "bandwidth"}},
		{"network loss", "workload:\n", "network:\n  loss: 1.5\nworkload:\n", []string{"t.yaml:10:", "loss 1.5"}},
	}
	for _, c := range cases {
		if !strings.Contains(base, c.old) {
			t.Fatalf("%s: base lacks %q", c.name, c.old)
		}
		src := strings.Replace(base, c.old, c.new, 1)
		_, err := Parse([]byte(src), "t.yaml")
		if err == nil {
			t.Errorf("%s: parsed", c.name)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q does not mention %q", c.name, err, w)
			}
		}
	}
}

func TestExpectations(t *testing.T) {
	s := mustParse(t, base+"expectations:\n  durability: {lost: allowed}\n  liveness: {min-acks-after-heal: 5}\n")
	b := s.Bounds()
	if _, ok := b["durability"]["max-lost"]; ok {
		t.Error("lost: allowed did not lift the default max-lost")
	}
	if b["liveness"]["min-acks-after-heal"].Limit != 5 {
		t.Errorf("liveness bound %v", b["liveness"])
	}
	if b["integrity"]["max-unexpected"].Limit != 0 {
		t.Error("the default integrity bound is gone")
	}
	js := s.Judge(map[string]map[string]float64{
		"durability": {"lost": 3},
		"integrity":  {"unexpected": 0},
		"liveness":   {"acks-after-heal": 4},
	})
	pass := map[string]bool{}
	for _, j := range js {
		pass[j.Checker+"."+j.Key] = j.Pass
	}
	if !pass["durability.lost"] || !pass["integrity.max-unexpected"] || pass["liveness.min-acks-after-heal"] {
		t.Errorf("judgements %v", js)
	}
	// A bounded metric that was never measured fails.
	for _, j := range s.Judge(nil) {
		if j.Checker == "integrity" && j.Pass {
			t.Error("an unmeasured metric passed its bound")
		}
	}

	for src, want := range map[string]string{
		"expectations:\n  durabilty: {max-lost: 0}\n":        `unknown checker "durabilty"`,
		"expectations:\n  durability: {max-lots: 0}\n":       `no metric "lots"`,
		"expectations:\n  durability: {lost: 0}\n":           "max-METRIC",
		"expectations:\n  durability: {max-lost: many}\n":    `"many"`,
		"expectations:\n  durability: {max-lost: allowed}\n": "takes a number",
	} {
		_, err := Parse([]byte(base+src), "t.yaml")
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one mentioning %q", src, err, want)
		}
	}
}

func TestPlanEveryIsSeededAndBounded(t *testing.T) {
	src := strings.Replace(base, "  - at: 5s\n", "  - every: 10s\n    jitter: 3s\n    from: 5s\n    until: 50s\n", 1)
	s := mustParse(t, src)
	plan := func(seed uint64) []Planned {
		p, err := s.Plan(rand.New(rand.NewPCG(seed, 0)))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	a, b, c := plan(1), plan(1), plan(2)
	if len(a) != 5 {
		t.Fatalf("every 10s from 5s until 50s: %d faults, want 5", len(a))
	}
	same := true
	for i := range a {
		if a[i].At != b[i].At {
			t.Errorf("seed 1 twice: %v vs %v", a[i].At, b[i].At)
		}
		if a[i].At != c[i].At {
			same = false
		}
		base := 5*time.Second + time.Duration(i)*10*time.Second
		if a[i].At < base || a[i].At >= base+3*time.Second {
			t.Errorf("occurrence %d at %v, want in [%v, %v)", i, a[i].At, base, base+3*time.Second)
		}
	}
	if same {
		t.Error("seeds 1 and 2 drew the same jitter")
	}

	prob := strings.Replace(src, "until: 50s\n", "until: 50s\n    prob: 0.5\n", 1)
	s = mustParse(t, prob)
	total := 0
	for seed := range uint64(40) {
		p, _ := s.Plan(rand.New(rand.NewPCG(seed, 0)))
		total += len(p)
	}
	if total < 60 || total > 140 {
		t.Errorf("prob 0.5 over 40 seeds × 5 occurrences gave %d faults, want about 100", total)
	}

	tooMany := strings.Replace(base, "  - at: 5s\n", "  - every: 100us\n", 1)
	if _, err := Parse([]byte(tooMany), "t.yaml"); err == nil || !strings.Contains(err.Error(), "more than") {
		t.Errorf("a schedule of 600000 faults: error %v", err)
	}
}

func TestPlanOrdersByTimeKeepingFileOrder(t *testing.T) {
	src := base + "  - at: 1s\n    fault: {kind: heal}\n  - at: 5s\n    fault: {kind: restart, nodes: [server]}\n"
	s := mustParse(t, src)
	p, err := s.Plan(rand.New(rand.NewPCG(0, 0)))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range p {
		got = append(got, string(f.Fault.Kind))
	}
	if strings.Join(got, ",") != "heal,crash,restart" {
		t.Errorf("order %v", got)
	}
}

func TestShippedScenariosLoad(t *testing.T) {
	files, err := filepath.Glob("../../scenarios/*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios found: %v", err)
	}
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			t.Errorf("%v", err)
			continue
		}
		if _, err := s.Plan(rand.New(rand.NewPCG(7, 0))); err != nil {
			t.Errorf("%s: plan: %v", f, err)
		}
	}
}

func TestLoadMissingAndEmpty(t *testing.T) {
	if _, err := Load("no/such/file.yaml"); err == nil {
		t.Error("loaded a missing file")
	}
	if _, err := Parse(nil, "e.yaml"); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if _, err := Parse([]byte(base+"---\nname: x\n"), "t.yaml"); err == nil || !strings.Contains(err.Error(), "one YAML document") {
		t.Errorf("two documents: %v", err)
	}
}

func TestScheduleValidation(t *testing.T) {
	entry := "  - at: 5s\n    fault: {kind: crash, nodes: [server]}\n"
	// Each error names the line of the offending key (14 is the entry).
	cases := []struct {
		bad, want string
		line      int
	}{
		{"  - at: 5s\n    every: 1s\n    fault: {kind: heal}\n", "either at, or every", 14},
		{"  - fault: {kind: heal}\n", "needs at or every", 14},
		{"  - at: 5s\n", "missing fault", 14},
		{"  - every: 10s\n    jitter: 10s\n    fault: {kind: heal}\n", "jitter 10s", 15},
		{"  - every: 10s\n    from: 30s\n    until: 20s\n    fault: {kind: heal}\n", "until 20s", 16},
		{"  - every: 10s\n    prob: 0\n    fault: {kind: heal}\n", "prob 0", 15},
		{"  - every: 10s\n    prob: 1.5\n    fault: {kind: heal}\n", "prob 1.5", 15},
		{"  - every: 10s\n    from: 2m\n    fault: {kind: heal}\n", "from 2m0s", 15},
		{"  - every: -10s\n    fault: {kind: heal}\n", "every -10s", 14},
		{"  - at: -1s\n    fault: {kind: heal}\n", "at -1s", 14},
	}
	for _, c := range cases {
		src := strings.Replace(base, entry, c.bad, 1)
		_, err := Parse([]byte(src), "t.yaml")
		at := fmt.Sprintf("t.yaml:%d:", c.line)
		if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), at) {
			t.Errorf("%q: error %v, want one at %s mentioning %q", c.bad, err, at, c.want)
		}
	}
}
