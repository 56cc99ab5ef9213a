package sql92

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// kind mirrors the Java classes a selector value can have.
type kind uint8

const (
	kNull   kind = iota
	kBool        // java.lang.Boolean
	kInt         // java.lang.Integer: decimal literals that fit 32 bits
	kLong        // java.lang.Long
	kDouble      // java.lang.Double
	kString      // java.lang.String: every property value
)

type value struct {
	k kind
	b bool
	i int64 // kInt, kLong
	f float64
	s string
}

var (
	vNull  = value{}
	vTrue  = value{k: kBool, b: true}
	vFalse = value{k: kBool}
)

func boolValue(b bool) value {
	if b {
		return vTrue
	}
	return vFalse
}

func (v value) String() string {
	switch v.k {
	case kNull:
		return "NULL"
	case kBool:
		if v.b {
			return "TRUE"
		}
		return "FALSE"
	case kInt, kLong:
		return strconv.FormatInt(v.i, 10)
	case kDouble:
		// Keep a dot or exponent so the text reads back as a double.
		s := strconv.FormatFloat(v.f, 'g', -1, 64)
		if !strings.ContainsAny(s, ".eEN") {
			s += ".0"
		}
		return s
	}
	return "'" + strings.ReplaceAll(v.s, "'", "''") + "'"
}

// errConvert is a failed string-to-number conversion during evaluation
// (Java's NumberFormatException, which makes the message not match).
var errConvert = errors.New("cannot convert")

// javaEquals is Object.equals between two values: same class, same value
// (Double.equals compares bits: NaN equals NaN, 0.0 differs from -0.0).
func javaEquals(a, b value) bool {
	if a.k != b.k {
		return false
	}
	switch a.k {
	case kNull:
		return true
	case kBool:
		return a.b == b.b
	case kInt, kLong:
		return a.i == b.i
	case kDouble:
		return math.Float64bits(a.f) == math.Float64bits(b.f)
	}
	return a.s == b.s
}

// compare is ComparisonExpression.__compare with string conversion on:
// values of different classes are converted towards each other (ints
// widen, strings parse as the number they meet); pairs with no conversion
// compare as -1, as in Java. Conversion failures are errors.
func compare(lv, rv value) (int, error) {
	if lv.k != rv.k {
		var err error
		switch lv.k {
		case kBool:
			if rv.k == kString {
				// Java casts the Boolean to String here and throws.
				return 0, fmt.Errorf("%w boolean %s to compare with string %s", errConvert, lv, rv)
			}
			return -1, nil
		case kInt:
			switch rv.k {
			case kLong:
				lv.k = kLong
			case kDouble:
				lv = value{k: kDouble, f: float64(lv.i)}
			case kString:
				rv, err = parseAs(rv.s, kInt)
			default:
				return -1, nil
			}
		case kLong:
			switch rv.k {
			case kInt:
				rv.k = kLong
			case kDouble:
				lv = value{k: kDouble, f: float64(lv.i)}
			case kString:
				rv, err = parseAs(rv.s, kLong)
			default:
				return -1, nil
			}
		case kDouble:
			switch rv.k {
			case kInt, kLong:
				rv = value{k: kDouble, f: float64(rv.i)}
			case kString:
				rv, err = parseAs(rv.s, kDouble)
			default:
				return -1, nil
			}
		case kString:
			switch rv.k {
			case kBool:
				lv = boolValue(strings.EqualFold(lv.s, "true"))
			case kInt, kLong, kDouble:
				lv, err = parseAs(lv.s, rv.k)
			default:
				return -1, nil
			}
		default:
			return -1, nil
		}
		if err != nil {
			return 0, err
		}
	}
	return compareSame(lv, rv), nil
}

// compareSame is Comparable.compareTo between two values of one class.
func compareSame(a, b value) int {
	switch a.k {
	case kBool:
		switch {
		case a.b == b.b:
			return 0
		case a.b:
			return 1
		}
		return -1
	case kInt, kLong:
		return cmpOrdered(a.i, b.i)
	case kDouble:
		return javaCompareDouble(a.f, b.f)
	case kString:
		return strings.Compare(a.s, b.s)
	}
	panic(fmt.Sprintf("sql92: compare of %v", a.k))
}

func cmpOrdered[T int64 | float64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// javaCompareDouble is Double.compare: -0.0 < 0.0, NaN above everything and
// equal to itself.
func javaCompareDouble(a, b float64) int {
	if c := cmpOrdered(a, b); c != 0 {
		return c
	}
	ab, bb := int64(math.Float64bits(a)), int64(math.Float64bits(b))
	if math.IsNaN(a) || math.IsNaN(b) {
		switch {
		case math.IsNaN(a) && math.IsNaN(b):
			return 0
		case math.IsNaN(a):
			return 1
		}
		return -1
	}
	return cmpOrdered(ab, bb)
}

// parseAs converts a property string the way Integer.valueOf, Long.valueOf
// and Double.valueOf do.
func parseAs(s string, k kind) (value, error) {
	switch k {
	case kInt, kLong:
		bits := 32
		if k == kLong {
			bits = 64
		}
		n, err := strconv.ParseInt(s, 10, bits)
		if err != nil {
			return vNull, fmt.Errorf("%w %q to a %d-bit integer", errConvert, s, bits)
		}
		return value{k: k, i: n}, nil
	case kDouble:
		f, ok := javaParseDouble(s)
		if !ok {
			return vNull, fmt.Errorf("%w %q to a number", errConvert, s)
		}
		return value{k: kDouble, f: f}, nil
	}
	panic(fmt.Sprintf("sql92: parseAs %v", k))
}

// javaParseDouble accepts what Double.valueOf accepts, hexadecimal floats
// aside: surrounding control characters and blanks trimmed, an optional
// f/F/d/D suffix, NaN and Infinity spelled exactly so.
func javaParseDouble(s string) (float64, bool) {
	s = strings.TrimFunc(s, func(r rune) bool { return r <= ' ' })
	body := strings.TrimLeft(s, "+-")
	if len(s)-len(body) > 1 {
		return 0, false
	}
	neg := strings.HasPrefix(s, "-")
	switch body {
	case "NaN":
		return math.NaN(), true
	case "Infinity":
		if neg {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if n := len(body); n > 0 && strings.ContainsRune("fFdD", rune(body[n-1])) {
		body = body[:n-1]
	}
	// Only digits, one dot, and an exponent: keeps Go's extras ("inf",
	// "0x1p3", "1_000") out.
	seenDigit, seenDot, seenExp := false, false, false
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case isDigit(c):
			seenDigit = true
		case c == '.' && !seenDot && !seenExp:
			seenDot = true
		case (c == 'e' || c == 'E') && seenDigit && !seenExp:
			seenExp = true
			if i+1 < len(body) && (body[i+1] == '+' || body[i+1] == '-') {
				i++
			}
			if i+1 >= len(body) {
				return 0, false
			}
		default:
			return 0, false
		}
	}
	if !seenDigit {
		return 0, false
	}
	f, err := strconv.ParseFloat(body, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	if neg {
		f = -f
	}
	return f, true
}
