package stats

import (
	"encoding/json"
	"math"
	"testing"
)

func near(t *testing.T, what string, got, want, tol float64) {
	t.Helper()
	if math.Abs(got-want) > tol {
		t.Errorf("%s = %.6f, want %.6f (±%g)", what, got, want, tol)
	}
}

// TestWilsonKnownValues checks the interval against values computed by hand
// from the closed form (and, for 81/263, the worked example in Wilson's
// Wikipedia article and Newcombe 1998).
func TestWilsonKnownValues(t *testing.T) {
	cases := []struct {
		k, n   int
		lo, hi float64
	}{
		{0, 10, 0, 0.277533},
		{1, 10, 0.017876, 0.404150},
		{5, 10, 0.236593, 0.763407},
		{10, 10, 0.722467, 1},
		{0, 20, 0, 0.161125},
		{3, 50, 0.020615, 0.162171},
		{81, 263, 0.255289, 0.366210},
	}
	for _, c := range cases {
		iv := Wilson(c.k, c.n, 0.95)
		near(t, "lo", iv.Lo, c.lo, 1e-5)
		near(t, "hi", iv.Hi, c.hi, 1e-5)
		near(t, "estimate", iv.Estimate, float64(c.k)/float64(c.n), 1e-12)
		if iv.N != c.n || !iv.Defined() {
			t.Errorf("Wilson(%d, %d) = %+v: want N %d and both bounds", c.k, c.n, iv, c.n)
		}
		if iv.Lo > iv.Estimate || iv.Hi < iv.Estimate {
			t.Errorf("Wilson(%d, %d) = %+v does not contain its estimate", c.k, c.n, iv)
		}
	}
}

func TestWilsonNarrowsWithN(t *testing.T) {
	small, large := Wilson(1, 10, 0.95), Wilson(100, 1000, 0.95)
	if large.Hi-large.Lo >= small.Hi-small.Lo {
		t.Errorf("1000 trials gave width %.4f, not narrower than 10 trials' %.4f", large.Hi-large.Lo, small.Hi-small.Lo)
	}
	if w99 := Wilson(1, 10, 0.99); w99.Hi <= small.Hi {
		t.Errorf("99%% upper bound %.4f not above 95%%'s %.4f", w99.Hi, small.Hi)
	}
}

func TestWilsonEmptyAndInvalid(t *testing.T) {
	if iv := Wilson(0, 0, 0.95); iv.Defined() || iv.N != 0 {
		t.Errorf("Wilson(0, 0) = %+v, want undefined", iv)
	}
	defer func() {
		if recover() == nil {
			t.Error("Wilson(3, 2) did not panic")
		}
	}()
	Wilson(3, 2, 0.95)
}

// TestMeanT checks the t-interval against a hand computation: for 1..5 the
// mean is 3, the sample standard deviation sqrt(2.5) = 1.581139, t(4, 0.975)
// = 2.776445, so the half-width is 2.776445 * 1.581139 / sqrt(5) = 1.963243.
func TestMeanT(t *testing.T) {
	iv := MeanT([]float64{5, 1, 4, 2, 3}, 0.95)
	near(t, "mean", iv.Estimate, 3, 1e-12)
	near(t, "lo", iv.Lo, 3-1.963243, 1e-5)
	near(t, "hi", iv.Hi, 3+1.963243, 1e-5)

	// Two values 0 and 2: mean 1, sd sqrt(2), t(1, 0.975) = 12.706205.
	iv = MeanT([]float64{0, 2}, 0.95)
	near(t, "half-width n=2", iv.Hi-iv.Estimate, 12.706205*math.Sqrt2/math.Sqrt2, 1e-4)

	if iv := MeanT([]float64{7}, 0.95); iv.Defined() || iv.Estimate != 7 {
		t.Errorf("MeanT of one value = %+v, want estimate 7 and no bounds", iv)
	}
	if iv := MeanT(nil, 0.95); iv.Defined() || iv.N != 0 {
		t.Errorf("MeanT(nil) = %+v, want undefined", iv)
	}
	if iv := MeanTNonNegative([]float64{0, 0, 0, 1}, 0.95); iv.Lo != 0 || iv.Hi <= 0.25 {
		t.Errorf("MeanTNonNegative = %+v, want lo clamped to 0 and hi above the mean", iv)
	}
	if iv := MeanT([]float64{4, 4, 4}, 0.95); iv.Lo != 4 || iv.Hi != 4 {
		t.Errorf("MeanT of a constant = %+v, want [4, 4]", iv)
	}
}

func TestSummarize(t *testing.T) {
	// 1..100 shuffled: empirical quantiles are sample values.
	var xs []float64
	for i := 100; i >= 1; i-- {
		xs = append(xs, float64((i*37)%100+1))
	}
	s := Summarize(xs)
	want := Summary{N: 100, Mean: 50.5, Median: 50, P95: 95, P99: 99, Min: 1, Max: 100}
	if s != want {
		t.Errorf("Summarize(1..100) = %+v, want %+v", s, want)
	}
	if xs[0] != float64((100*37)%100+1) {
		t.Error("Summarize sorted its argument in place")
	}
	s = Summarize([]float64{3, 1, 2, 10})
	if s.Median != 2 || s.Mean != 4 || s.P99 != 10 {
		t.Errorf("Summarize(3,1,2,10) = %+v, want median 2 (lower middle), mean 4, p99 10", s)
	}
	if e := Summarize(nil); e.N != 0 || !math.IsNaN(e.Mean) {
		t.Errorf("Summarize(nil) = %+v, want N 0 and NaN", e)
	}
	if q := Quantile(0.5, []float64{9, 1, 5}); q != 5 {
		t.Errorf("Quantile(0.5) = %v, want 5", q)
	}
}

func TestECDF(t *testing.T) {
	v, s := ECDF([]float64{3, 1, 2, 2}, 0)
	wantV, wantS := []float64{1, 2, 3}, []float64{0.25, 0.75, 1}
	if len(v) != 3 {
		t.Fatalf("ECDF values %v, want %v", v, wantV)
	}
	for i := range v {
		if v[i] != wantV[i] || s[i] != wantS[i] {
			t.Errorf("ECDF point %d = (%v, %v), want (%v, %v)", i, v[i], s[i], wantV[i], wantS[i])
		}
	}
	var xs []float64
	for i := range 10000 {
		xs = append(xs, float64(i))
	}
	v, s = ECDF(xs, 50)
	if len(v) != 50 || v[0] != 0 || v[49] != 9999 || s[49] != 1 {
		t.Errorf("thinned ECDF: %d points from %v to %v (share %v), want 50 from 0 to 9999 ending at 1", len(v), v[0], v[len(v)-1], s[len(s)-1])
	}
}

func TestJSONWritesNaNAsNull(t *testing.T) {
	b, err := json.Marshal(struct {
		S Summary
		I Interval
	}{Summarize(nil), MeanT([]float64{2}, 0.95)})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"S":{"n":0,"mean":null,"median":null,"p95":null,"p99":null,"min":null,"max":null},"I":{"estimate":2,"lo":null,"hi":null,"n":1}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back struct {
		S Summary
		I Interval
	}
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if !math.IsNaN(back.S.Mean) || back.I.Estimate != 2 || !math.IsNaN(back.I.Lo) {
		t.Errorf("round trip = %+v", back)
	}
}

func TestCleanRunsFor(t *testing.T) {
	for _, c := range []struct {
		bound float64
		want  int
	}{{0.05, 73}, {0.01, 381}, {0.5, 4}} {
		n := CleanRunsFor(c.bound, 0.95)
		if n != c.want {
			t.Errorf("CleanRunsFor(%v) = %d, want %d", c.bound, n, c.want)
		}
		// The definition: n clean runs are enough, n-1 are not.
		if hi := Wilson(0, n, 0.95).Hi; hi >= c.bound {
			t.Errorf("%d clean runs: upper bound %v not below %v", n, hi, c.bound)
		}
		if hi := Wilson(0, n-1, 0.95).Hi; hi < c.bound {
			t.Errorf("%d clean runs already give %v below %v", n-1, hi, c.bound)
		}
	}
}
