// Package rulecheck enforces DESIGN.md's one rule mechanically: core
// packages (broker, name server, client cores, store, remoting, checkers)
// take time, files, sockets, randomness and concurrency only from a
// runtime.Runtime.
//
// TestCoreObeysTheRule runs Check over the module with the Core scope, so
// `go test ./runtime/rulecheck/` fails, naming file, line and rule, as soon
// as a core package breaks the rule. New core directories are covered by
// the scope's patterns as they land; a genuine exception goes into
// Core.Allow with its reason, never into a blanket exclusion.
//
// It is a syntactic lint on go/parser ASTs, deliberately without type
// information (go/packages would pull in the build system and a module
// dependency). A package reference is an identifier resolved against the
// file's own import specs, renamed imports included; a local variable that
// shadows an import name is not a package reference (the parser's object
// resolution tells them apart). What it cannot see without types, and so
// leaves to the simulator's same-seed/same-trace-hash check:
//   - map iteration whose order becomes observable;
//   - methods that start goroutines on values of imported types, apart from
//     the named type sync.WaitGroup (whose Go method does);
//   - time read through a time.Time method such as Local().
package rulecheck

import "strings"

// Rule names, as reported in Violation.Rule.
const (
	RuleTime       = "time"        // wall clock, sleeps, timers
	RuleOS         = "os"          // files, environment, processes
	RuleNet        = "net"         // sockets
	RuleCryptoRand = "crypto-rand" // unseeded randomness
	RuleSyscall    = "syscall"     // the kernel directly
	RuleGlobalRand = "global-rand" // math/rand's shared, unseeded source
	RuleGo         = "go"          // go statements and goroutine helpers
	RuleImport     = "import"      // a module package that implements the world
)

// pkgRule says which members of an imported package break the rule.
// Exactly one of deny and allow is meaningful: with whole set, every member
// is forbidden except those in allow; otherwise only those in deny are.
type pkgRule struct {
	rule  string
	whole bool
	allow map[string]bool
	deny  map[string]bool
	why   string
}

func set(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// forbids reports whether member name of the package breaks the rule.
func (r pkgRule) forbids(name string) bool {
	if r.whole {
		return !r.allow[name]
	}
	return r.deny[name]
}

// osAllow is the explicit allowlist of package os members core code may
// name. It is empty on purpose: runtime.ErrNotExist and friends replace the
// os error values, and nothing else in os is deterministic.
var osAllow = set()

// netAllow are the members of package net that only parse, format or hold
// addresses and touch no socket or resolver ("host:port" handling is part of
// RocketMQ's wire format). net/netip is not ruled at all.
var netAllow = set("JoinHostPort", "SplitHostPort", "ParseIP", "ParseCIDR", "IP", "IPv4",
	"IPNet", "IPMask", "IPv4Mask", "CIDRMask", "IPv4len", "IPv6len", "AddrError", "ParseError")

// uuidAllow are the members of github.com/google/uuid that only parse,
// format or hash (name-based UUIDs are deterministic).
var uuidAllow = set("UUID", "Parse", "ParseBytes", "MustParse", "FromBytes", "Validate", "Must",
	"NewSHA1", "NewMD5", "NewHash", "Nil", "Max", "NameSpaceDNS", "NameSpaceURL", "NameSpaceOID", "NameSpaceX500")

// randAllow are the math/rand members that need an explicit seed: the
// constructors and types. Everything else in math/rand (Intn, N, Float64,
// Shuffle, Seed, ...) uses the process-wide source.
var randAllow = set("New", "NewPCG", "NewChaCha8", "NewSource", "NewZipf",
	"Rand", "Source", "Source64", "PCG", "ChaCha8", "Zipf")

// rules maps an import path to what it forbids. Paths not listed (and not
// matched by prefixRules) are free to use.
var rules = map[string]pkgRule{
	"time": {rule: RuleTime, deny: set("Now", "Sleep", "After", "AfterFunc", "NewTimer",
		"NewTicker", "Tick", "Since", "Until", "LoadLocation", "Local"),
		why: "use the node's runtime.Clock (Now, Monotonic, AfterFunc)"},
	"os":                    {rule: RuleOS, whole: true, allow: osAllow, why: "use runtime.FS"},
	"io/ioutil":             {rule: RuleOS, whole: true, why: "use runtime.FS"},
	"path/filepath":         {rule: RuleOS, deny: set("Walk", "WalkDir", "Glob", "Abs", "EvalSymlinks"), why: "use runtime.FS"},
	"net":                   {rule: RuleNet, whole: true, allow: netAllow, why: "use runtime.Network"},
	"net/smtp":              {rule: RuleNet, whole: true, why: "use runtime.Network"},
	"crypto/rand":           {rule: RuleCryptoRand, whole: true, why: "use runtime.Rand"},
	"syscall":               {rule: RuleSyscall, whole: true, why: "go through the runtime"},
	"golang.org/x/sys/unix": {rule: RuleSyscall, whole: true, why: "go through the runtime"},
	"math/rand":             {rule: RuleGlobalRand, whole: true, allow: randAllow, why: "use runtime.Rand or a *rand.Rand seeded from it"},
	"math/rand/v2":          {rule: RuleGlobalRand, whole: true, allow: randAllow, why: "use runtime.Rand or a *rand.Rand seeded from it"},
	"context": {rule: RuleTime, deny: set("WithTimeout", "WithDeadline", "WithTimeoutCause", "WithDeadlineCause", "AfterFunc"),
		why: "context deadlines run on the real clock and AfterFunc on a goroutine; use runtime.Clock.AfterFunc"},
	"hash/maphash": {rule: RuleGlobalRand, deny: set("MakeSeed", "Hash"),
		why: "maphash seeds are random per process; hash with a fixed function (fnv, crc32)"},
	"sync":                       {rule: RuleGo, deny: set("WaitGroup"), why: "nodes are single-threaded; ask the runtime for effects"},
	"golang.org/x/sync/errgroup": {rule: RuleGo, whole: true, why: "nodes are single-threaded; ask the runtime for effects"},
	"github.com/google/uuid": {rule: RuleCryptoRand, whole: true, allow: uuidAllow,
		why: "random and time-based UUIDs read crypto/rand and the clock; derive ids from runtime.Rand"},
}

// prefixRules cover whole families of packages.
var prefixRules = []struct {
	prefix string
	rule   pkgRule
}{
	{"os", pkgRule{rule: RuleOS, whole: true, why: "use runtime.FS"}},
	{"net/http", pkgRule{rule: RuleNet, whole: true, why: "use runtime.Network"}},
	{"net/rpc", pkgRule{rule: RuleNet, whole: true, why: "use runtime.Network"}},
	// The official client is a peer to test against, not a library for the
	// core: it runs goroutines and real clocks (and its code must not be
	// copied in; DESIGN.md's facts-not-code rule).
	{"github.com/apache/rocketmq-client-go", pkgRule{rule: RuleImport, whole: true,
		why: "the official client runs goroutines and real clocks; only tests and the multi-process runner use it"}},
}

// ruleFor finds the rule for an import path.
func ruleFor(path string) (pkgRule, bool) {
	if r, ok := rules[path]; ok {
		return r, true
	}
	for _, p := range prefixRules {
		if path == p.prefix || strings.HasPrefix(path, p.prefix+"/") {
			return p.rule, true
		}
	}
	return pkgRule{}, false
}

// defaultName is the name an unrenamed import binds: the last path element,
// or the one before a major-version suffix ("math/rand/v2" binds "rand").
// Packages whose name differs from their directory are not among the rules.
func defaultName(path string) string {
	parts := strings.Split(path, "/")
	last := parts[len(parts)-1]
	if len(parts) > 1 && len(last) > 1 && last[0] == 'v' && strings.Trim(last[1:], "0123456789") == "" {
		return parts[len(parts)-2]
	}
	return last
}
