package bugs

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The switches must be reachable from tests only. Production code may hold
// the plumbing (the broker's hooks, the simulator's option that carries them
// to the brokers), but nothing that is not a test may import this package or
// name that plumbing elsewhere: not the broker's main, not the scenario
// loader or the simulator's CLI, so no file or flag can turn a switch on.

// plumbing are the non-test files allowed to name the switches, by path
// from the module root.
var plumbing = []string{
	"broker/server/bugs.go",   // the hooks and NewWithBugs
	"broker/server/server.go", // the Broker's bugs field
	"sim/mq/run.go",           // Options.BrokerBugs
	"sim/mq/deploy.go",        // hands Options.BrokerBugs to NewWithBugs
}

// plumbingNames are the identifiers that carry switches into a broker.
var plumbingNames = map[string]bool{"NewWithBugs": true, "BrokerBugs": true}

func TestSwitchesReachableFromTestsOnly(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); path != root && (strings.HasPrefix(name, ".") || name == "testdata") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if strings.HasPrefix(rel, "broker/bugs/") {
			return nil
		}
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		allowed := slices.Contains(plumbing, rel)
		for _, imp := range f.Imports {
			if p, _ := strconv.Unquote(imp.Path.Value); p == "rocketsim/broker/bugs" && !allowed {
				t.Errorf("%s imports the test-only fault switches", rel)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if id, ok := n.(*ast.Ident); ok && plumbingNames[id.Name] && !allowed {
				t.Errorf("%s names %s, which turns on test-only fault switches", rel, id.Name)
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked < 50 {
		t.Fatalf("walked only %d files from %s: the walk is not seeing the module", checked, root)
	}
}
