// Package plots draws a scenario's figures as PNG with gonum.org/v1/plot:
// the pooled latency CDFs, availability over time, and loss per seed.
// Drawing is deterministic (no timestamps, fonts embedded in the module),
// so the same report gives the same bytes.
package plots

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"strconv"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"rocketsim/reports/reliability"
)

// The size of every figure.
const (
	width  = 16 * vg.Centimeter
	height = 10 * vg.Centimeter
)

// minLatencyMs is where a log-scale latency axis starts: a zero latency
// (same simulated instant) cannot be drawn on a log axis.
const minLatencyMs = 0.001

// maxBars bounds the seeds drawn one bar each in the loss plot; beyond it
// labels would overlap, and the table in the report lists them anyway.
const maxBars = 200

// maxSeedLabels bounds the labelled seeds on the loss plot's axis.
const maxSeedLabels = 20

// Figure is one drawn plot.
type Figure struct {
	// Kind names the plot in file names: "latency-cdf", "availability",
	// "loss".
	Kind  string
	Title string
	PNG   []byte
}

// Scenario draws every plot the scenario has data for; a plot without
// data is left out rather than drawn empty.
func Scenario(sc reliability.Scenario) ([]Figure, error) {
	var out []Figure
	for _, f := range []struct {
		kind, title string
		draw        func(reliability.Scenario, string) (*plot.Plot, error)
	}{
		{"latency-cdf", sc.Name + ": latency CDF, pooled over seeds", latencyCDF},
		{"availability", sc.Name + ": availability over time", availability},
		{"loss", sc.Name + ": lost / acknowledged per seed", loss},
	} {
		p, err := f.draw(sc, f.title)
		if err != nil {
			return nil, fmt.Errorf("plot %s of %s: %w", f.kind, sc.Name, err)
		}
		if p == nil {
			continue
		}
		b, err := encodePNG(p)
		if err != nil {
			return nil, fmt.Errorf("plot %s of %s: %w", f.kind, sc.Name, err)
		}
		out = append(out, Figure{Kind: f.kind, Title: f.title, PNG: b})
	}
	return out, nil
}

func encodePNG(p *plot.Plot) ([]byte, error) {
	wt, err := p.WriterTo(width, height, "png")
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if _, err := wt.WriteTo(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

var (
	blue   = color.RGBA{R: 31, G: 119, B: 180, A: 255}
	orange = color.RGBA{R: 255, G: 127, B: 14, A: 255}
	red    = color.RGBA{R: 214, G: 39, B: 40, A: 255}
)

func latencyCDF(sc reliability.Scenario, title string) (*plot.Plot, error) {
	if len(sc.Send.CDF) == 0 && len(sc.E2E.CDF) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "latency (ms, log scale)"
	p.Y.Label.Text = "share of messages at or below"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Y.Min, p.Y.Max = 0, 1
	p.Legend.Top = false
	p.Legend.Left = false
	for _, c := range []struct {
		name string
		l    reliability.Latency
		col  color.Color
	}{{"send", sc.Send, blue}, {"end-to-end", sc.E2E, orange}} {
		if len(c.l.CDF) == 0 {
			continue
		}
		xys := make(plotter.XYs, 0, len(c.l.CDF)+1)
		// Start the step at 0 on the left so the curve rises from the axis.
		xys = append(xys, plotter.XY{X: math.Max(c.l.CDF[0].X, minLatencyMs), Y: 0})
		for _, pt := range c.l.CDF {
			xys = append(xys, plotter.XY{X: math.Max(pt.X, minLatencyMs), Y: pt.Y})
		}
		line, err := plotter.NewLine(xys)
		if err != nil {
			return nil, err
		}
		line.StepStyle = plotter.PreStep
		line.Color = c.col
		line.Width = vg.Points(1.5)
		p.Add(line)
		p.Legend.Add(c.name+" (n="+strconv.Itoa(c.l.Pooled.N)+")", line)
	}
	p.Add(plotter.NewGrid())
	return p, nil
}

func availability(sc reliability.Scenario, title string) (*plot.Plot, error) {
	ot := sc.Availability.OverTime
	if len(ot) == 0 {
		return nil, nil
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seconds since the run's first send (" + strconv.FormatFloat(float64(sc.Availability.WindowNs)/1e9, 'g', -1, 64) + "s windows)"
	p.Y.Label.Text = "share of sends acknowledged"
	p.Y.Min, p.Y.Max = 0, 1.02
	// Bottom right, lifted off the axis: runs end healed (the liveness
	// phase), so that corner is usually at 100% and free.
	p.Legend.Top = false
	p.Legend.Left = false
	p.Legend.YOffs = vg.Points(20)
	pooled := make(plotter.XYs, len(ot))
	worst := make(plotter.XYs, len(ot))
	for i, w := range ot {
		pooled[i] = plotter.XY{X: w.OffsetS, Y: w.Pooled}
		worst[i] = plotter.XY{X: w.OffsetS, Y: w.Worst}
	}
	lp, err := plotter.NewLine(pooled)
	if err != nil {
		return nil, err
	}
	lp.Color, lp.Width = blue, vg.Points(1.5)
	lw, err := plotter.NewLine(worst)
	if err != nil {
		return nil, err
	}
	lw.Color, lw.Width = red, vg.Points(1)
	lw.Dashes = []vg.Length{vg.Points(3), vg.Points(2)}
	p.Add(plotter.NewGrid(), lp, lw)
	p.Legend.Add("pooled over seeds", lp)
	p.Legend.Add("worst seed", lw)
	return p, nil
}

func loss(sc reliability.Scenario, title string) (*plot.Plot, error) {
	per := sc.Loss.PerSeed
	if len(per) == 0 || len(per) > maxBars {
		return nil, nil
	}
	vals := make(plotter.Values, len(per))
	names := make([]string, len(per))
	// Every seed gets a bar, but only about maxSeedLabels get a label, so
	// the labels never overlap.
	every := (len(per) + maxSeedLabels - 1) / maxSeedLabels
	for i, s := range per {
		if s.Acked > 0 {
			vals[i] = s.Lost / s.Acked * 100
		}
		if i%every == 0 {
			names[i] = strconv.FormatUint(s.Seed, 10)
		}
	}
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = "seed"
	p.Y.Label.Text = "lost / acknowledged (%)"
	p.Y.Min = 0
	bw := vg.Length(float64(width-2*vg.Centimeter) / float64(len(per)) * 0.7)
	bars, err := plotter.NewBarChart(vals, min(bw, vg.Points(20)))
	if err != nil {
		return nil, err
	}
	bars.Color = red
	bars.LineStyle.Width = 0
	p.Add(plotter.NewGrid(), bars)
	p.NominalX(names...)
	return p, nil
}
