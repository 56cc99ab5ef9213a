package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// options shape a whole benchmark run.
type options struct {
	limits
	tries   int
	queues  int // our topic's queues
	pullMax int // messages per poll (ours) and buffered pull (JetStream)
	window  int // async sends in flight
	preload int // messages a consume case reads
	cases   []benchCase
	dir     string // parent of the servers' data directories
	// profileDir, if set, receives each server child's CPU profile.
	profileDir string
	// progress receives a line per try; nil discards them.
	progress io.Writer
	// asyncCore sends our async publishes through the producer core on
	// its own runtime instead of the blocking facade's SendAsync.
	asyncCore bool
	// loadStart and loadEnd are the machine's load averages around the
	// run (from /proc/loadavg; empty elsewhere), printed with the table.
	loadStart, loadEnd string
	// only, if set, runs that side alone ("ours" or "JetStream"), to
	// profile it without the other's clients in the same profile.
	only string
}

// row is one case's best tries, one per side.
type row struct {
	c         benchCase
	ours, js  result
	oursTries []float64
	jsTries   []float64
	oursDurab string
	jsDurab   string
}

// defaultCases are the table's rows: synchronous publishers at P = 1, 16,
// 64 and an async publisher under each durability, and a consume case.
func defaultCases(window, preload int) []benchCase {
	var cs []benchCase
	for _, durable := range []bool{false, true} {
		d := "async-durability"
		if durable {
			d = "sync-durability"
		}
		for _, p := range []int{1, 16, 64} {
			cs = append(cs, benchCase{name: fmt.Sprintf("publish sync P=%d %s", p, d), kind: publishSync, durable: durable, publishers: p})
		}
		cs = append(cs, benchCase{name: fmt.Sprintf("publish async W=%d %s", window, d), kind: publishAsync, durable: durable, window: window})
		if !durable {
			cs = append(cs, benchCase{name: fmt.Sprintf("consume M=%d", preload), kind: consume, preload: preload})
		}
	}
	return cs
}

// servers is one running pair of servers and the clients on them.
type servers struct {
	children []*child
	sides    []side // ours first, then JetStream
}

// startServers starts our name server + broker and a nats-server, both
// with the durability setting given, and connects a client to each.
func startServers(o options, durable bool, run string) (*servers, error) {
	tag := "async"
	if durable {
		tag = "sync"
	}
	dir := filepath.Join(o.dir, tag)
	sv := &servers{}
	profile := func(role string) string {
		if o.profileDir == "" {
			return ""
		}
		return filepath.Join(o.profileDir, role+"-"+tag+".pprof")
	}
	rc, err := startChild(roleRocketMQ, dir, durable, profile(roleRocketMQ))
	if err != nil {
		return nil, err
	}
	sv.children = append(sv.children, rc)
	jc, err := startChild(roleJetStream, dir, durable, profile(roleJetStream))
	if err != nil {
		sv.stop()
		return nil, err
	}
	sv.children = append(sv.children, jc)
	ou, err := newOurs(rc.addr, durable, o.queues, o.pullMax, run, o.asyncCore)
	if err != nil {
		sv.stop()
		return nil, err
	}
	sv.sides = append(sv.sides, ou)
	js, err := newJS(jc.addr, durable, o.pullMax)
	if err != nil {
		sv.stop()
		return nil, err
	}
	sv.sides = append(sv.sides, js)
	return sv, nil
}

func (sv *servers) stop() error {
	for _, s := range sv.sides {
		s.Close()
	}
	var first error
	for _, c := range sv.children {
		if err := c.stop(); err != nil && first == nil {
			first = err
		}
	}
	return first
}

// bench runs every case, durability setting by durability setting, and
// returns the rows in case order. Tries alternate sides (ours, JetStream,
// ours, ...) so that drift in the machine's load hits both; each side's
// best try is its row.
func bench(ctx context.Context, o options) ([]row, error) {
	if err := os.MkdirAll(o.dir, 0o755); err != nil {
		return nil, err
	}
	run := fmt.Sprintf("%d", time.Now().UnixNano()%1e9)
	var rows []row
	try := 0
	for _, durable := range []bool{false, true} {
		var cs []benchCase
		for _, c := range o.cases {
			if c.durable == durable {
				cs = append(cs, c)
			}
		}
		if len(cs) == 0 {
			continue
		}
		sv, err := startServers(o, durable, run)
		if err != nil {
			return rows, err
		}
		for _, c := range cs {
			rw := row{c: c, oursDurab: sv.sides[0].Durability(), jsDurab: sv.sides[1].Durability()}
			for t := 0; t < o.tries; t++ {
				for i, s := range sv.sides {
					if o.only != "" && !strings.EqualFold(o.only, s.Name()) {
						continue
					}
					try++
					r, err := run1(ctx, s, meter{serverPID: sv.children[i].cmd.Process.Pid}, c, o.limits, try)
					if err != nil {
						_ = sv.stop()
						return rows, fmt.Errorf("%s, try %d: %w", c.name, t+1, err)
					}
					if o.progress != nil {
						fmt.Fprintf(o.progress, "%-40s %-9s try %d: %9.0f msgs/s  (%d msgs, %d errors, %v; CPU server %v, clients %v)\n",
							c.name, s.Name(), t+1, r.rate(), r.msgs, r.errs, r.elapsed.Round(time.Millisecond),
							r.cpu.server.Round(time.Millisecond), r.cpu.client.Round(time.Millisecond))
					}
					if i == 0 {
						rw.oursTries = append(rw.oursTries, r.rate())
						if t == 0 || r.rate() > rw.ours.rate() {
							rw.ours = r
						}
					} else {
						rw.jsTries = append(rw.jsTries, r.rate())
						if t == 0 || r.rate() > rw.js.rate() {
							rw.js = r
						}
					}
				}
			}
			rows = append(rows, rw)
		}
		if err := sv.stop(); err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// run1 is run, with failed sends turned into an error: a benchmark whose
// sends fail measures the wrong thing.
func run1(ctx context.Context, s side, m meter, c benchCase, lim limits, try int) (result, error) {
	r, err := run(ctx, s, m, c, lim, try)
	if err != nil {
		return r, err
	}
	if r.errs > 0 {
		return r, fmt.Errorf("%s: %d sends failed (first: %v)", s.Name(), r.errs, r.firstErr)
	}
	if r.msgs == 0 {
		return r, fmt.Errorf("%s: no message in %v", s.Name(), r.elapsed)
	}
	return r, nil
}
