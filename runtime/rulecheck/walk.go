package rulecheck

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// Scope selects package directories under a module root. Patterns are
// slash-separated paths relative to the root; each element may use
// path.Match wildcards, and a trailing "/..." also matches every directory
// below ("broker/..." matches broker and broker/store/commitlog).
type Scope struct {
	Include []string
	// Exclude wins over Include: the real runtime, the blocking client
	// facade and other places that are allowed to touch the world.
	Exclude []string
	// Allow lists narrow, justified exceptions inside included packages.
	Allow []Allowance
	// ForbidImports are module packages (patterns relative to the module
	// root, as for Include) that in-scope packages must not import: the real
	// world's and the simulator's implementations, which a core reaching
	// past its runtime.Runtime would need. Test-helper packages (named
	// "...test", like remotingtest) are exempt from this rule only: they
	// exist to wire cores to the simulator.
	ForbidImports []string
}

// Allowance permits one reference (Violation.Ref) in the directories a
// pattern matches. Keep each one narrow and say why: the lint is only as
// strong as its exceptions are few.
type Allowance struct {
	Dir string // a directory pattern, as in Scope
	Ref string // exactly as Violation.Ref
	Why string
}

// allowed reports whether a violation in directory rel is excused.
func (s Scope) allowed(rel string, v Violation) bool {
	return slices.ContainsFunc(s.Allow, func(a Allowance) bool {
		return a.Ref == v.Ref && matchDir(a.Dir, rel)
	})
}

// Core is the set of packages that must obey the rule. Directories that do
// not exist yet are simply not visited; main packages are skipped wherever
// they are (a main package is the real world's entry point); so are
// testdata, vendor, and directories starting with "." or "_", which the go
// tool ignores as well.
var Core = Scope{
	Include: []string{
		"broker/...",
		"namesrv/...",
		"client/...",
		"remoting/...",
		"jepsen/check*/...",
		"sim/pingpong/...",
		"runtime",
	},
	Exclude: []string{
		"runtime/realrt/...",
		// The blocking client facade waits for results on channels the
		// event-driven core completes through Post; it lives at one of these.
		"client/blocking/...",
		"client/facade/...",
	},
	ForbidImports: []string{
		"runtime/realrt/...",
		"sim/simrt/...",
		"sim/simdisk/...",
		"sim/simnet/...",
		"sim/simclock/...",
		"client/blocking/...",
		"client/facade/...",
	},
	Allow: coreAllowances(),
}

// coreAllowances are the Core scope's exceptions. It lets the checkers
// (jepsen/check*) read history files
// and write verdicts and visualisations: they judge a run after the fact
// and are not simulated nodes. Their verdicts must still be a function of
// the history alone, so randomness, sockets and goroutines stay forbidden
// there, and so does the rest of package os (environment, processes, exit)
// and of the clock but for one search budget.
func coreAllowances() []Allowance {
	var out []Allowance
	for _, fn := range []string{"Open", "Create", "CreateTemp", "MkdirAll", "ReadFile",
		"WriteFile", "ReadDir", "Rename", "Remove", "Stat"} {
		out = append(out, Allowance{Dir: "jepsen/check*/...", Ref: "os." + fn,
			Why: "checkers read histories and write reports; they run outside the simulated world"})
	}
	// Golden files pin the persisted tables' bytes in tests; the helper
	// that compares them is test support, never part of a node.
	for _, fn := range []string{"ReadFile", "WriteFile"} {
		out = append(out, Allowance{Dir: "broker/table/tabletest", Ref: "os." + fn,
			Why: "tests compare encodings with golden files; test support, not a node"})
	}
	// The linearizability search gets a wall-clock budget: porcupine's
	// search is exponential in the worst case, and running out turns that
	// queue's verdict into unknown, never into pass or fail.
	for _, fn := range []string{"Now", "Since"} {
		out = append(out, Allowance{Dir: "jepsen/check", Ref: "time." + fn,
			Why: "the linearizability search budget is machine time; spending it yields unknown, never pass or fail"})
	}
	return out
}

// Matches reports whether the slash-separated directory rel is in scope.
func (s Scope) Matches(rel string) bool {
	in := func(patterns []string) bool {
		return slices.ContainsFunc(patterns, func(p string) bool { return matchDir(p, rel) })
	}
	return in(s.Include) && !in(s.Exclude)
}

// matchDir matches one pattern against a directory path, element by element.
func matchDir(pattern, rel string) bool {
	pat := strings.Split(pattern, "/")
	dir := strings.Split(rel, "/")
	if rel == "." || rel == "" {
		dir = nil
	}
	recursive := len(pat) > 0 && pat[len(pat)-1] == "..."
	if recursive {
		pat = pat[:len(pat)-1]
		if len(dir) < len(pat) {
			return false
		}
		dir = dir[:len(pat)]
	}
	if len(dir) != len(pat) {
		return false
	}
	for i := range pat {
		if ok, err := path.Match(pat[i], dir[i]); err != nil || !ok {
			return false
		}
	}
	return true
}

// Check lints every package directory under root that the scope selects.
// Violation files are slash paths relative to root, sorted.
func Check(root string, s Scope) ([]Violation, error) {
	forbid, err := s.importRule(root)
	if err != nil {
		return nil, err
	}
	var vs []Violation
	err = filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			return nil
		}
		name := e.Name()
		if p != root && (name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_")) {
			return filepath.SkipDir
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !s.Matches(rel) {
			return nil
		}
		dvs, err := checkDir(p, rel, forbid)
		for _, v := range dvs {
			if !s.allowed(rel, v) {
				vs = append(vs, v)
			}
		}
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rulecheck: walk %s: %w", root, err)
	}
	sortViolations(vs)
	return vs, nil
}

// CheckDir lints the package in one directory, whatever the scope.
func CheckDir(dir string) ([]Violation, error) {
	vs, err := checkDir(dir, filepath.ToSlash(dir), nil)
	sortViolations(vs)
	return vs, err
}

// importRule builds the ForbidImports test for the module at root; it is
// nil when the scope forbids nothing or root holds no go.mod.
func (s Scope) importRule(root string) (func(string) bool, error) {
	if len(s.ForbidImports) == 0 {
		return nil, nil
	}
	mod, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("rulecheck: %w", err)
	}
	module := modulePath(mod)
	if module == "" {
		return nil, fmt.Errorf("rulecheck: no module line in %s", filepath.Join(root, "go.mod"))
	}
	return func(imp string) bool {
		rel, ok := strings.CutPrefix(imp, module+"/")
		return ok && slices.ContainsFunc(s.ForbidImports, func(p string) bool { return matchDir(p, rel) })
	}, nil
}

// modulePath reads the module line of a go.mod file.
func modulePath(mod []byte) string {
	for line := range strings.Lines(string(mod)) {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`)
		}
	}
	return ""
}

// checkDir lints the non-test Go files of dir, naming them under label. A
// main package yields nothing. forbid, when not nil, reports module imports
// the package may not use.
func checkDir(dir, label string, forbid func(string) bool) ([]Violation, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("rulecheck: %w", err)
	}
	var vs []Violation
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return nil, fmt.Errorf("rulecheck: %w", err)
		}
		pkg, fvs, err := checkSource(path.Join(label, name), src, forbid)
		if err != nil {
			return nil, err
		}
		if pkg == "main" {
			return nil, nil
		}
		vs = append(vs, fvs...)
	}
	return vs, nil
}
