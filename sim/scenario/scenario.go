// Package scenario reads scenario files: strict YAML that names a topology,
// a workload, a fault schedule, a simulated duration and the expectations the
// checkers enforce.
//
// Strict means a misspelt key is an error naming the file, the line and the
// key, and so is a value the run could not honour (a fault on a node the
// topology lacks, a negative duration, an unknown workload kind). A scenario
// that silently tests less than it says is worse than one that fails to load.
package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"rocketsim/faults"
)

// Scenario is one parsed and validated scenario file.
type Scenario struct {
	// Path is the file it was read from (for messages and replay lines).
	Path string `yaml:"-"`

	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed is the default seed; the command line may override it. Nil when
	// the file gives none.
	Seed *uint64 `yaml:"seed"`
	// Duration is the simulated time of the fault phase.
	Duration time.Duration `yaml:"duration"`
	// Settle is the simulated time the run continues after the fault phase,
	// with every fault healed, for liveness checks. Zero means SettleDefault.
	Settle   time.Duration `yaml:"settle"`
	Topology Topology      `yaml:"topology"`
	// Network is every link's behaviour at start (faults change it).
	Network  Network     `yaml:"network"`
	Workload Workload    `yaml:"workload"`
	Faults   []Scheduled `yaml:"faults"`
	// Expectations are by checker, then by bound: see Expect.
	Expectations map[string]map[string]Expect `yaml:"expectations"`
	// Buggify lets the nodes take their rare but legal paths on purpose
	// (runtime.Buggify): pulls answered with one message, long polls
	// ended early, shuffled routes, late offset commits, extra
	// rebalances and fsyncs.
	Buggify bool `yaml:"buggify"`

	// root is the parsed document, kept to put line numbers on errors
	// found after decoding.
	root *yaml.Node
}

// Topology is the set of nodes the simulator builds.
type Topology struct {
	Nodes []Node `yaml:"nodes"`
}

// Node is one simulated machine and the process it runs.
type Node struct {
	Name string `yaml:"name"`
	// Role says what the node runs; the workload kind defines the roles.
	Role string `yaml:"role"`
	// Host is the node's IPv4 address; empty lets the simulator choose.
	Host  string `yaml:"host"`
	Disk  Disk   `yaml:"disk"`
	Clock Clock  `yaml:"clock"`
	// Options are role-specific; the workload kind decodes them strictly.
	Options yaml.Node `yaml:"options"`
	// Conf is Options decoded as key/value pairs, for roles that take a
	// configuration file's keys (an mq broker's broker.conf overrides).
	Conf map[string]string `yaml:"-"`
}

// Disk configures a node's simulated disk at start.
type Disk struct {
	// Capacity is the volume size ("64MiB"); empty means the simulator's
	// default (effectively unlimited).
	Capacity Size `yaml:"capacity"`
	// SectorSize is the tearing granularity on power loss; 0 means 512.
	SectorSize         int     `yaml:"sector-size"`
	PartialWriteOnFull bool    `yaml:"partial-write-on-full"`
	FsyncLatency       Range   `yaml:"fsync-latency"`
	FsyncFailProb      float64 `yaml:"fsync-fail-prob"`
	// FsyncFailDropsDirty makes a failed fsync mark the dirty pages clean
	// without writing them, as Linux does after a writeback error.
	FsyncFailDropsDirty bool `yaml:"fsync-fail-drops-dirty"`
}

// Clock configures a node's clock at start.
type Clock struct {
	// Offset is the wall clock's offset from true time.
	Offset time.Duration `yaml:"offset"`
	// Rate is how fast the clock runs against true time; 0 means 1.
	Rate float64 `yaml:"rate"`
}

// Network configures every link, both ways, at start.
type Network struct {
	// Latency is each frame's one-way latency; zero means the simulator's
	// default.
	Latency Range `yaml:"latency"`
	// Bandwidth is in bytes per second ("10MiB"); zero means unlimited.
	Bandwidth Size `yaml:"bandwidth"`
	// Loss is the probability that one transmission of a frame is lost;
	// TCP retransmits, so it shows as delay and, at worst, a timeout.
	Loss float64 `yaml:"loss"`
	// DropConnect is the probability that a dial's SYN is lost.
	DropConnect float64 `yaml:"drop-connect"`
}

// Range is a closed interval of durations, drawn from uniformly.
type Range struct {
	Min time.Duration `yaml:"min"`
	Max time.Duration `yaml:"max"`
}

// Workload names what the clients do.
type Workload struct {
	Kind string `yaml:"kind"`
	// Params are kind-specific; decoded strictly into Config.
	Params yaml.Node `yaml:"params"`
	// Config is the decoded Params: for kind "pingpong", a pingpong.Config.
	Config any `yaml:"-"`
}

// Size is a byte count written as "4096" or "64MiB".
type Size int64

// UnmarshalYAML reads a size with faults.ParseSize.
func (s *Size) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind != yaml.ScalarNode {
		return fmt.Errorf("line %d: want a size such as 64MiB", n.Line)
	}
	v, err := faults.ParseSize(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*s = Size(v)
	return nil
}

// Bounds on a scenario, so a typo cannot ask for a year of simulation or a
// million nodes.
const (
	DurationMax   = 24 * time.Hour
	SettleDefault = 10 * time.Second
	NodesMax      = 64
	// PlannedMax bounds the faults a schedule expands to.
	PlannedMax = 100_000
	// FileMax bounds the size of a scenario file.
	FileMax = 1 << 20
)

// Load reads, parses and validates the scenario file at path.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, FileMax+1))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if len(data) > FileMax {
		return nil, fmt.Errorf("%s: larger than %d bytes", path, FileMax)
	}
	return Parse(data, path)
}

// Parse parses and validates a scenario; name is used in messages.
func Parse(data []byte, name string) (*Scenario, error) {
	s := &Scenario{Path: name}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, fmt.Errorf("%s: empty scenario file", name)
		}
		return nil, fileError(name, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, fmt.Errorf("%s:%d: a scenario file holds one YAML document", name, extra.Line)
	}
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, fileError(name, err)
	}
	s.root = &root
	if s.Name == "" {
		s.Name = strings.TrimSuffix(filepath.Base(name), filepath.Ext(name))
	}
	if s.Settle == 0 {
		s.Settle = SettleDefault
	}
	if err := s.validate(); err != nil {
		return nil, err
	}
	return s, nil
}

var (
	lineRE    = regexp.MustCompile(`^line (\d+): (.*)$`)
	unknownRE = regexp.MustCompile(`^field (\S+) not found in type (\S+)$`)
)

// fileError rewrites yaml's errors as "file:line: message", one per line,
// and an unknown field as an unknown key with the keys allowed there.
func fileError(name string, err error) error {
	var msgs []string
	var te *yaml.TypeError
	if errors.As(err, &te) {
		msgs = te.Errors
	} else {
		msgs = []string{strings.TrimPrefix(err.Error(), "yaml: ")}
	}
	out := make([]string, 0, len(msgs))
	for _, m := range msgs {
		line := 0
		if g := lineRE.FindStringSubmatch(m); g != nil {
			line, _ = strconv.Atoi(g[1])
			m = g[2]
		}
		if g := unknownRE.FindStringSubmatch(m); g != nil {
			m = fmt.Sprintf("unknown key %q", g[1])
			if keys := knownKeys(g[2]); keys != "" {
				m += " (known keys here: " + keys + ")"
			}
		}
		if line > 0 {
			out = append(out, fmt.Sprintf("%s:%d: %s", name, line, m))
		} else {
			out = append(out, fmt.Sprintf("%s: %s", name, m))
		}
	}
	return errors.New(strings.Join(out, "\n"))
}

// errorAt formats a validation error at a position in the document.
func (s *Scenario) errorAt(path []any, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", s.Path, s.line(path...), fmt.Sprintf(format, args...))
}

// line finds the line of the node at path (mapping keys as strings,
// sequence indexes as ints), or of the deepest ancestor that exists.
func (s *Scenario) line(path ...any) int {
	if s.root == nil || len(s.root.Content) == 0 {
		return 0
	}
	n := s.root.Content[0]
	line := n.Line
	for _, p := range path {
		var next *yaml.Node
		switch k := p.(type) {
		case string:
			if n.Kind == yaml.MappingNode {
				for i := 0; i+1 < len(n.Content); i += 2 {
					if n.Content[i].Value == k {
						line = n.Content[i].Line
						next = n.Content[i+1]
						break
					}
				}
			}
		case int:
			if n.Kind == yaml.SequenceNode && k < len(n.Content) {
				next = n.Content[k]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}
