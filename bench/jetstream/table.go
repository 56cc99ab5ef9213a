package main

import (
	"fmt"
	"io"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// printTable writes the rows as a Markdown table, with the durability
// each setting means on each side below it.
func printTable(w io.Writer, rows []row, o options) {
	fmt.Fprintf(w, "Best of %d tries per case, ours and JetStream alternating; the machine is shared and noisy, so compare ratios, not absolutes.\n", o.tries)
	fmt.Fprintf(w, "Bodies %d B; a case lasts %v", o.size, o.duration)
	if o.count > 0 {
		fmt.Fprintf(w, " or %d messages", o.count)
	}
	fmt.Fprintf(w, "; our topics have %d queues; consumers pull %d at a time.\n", o.queues, o.pullMax)
	fmt.Fprintf(w, "%d CPUs (GOMAXPROCS %d)", runtime.NumCPU(), runtime.GOMAXPROCS(0))
	if o.loadStart != "" {
		fmt.Fprintf(w, "; load average %s before the run, %s after", o.loadStart, o.loadEnd)
	}
	fmt.Fprint(w, ".\n\n")
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', tabwriter.Debug)
	fmt.Fprintln(tw, "| case\t ours msgs/s\t JetStream msgs/s\t ours/JS\t ours p50\t ours p99\t JS p50\t JS p99\t ours srv/cli CPU µs/msg\t JS srv/cli CPU µs/msg\t")
	fmt.Fprintln(tw, "|---\t---\t---\t---\t---\t---\t---\t---\t---\t---\t")
	for _, r := range rows {
		ratio := "-"
		if r.js.rate() > 0 {
			ratio = fmt.Sprintf("%.2f", r.ours.rate()/r.js.rate())
		}
		fmt.Fprintf(tw, "| %s\t %.0f\t %.0f\t %s\t %s\t %s\t %s\t %s\t %s\t %s\t\n", r.c.name, r.ours.rate(), r.js.rate(), ratio,
			lat(r.ours, 0.5), lat(r.ours, 0.99), lat(r.js, 0.5), lat(r.js, 0.99), cpu(r.ours), cpu(r.js))
	}
	tw.Flush()
	fmt.Fprintln(w)
	seen := map[string]bool{}
	for _, r := range rows {
		k := r.oursDurab + "/" + r.jsDurab
		if r.c.kind == consume || seen[k] {
			continue
		}
		seen[k] = true
		setting := "async-durability"
		if r.c.durable {
			setting = "sync-durability"
		}
		fmt.Fprintf(w, "%s: ours %s, JetStream %s.\n", setting, r.oursDurab, r.jsDurab)
	}
	fmt.Fprintln(w, "CPU µs/msg: CPU time of the server process (srv) and of this benchmark's process, where the clients run (cli), over the timed phase of the best try, per message.")
	fmt.Fprintln(w, "Every try, msgs/s (ours | JetStream):")
	for _, r := range rows {
		fmt.Fprintf(w, "  %-36s %s | %s\n", r.c.name, rates(r.oursTries), rates(r.jsTries))
	}
}

// lat formats a latency quantile; "-" for a case without latencies.
func lat(r result, q float64) string {
	if len(r.lats) == 0 {
		return "-"
	}
	d := r.quantile(q)
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	default:
		return fmt.Sprintf("%.2fms", float64(d.Microseconds())/1000)
	}
}

func rates(rs []float64) string {
	s := make([]string, len(rs))
	for i, r := range rs {
		s[i] = fmt.Sprintf("%.0f", r)
	}
	return strings.Join(s, " ")
}

// cpu formats the best try's server and client CPU per message.
func cpu(r result) string {
	if r.cpu.server <= 0 && r.cpu.client <= 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f / %.1f", micros(r.cpuPerMsg(r.cpu.server)), micros(r.cpuPerMsg(r.cpu.client)))
}

func micros(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1000 }
