package rulecheck

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// wants reads the "// want RULE" markers of a fixture file as "line:rule".
func wants(t *testing.T, file string) []string {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []string
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		if _, rule, ok := strings.Cut(sc.Text(), "// want "); ok {
			out = append(out, fmt.Sprintf("%d:%s", line, strings.TrimSpace(rule)))
		}
	}
	return out
}

func TestFixtureEveryRuleReportedAtItsLine(t *testing.T) {
	dir := filepath.Join("testdata", "violating")
	vs, err := CheckDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, fmt.Sprintf("%d:%s", v.Line, v.Rule))
		if !strings.HasSuffix(v.File, "violating.go") || v.Detail == "" {
			t.Errorf("bad violation record %+v", v)
		}
	}
	want := wants(t, filepath.Join(dir, "violating.go"))
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("violations differ from the want markers\n got: %v\nwant: %v", got, want)
		for _, v := range vs {
			t.Log(v)
		}
	}
	// Every rule has at least one planted violation, so a rule that stops
	// firing fails this test.
	for _, rule := range []string{RuleTime, RuleOS, RuleNet, RuleCryptoRand, RuleSyscall, RuleGlobalRand, RuleGo, RuleImport} {
		if !slices.ContainsFunc(want, func(w string) bool { return strings.HasSuffix(w, ":"+rule) }) {
			t.Errorf("fixture plants no %s violation", rule)
		}
	}
}

func TestMainPackageAndTestFilesSkipped(t *testing.T) {
	for _, dir := range []string{"mainpkg", "clean"} {
		vs, err := CheckDir(filepath.Join("testdata", dir))
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 0 {
			t.Errorf("%s: unexpected violations %v", dir, vs)
		}
	}
}

func TestRenamedImportResolved(t *testing.T) {
	src := []byte(`package p
import (
	clock "time"
	time "strings"
	r "math/rand/v2"
)
func f() {
	clock.Sleep(1)
	_ = time.ToUpper("x")
	_ = r.IntN(2)
	_ = r.New(r.NewPCG(1, 1))
}
`)
	_, vs, err := CheckSource("p.go", src)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, fmt.Sprintf("%d:%s", v.Line, v.Rule))
	}
	if want := []string{"8:time", "10:global-rand"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

func TestScopeMatches(t *testing.T) {
	cases := []struct {
		dir  string
		want bool
	}{
		{"broker", true},
		{"broker/store/commitlog", true},
		{"brokerx", false},
		{"jepsen/check", true},
		{"jepsen/checkers/delivery", true},
		{"jepsen/history", false},
		{"runtime", true},
		{"runtime/realrt", false},
		{"runtime/rulecheck", false},
		{"client/core", true},
		{"client/blocking", false},
		{"sim/pingpong", true},
		{"sim/simrt", false},
		{".", false},
	}
	for _, c := range cases {
		if got := Core.Matches(c.dir); got != c.want {
			t.Errorf("Core.Matches(%q) = %v, want %v", c.dir, got, c.want)
		}
	}
}

func TestCheckWalksScopeOnly(t *testing.T) {
	// Against the testdata tree as a root: only the included directory is
	// reported, and paths are relative to the root.
	vs, err := Check("testdata", Scope{Include: []string{"viol*/...", "mainpkg", "clean"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) == 0 {
		t.Fatal("nothing reported")
	}
	for _, v := range vs {
		if !strings.HasPrefix(v.File, "violating/") {
			t.Errorf("reported outside the violating package: %v", v)
		}
	}
	vs, err = Check("testdata", Scope{Include: []string{"..."}, Exclude: []string{"violating", "tagged"}})
	if err != nil || len(vs) != 0 {
		t.Fatalf("exclude ignored: %v %v", vs, err)
	}
}

// moduleRoot finds the directory holding go.mod above the working directory.
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the working directory")
		}
		dir = parent
	}
}

// TestCoreObeysTheRule is DESIGN.md's mechanical check: every core package
// in the repository takes the world only from a runtime.Runtime.
func TestCoreObeysTheRule(t *testing.T) {
	root := moduleRoot(t)
	vs, err := Check(root, Core)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("%v", v)
	}
	if len(vs) > 0 {
		t.Logf("%d violations of DESIGN.md's one rule; see runtime/rulecheck for the rules and the Core scope", len(vs))
	}
}

func TestAllowanceExcusesOnlyItsRef(t *testing.T) {
	all, err := Check("testdata", Scope{Include: []string{"violating"}})
	if err != nil {
		t.Fatal(err)
	}
	excused, err := Check("testdata", Scope{Include: []string{"violating"},
		Allow: []Allowance{{Dir: "violating", Ref: "os.Getenv", Why: "test"}, {Dir: "elsewhere", Ref: "os.Open"}}})
	if err != nil {
		t.Fatal(err)
	}
	if len(excused) != len(all)-1 {
		t.Fatalf("allowance removed %d violations, want 1", len(all)-len(excused))
	}
	for _, v := range excused {
		if v.Ref == "os.Getenv" {
			t.Fatalf("allowed ref still reported: %v", v)
		}
	}
	if !slices.ContainsFunc(excused, func(v Violation) bool { return v.Ref == "os.Open" }) {
		t.Fatal("allowance for another directory excused os.Open")
	}
}

func TestForbiddenModuleImports(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{
		"go.mod": "module example.com/m\n\ngo 1.26\n",
		"core/a.go": `package core

import (
	"example.com/m/runtime"
	"example.com/m/sim/simdisk"
	rt "example.com/m/runtime/realrt"
)

var _ = runtime.X
var _ = simdisk.X
var _ = rt.X
`,
		// A test-helper package may wire cores to the simulator.
		"core/coretest/h.go": "package coretest\n\nimport \"example.com/m/sim/simdisk\"\n\nvar _ = simdisk.X\n",
	}
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	s := Scope{Include: []string{"core/..."}, ForbidImports: Core.ForbidImports}
	vs, err := Check(root, s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, fmt.Sprintf("%s:%d:%s:%s", v.File, v.Line, v.Rule, v.Ref))
	}
	want := []string{
		"core/a.go:5:import:example.com/m/sim/simdisk",
		"core/a.go:6:import:example.com/m/runtime/realrt",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

func TestBuildConstraints(t *testing.T) {
	// gen.go (//go:build ignore, package main) is not part of the package
	// and must neither be checked nor make the directory a main package;
	// linux.go is built on Linux and must be checked.
	vs, err := CheckDir(filepath.Join("testdata", "tagged"))
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || !strings.HasSuffix(vs[0].File, "linux.go") || vs[0].Ref != "time.Sleep" {
		t.Fatalf("got %v, want only linux.go's time.Sleep", vs)
	}
}

func TestCoreAllowsCheckersFilesOnly(t *testing.T) {
	cases := []struct {
		dir, ref string
		want     bool
	}{
		{"jepsen/check", "os.Open", true},
		{"jepsen/check/delivery", "os.WriteFile", true},
		{"jepsen/check", "os.Getenv", false},
		{"jepsen/check", "time.Now", true},
		{"jepsen/check", "time.Sleep", false},
		{"jepsen/check/delivery", "time.Now", false},
		{"broker/store", "os.Open", false},
	}
	for _, c := range cases {
		if got := Core.allowed(c.dir, Violation{Ref: c.ref}); got != c.want {
			t.Errorf("Core allows %s in %s = %v, want %v", c.ref, c.dir, got, c.want)
		}
	}
}

// TestCoreScopeOnAModule plants the same violation across a module laid out
// like ours and checks which directories Core reports.
func TestCoreScopeOnAModule(t *testing.T) {
	root := t.TempDir()
	bad := func(pkg string) string {
		return "package " + pkg + "\n\nimport \"time\"\n\nfunc f() { time.Sleep(1) }\n"
	}
	files := map[string]string{
		"go.mod":                           "module example.com/m\n",
		"broker/main.go":                   bad("main"),
		"broker/store/commitlog/log.go":    bad("commitlog"),
		"broker/store/commitlog/x_test.go": bad("commitlog"),
		"broker/store/testdata/t.go":       bad("t"),
		"namesrv/routes/r.go":              bad("routes"),
		"client/core/c.go":                 bad("core"),
		"client/blocking/b.go":             bad("blocking"),
		"remoting/codec.go":                bad("remoting"),
		"jepsen/check/ch.go":               bad("check"),
		"jepsen/history/h.go":              bad("history"),
		"sim/pingpong/p.go":                bad("pingpong"),
		"sim/simrt/w.go":                   bad("simrt"),
		"runtime/runtime.go":               bad("runtime"),
		"runtime/realrt/rt.go":             bad("realrt"),
		"faults/f.go":                      bad("faults"),
		".hidden/broker/h.go":              bad("h"),
	}
	for name, src := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	vs, err := Check(root, Core)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, v := range vs {
		got = append(got, v.File)
	}
	want := []string{
		"broker/store/commitlog/log.go",
		"client/core/c.go",
		"jepsen/check/ch.go",
		"namesrv/routes/r.go",
		"remoting/codec.go",
		"runtime/runtime.go",
		"sim/pingpong/p.go",
	}
	if !slices.Equal(got, want) {
		t.Fatalf("reported %v\nwant %v", got, want)
	}
}
