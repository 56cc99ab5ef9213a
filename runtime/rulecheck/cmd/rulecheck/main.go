// Command rulecheck lints the module's core packages for DESIGN.md's one
// rule and prints every violation as file:line: [rule] detail.
//
//	go run ./runtime/rulecheck/cmd/rulecheck [module-root]
//
// The root defaults to the nearest directory above the working directory
// that holds go.mod. Exit status: 0 clean, 1 violations, 2 could not check.
package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"rocketsim/runtime/rulecheck"
)

func main() {
	root, err := rootDir(os.Args[1:])
	if err != nil {
		fmt.Fprintln(os.Stderr, "rulecheck:", err)
		os.Exit(2)
	}
	vs, err := rulecheck.Check(root, rulecheck.Core)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for _, v := range vs {
		fmt.Println(v)
	}
	if len(vs) > 0 {
		fmt.Fprintf(os.Stderr, "rulecheck: %d violations of the one rule (see DESIGN.md)\n", len(vs))
		os.Exit(1)
	}
}

// rootDir is the argument if given, else the module root above the working
// directory.
func rootDir(args []string) (string, error) {
	switch len(args) {
	case 0:
	case 1:
		return args[0], nil
	default:
		return "", errors.New("usage: rulecheck [module-root]")
	}
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}
