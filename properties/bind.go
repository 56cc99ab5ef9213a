package properties

import (
	"encoding"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// ProblemKind says what is wrong with one entry.
type ProblemKind int

const (
	// UnknownKey: no field is bound to the key (often a typo).
	UnknownKey ProblemKind = iota + 1
	// BadValue: the value does not convert to the field's type or is
	// refused by the type's own validation.
	BadValue
)

// Problem is one thing wrong with a properties file.
type Problem struct {
	Kind ProblemKind
	// Where is "file:line" (or the Props name for a value with no line).
	Where string
	Key   string
	Value string
	// Err says why a value is bad; nil for an unknown key.
	Err error
}

func (p Problem) Error() string {
	if p.Kind == UnknownKey {
		return fmt.Sprintf("%s: unknown key %s", p.Where, p.Key)
	}
	return fmt.Sprintf("%s: key %s: bad value %q: %v", p.Where, p.Key, p.Value, p.Err)
}

// Unwrap exposes the conversion error (for errors.Is on a type's sentinel).
func (p Problem) Unwrap() error { return p.Err }

// BindError lists every problem Bind found, in file order, so a user fixes a
// config in one pass instead of one error per run.
type BindError struct {
	Problems []Problem
}

func (e *BindError) Error() string {
	msgs := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		msgs[i] = p.Error()
	}
	return strings.Join(msgs, "; ")
}

// Unwrap lets errors.Is and errors.As see each problem.
func (e *BindError) Unwrap() []error {
	errs := make([]error, len(e.Problems))
	for i, p := range e.Problems {
		errs[i] = p
	}
	return errs
}

// Unknown returns the unknown-key problems.
func (e *BindError) Unknown() []Problem { return e.of(UnknownKey) }

// Bad returns the bad-value problems.
func (e *BindError) Bad() []Problem { return e.of(BadValue) }

func (e *BindError) of(k ProblemKind) []Problem {
	var out []Problem
	for _, p := range e.Problems {
		if p.Kind == k {
			out = append(out, p)
		}
	}
	return out
}

// Bind sets the fields of the struct dst points to from p; fields whose key
// is absent keep their value, so callers preset defaults. Every entry is
// tried: the returned error, a *BindError, lists all unknown keys and all bad
// values. Fields bound by the good entries are set even when others fail.
//
// Supported field types: string, bool, every int and uint, float32/64,
// time.Duration (a bare integer in the tag's unit, default milliseconds, or a
// Go duration such as "1.5s"), []string (split on the tag's separator,
// default ';', blanks trimmed, empty items dropped), and any type whose
// pointer implements encoding.TextUnmarshaler (enums validate themselves).
// Values are trimmed of surrounding blanks before conversion: Java keeps
// trailing blanks in a value, and a stray one should not make a number bad.
func Bind(p *Props, dst any) error {
	rv := structValue(dst, true)
	byKey := map[string]field{}
	for _, f := range fieldsOf(rv.Type()) {
		byKey[f.key] = f
		for _, a := range f.aliases {
			byKey[a] = f
		}
	}
	var problems []Problem
	for _, e := range p.entries {
		where := p.Where(e.Key)
		f, ok := byKey[e.Key]
		if !ok {
			problems = append(problems, Problem{Kind: UnknownKey, Where: where, Key: e.Key, Value: e.Value})
			continue
		}
		if err := setField(rv.FieldByIndex(f.index), f, strings.Trim(e.Value, " \t\f")); err != nil {
			problems = append(problems, Problem{Kind: BadValue, Where: where, Key: e.Key, Value: e.Value, Err: err})
		}
	}
	if len(problems) > 0 {
		return &BindError{Problems: problems}
	}
	return nil
}

var textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()

func setField(v reflect.Value, f field, s string) error {
	if v.CanAddr() && v.Addr().Type().Implements(textUnmarshalerType) {
		return v.Addr().Interface().(encoding.TextUnmarshaler).UnmarshalText([]byte(s))
	}
	if v.Type() == durationType {
		d, err := parseDuration(s, f.unit)
		if err != nil {
			return err
		}
		v.SetInt(int64(d))
		return nil
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString(s)
	case reflect.Bool:
		// Java's Boolean.parseBoolean turns every typo into false; we refuse
		// anything but true/false so "ture" is not silently a disabled feature.
		switch strings.ToLower(s) {
		case "true":
			v.SetBool(true)
		case "false":
			v.SetBool(false)
		default:
			return errors.New("want true or false")
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n, err := strconv.ParseInt(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("want a %d-bit integer", v.Type().Bits())
		}
		v.SetInt(n)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, err := strconv.ParseUint(s, 10, v.Type().Bits())
		if err != nil {
			return fmt.Errorf("want a non-negative %d-bit integer", v.Type().Bits())
		}
		v.SetUint(n)
	case reflect.Float32, reflect.Float64:
		x, err := strconv.ParseFloat(s, v.Type().Bits())
		if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
			return errors.New("want a finite number")
		}
		v.SetFloat(x)
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.String {
			panic(fmt.Sprintf("properties: key %s: unsupported field type %s", f.key, v.Type()))
		}
		var items []string
		for _, it := range strings.Split(s, f.sep) {
			if it = strings.TrimSpace(it); it != "" {
				items = append(items, it)
			}
		}
		v.Set(reflect.ValueOf(items).Convert(v.Type()))
	default:
		panic(fmt.Sprintf("properties: key %s: unsupported field type %s", f.key, v.Type()))
	}
	return nil
}

// parseDuration reads a bare integer as a count of unit, or a Go duration.
func parseDuration(s string, unit time.Duration) (time.Duration, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		if n > math.MaxInt64/int64(unit) || n < math.MinInt64/int64(unit) {
			return 0, errors.New("duration out of range")
		}
		return time.Duration(n) * unit, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want an integer number of %s or a duration such as 1.5s", unitName(unit))
	}
	return d, nil
}

func unitName(unit time.Duration) string {
	if unit == time.Second {
		return "seconds"
	}
	return "milliseconds"
}
