package plots

import (
	"fmt"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"rocketsim/reports/reliability"
)

// withErrors is points with asymmetric Y errors, for plotter.NewYErrorBars.
type withErrors struct {
	plotter.XYs
	plotter.YErrors
}

// Overview draws, for every scenario with loss figures, the share of seeds
// that lost acknowledged data with its Wilson interval: the report's
// headline, one glance across deployment modes. Nil when no scenario has
// loss figures.
func Overview(rep reliability.Report) (*Figure, error) {
	var pts withErrors
	var names []string
	for _, sc := range rep.Scenarios {
		iv := sc.Loss.SeedsWithLoss
		if !iv.Defined() {
			continue
		}
		x := float64(len(names))
		names = append(names, fmt.Sprintf("%s (n=%d)", sc.Name, iv.N))
		pts.XYs = append(pts.XYs, plotter.XY{X: x, Y: iv.Estimate * 100})
		pts.YErrors = append(pts.YErrors, struct{ Low, High float64 }{(iv.Estimate - iv.Lo) * 100, (iv.Hi - iv.Estimate) * 100})
	}
	if len(names) == 0 {
		return nil, nil
	}
	title := fmt.Sprintf("seeds that lost acknowledged messages (%s Wilson interval)", confidenceLabel(rep.Confidence))
	p := plot.New()
	p.Title.Text = title
	p.Y.Label.Text = "share of seeds (%)"
	p.Y.Min, p.Y.Max = 0, 100
	sc, err := plotter.NewScatter(pts.XYs)
	if err != nil {
		return nil, err
	}
	sc.Color = red
	sc.Radius = vg.Points(3)
	eb, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return nil, err
	}
	eb.Color = red
	p.Add(plotter.NewGrid(), eb, sc)
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.5, float64(len(names))-0.5
	if len(names) > 3 {
		p.X.Tick.Label.Rotation = 0.3
		p.X.Tick.Label.XAlign = -1 // draw.XRight
	}
	b, err := encodePNG(p)
	if err != nil {
		return nil, fmt.Errorf("overview plot: %w", err)
	}
	return &Figure{Kind: "overview-loss", Title: title, PNG: b}, nil
}

func confidenceLabel(c float64) string {
	return fmt.Sprintf("%g%%", math.Round(c*1000)/10) // 0.95*100 is 95.00000000000001
}
