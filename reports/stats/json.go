package stats

import (
	"encoding/json"
	"math"
)

// JSON has no NaN or infinity, and encoding/json refuses them; an empty
// sample's figures are NaN, so they are written as null ("no data"),
// never as 0, which would read as a measurement.

func num(f float64) *float64 {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func unnum(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

type summaryJSON struct {
	N      int      `json:"n"`
	Mean   *float64 `json:"mean"`
	Median *float64 `json:"median"`
	P95    *float64 `json:"p95"`
	P99    *float64 `json:"p99"`
	Min    *float64 `json:"min"`
	Max    *float64 `json:"max"`
}

// MarshalJSON writes NaN figures as null.
func (s Summary) MarshalJSON() ([]byte, error) {
	return json.Marshal(summaryJSON{s.N, num(s.Mean), num(s.Median), num(s.P95), num(s.P99), num(s.Min), num(s.Max)})
}

// UnmarshalJSON reads null figures as NaN.
func (s *Summary) UnmarshalJSON(b []byte) error {
	var j summaryJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*s = Summary{j.N, unnum(j.Mean), unnum(j.Median), unnum(j.P95), unnum(j.P99), unnum(j.Min), unnum(j.Max)}
	return nil
}

type intervalJSON struct {
	Estimate *float64 `json:"estimate"`
	Lo       *float64 `json:"lo"`
	Hi       *float64 `json:"hi"`
	N        int      `json:"n"`
}

// MarshalJSON writes undefined bounds as null.
func (iv Interval) MarshalJSON() ([]byte, error) {
	return json.Marshal(intervalJSON{num(iv.Estimate), num(iv.Lo), num(iv.Hi), iv.N})
}

// UnmarshalJSON reads null bounds as NaN.
func (iv *Interval) UnmarshalJSON(b []byte) error {
	var j intervalJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*iv = Interval{unnum(j.Estimate), unnum(j.Lo), unnum(j.Hi), j.N}
	return nil
}
