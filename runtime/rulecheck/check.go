package rulecheck

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/build/constraint"
	"go/parser"
	"go/token"
	"slices"
	"strconv"
	"strings"
)

// Violation is one place that breaks the rule.
type Violation struct {
	File string // as given to the checker (relative to the root for Check)
	Line int
	Rule string // one of the Rule* constants
	// Ref is what was referenced: "importpath.Member" ("os.MkdirAll",
	// "math/rand/v2.IntN"), "importpath" for a blank or dot import, or "go"
	// for a go statement. Scope.Allow matches on it.
	Ref    string
	Detail string
}

func (v Violation) String() string {
	return fmt.Sprintf("%s:%d: [%s] %s", v.File, v.Line, v.Rule, v.Detail)
}

// CheckSource lints one Go source file. It reports the package name so
// callers can skip main packages; the name is empty for a file that no
// build includes (//go:build ignore).
func CheckSource(filename string, src []byte) (pkg string, vs []Violation, err error) {
	return checkSource(filename, src, nil)
}

func checkSource(filename string, src []byte, forbid func(string) bool) (string, []Violation, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return "", nil, fmt.Errorf("rulecheck: parse: %w", err)
	}
	if ignored(f) {
		// Not part of the package: its name (often main) says nothing.
		return "", nil, nil
	}
	if strings.HasSuffix(f.Name.Name, "test") {
		forbid = nil
	}
	return f.Name.Name, checkFile(fset, f, filename, forbid), nil
}

// ignored reports whether the file is excluded from every build by the
// "ignore" tag convention (//go:build ignore), as generators are. Other
// constraints (GOOS, GOARCH, custom tags) are assumed satisfied: a file
// built anywhere must obey the rule.
func ignored(f *ast.File) bool {
	for _, g := range f.Comments {
		if g.Pos() >= f.Package {
			break
		}
		for _, c := range g.List {
			if !constraint.IsGoBuild(c.Text) {
				continue
			}
			expr, err := constraint.Parse(c.Text)
			if err != nil {
				return false
			}
			mentions := false
			all := expr.Eval(func(tag string) bool {
				if tag == "ignore" {
					mentions = true
					return false
				}
				return true
			})
			return mentions && !all
		}
	}
	return false
}

// checkFile walks one parsed file.
func checkFile(fset *token.FileSet, f *ast.File, filename string, forbid func(string) bool) []Violation {
	var vs []Violation
	report := func(pos token.Pos, rule, ref, detail string) {
		vs = append(vs, Violation{File: filename, Line: fset.Position(pos).Line, Rule: rule, Ref: ref, Detail: detail})
	}

	// Local names bound by this file's imports of ruled packages.
	type bound struct {
		path string
		rule pkgRule
	}
	names := map[string]bound{}
	for _, spec := range f.Imports {
		path, err := strconv.Unquote(spec.Path.Value)
		if err != nil {
			continue // the parser accepted it, so this cannot happen
		}
		if forbid != nil && forbid(path) {
			report(spec.Pos(), RuleImport, path, fmt.Sprintf("import of %q: a core reaches the world only through runtime.Runtime", path))
		}
		r, ok := ruleFor(path)
		if !ok {
			continue
		}
		if r.rule == RuleImport {
			// Banned as a dependency: the import itself is the violation,
			// and its package name need not match its path.
			report(spec.Pos(), r.rule, path, fmt.Sprintf("import of %q: %s", path, r.why))
			continue
		}
		name := defaultName(path)
		if spec.Name != nil {
			name = spec.Name.Name
		}
		switch name {
		case "_":
			// A blank import runs the package's init only; a whole-package
			// ban covers that too (net/http/pprof starts a server).
			if r.whole {
				report(spec.Pos(), r.rule, path, fmt.Sprintf("blank import of %q: %s", path, r.why))
			}
		case ".":
			// Members become unqualified and cannot be attributed.
			report(spec.Pos(), r.rule, path, fmt.Sprintf("dot import of %q hides which members are used: %s", path, r.why))
		default:
			names[name] = bound{path, r}
		}
	}

	ast.Inspect(f, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.GoStmt:
			report(n.Pos(), RuleGo, "go", "go statement: nodes are single-threaded; ask the runtime for effects")
		case *ast.SelectorExpr:
			id, ok := n.X.(*ast.Ident)
			// Obj is nil for identifiers the parser could not resolve in the
			// file's scopes, which is what package names are; a local
			// variable named like an import has an Obj and is skipped.
			if !ok || id.Obj != nil {
				return true
			}
			b, ok := names[id.Name]
			if ok && b.rule.forbids(n.Sel.Name) {
				report(n.Pos(), b.rule.rule, b.path+"."+n.Sel.Name, fmt.Sprintf("%s.%s (%q): %s", id.Name, n.Sel.Name, b.path, b.rule.why))
			}
		}
		return true
	})
	return vs
}

// sortViolations orders violations by file, then line, then rule.
func sortViolations(vs []Violation) {
	slices.SortFunc(vs, func(a, b Violation) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line),
			cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Detail, b.Detail))
	})
}
