package properties

import (
	"encoding"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"
)

var textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()

// Dump prints the bindable fields of src (a struct or pointer to one) as
// key=value lines in declaration order: the effective configuration, in a
// form Parse reads back to the same values.
func Dump(src any) string {
	rv := structValue(src, false)
	var b strings.Builder
	for _, f := range fieldsOf(rv.Type()) {
		b.WriteString(escape(f.key, true))
		b.WriteByte('=')
		b.WriteString(escape(format(rv.FieldByIndex(f.index), f), false))
		b.WriteByte('\n')
	}
	return b.String()
}

// format renders v so that setField parses it back to v.
func format(v reflect.Value, f field) string {
	if v.Type().Implements(textMarshalerType) {
		t, err := v.Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return fmt.Sprintf("!%v", err)
		}
		return string(t)
	}
	if v.CanAddr() && v.Addr().Type().Implements(textMarshalerType) {
		t, err := v.Addr().Interface().(encoding.TextMarshaler).MarshalText()
		if err != nil {
			return fmt.Sprintf("!%v", err)
		}
		return string(t)
	}
	if v.Type() == durationType {
		d := time.Duration(v.Int())
		if d%f.unit == 0 {
			return strconv.FormatInt(int64(d/f.unit), 10)
		}
		return d.String()
	}
	switch v.Kind() {
	case reflect.String:
		return v.String()
	case reflect.Bool:
		return strconv.FormatBool(v.Bool())
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return strconv.FormatUint(v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		return strconv.FormatFloat(v.Float(), 'g', -1, v.Type().Bits())
	case reflect.Slice:
		items := make([]string, v.Len())
		for i := range items {
			items[i] = v.Index(i).String()
		}
		return strings.Join(items, f.sep)
	}
	panic(fmt.Sprintf("properties: key %s: unsupported field type %s", f.key, v.Type()))
}

// escape writes s so that Parse reads it back unchanged: separators and
// comment marks in keys, leading blanks in values, backslashes and control
// characters everywhere.
func escape(s string, isKey bool) string {
	var b strings.Builder
	for i, r := range s {
		switch r {
		case '\\':
			b.WriteString(`\\`)
		case '\t':
			b.WriteString(`\t`)
		case '\n':
			b.WriteString(`\n`)
		case '\r':
			b.WriteString(`\r`)
		case '\f':
			b.WriteString(`\f`)
		case ' ':
			if isKey || i == 0 {
				b.WriteString(`\ `)
			} else {
				b.WriteByte(' ')
			}
		case '=', ':':
			if isKey {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		case '#', '!':
			if isKey && i == 0 {
				b.WriteByte('\\')
			}
			b.WriteRune(r)
		default:
			if r < 0x20 {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	return b.String()
}
