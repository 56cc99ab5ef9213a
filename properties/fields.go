package properties

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// A field is one bindable struct field: its key, where it sits, and the
// options from its tag.
type field struct {
	key   string
	index []int
	// unit scales a bare integer given for a time.Duration ("ms" unless the
	// tag says "s"): RocketMQ writes every duration as a number of
	// milliseconds (flushIntervalCommitLog=500).
	unit time.Duration
	// sep splits a []string value (";" unless the tag says otherwise), the
	// separator of namesrvAddr.
	sep string
	// aliases are other keys that set the same field (old spellings such as
	// RocketMQ's "mapedFileSizeCommitLog").
	aliases []string
}

var durationType = reflect.TypeFor[time.Duration]()

// fieldsOf lists the bindable fields of struct type t in declaration order.
// A field is bindable when it has a `prop:"key[,opt...]"` tag; an untagged
// struct field (embedded or not) is walked, so configs can be composed.
// Options: "ms" or "s" (unit of a bare integer for a time.Duration),
// "sep=semicolon|comma|blank" (separator of a []string), "alias=otherKey"
// (another key for the same field; repeatable).
// A malformed tag or a key used twice is a programming error and panics.
func fieldsOf(t reflect.Type) []field {
	var out []field
	seen := map[string]bool{}
	var walk func(t reflect.Type, prefix []int)
	walk = func(t reflect.Type, prefix []int) {
		for i := 0; i < t.NumField(); i++ {
			sf := t.Field(i)
			idx := append(append([]int(nil), prefix...), i)
			tag, ok := sf.Tag.Lookup("prop")
			if !ok {
				if sf.Type.Kind() == reflect.Struct && sf.Type != durationType && (sf.IsExported() || sf.Anonymous) {
					walk(sf.Type, idx)
				}
				continue
			}
			if tag == "-" {
				continue
			}
			if !sf.IsExported() {
				panic(fmt.Sprintf("properties: unexported field %s has a prop tag", sf.Name))
			}
			parts := strings.Split(tag, ",")
			f := field{key: parts[0], index: idx, unit: time.Millisecond, sep: ";"}
			if f.key == "" {
				panic(fmt.Sprintf("properties: field %s has an empty prop key", sf.Name))
			}
			for _, opt := range parts[1:] {
				switch opt {
				case "ms":
					f.unit = time.Millisecond
				case "s":
					f.unit = time.Second
				case "sep=semicolon":
					f.sep = ";"
				case "sep=comma":
					f.sep = ","
				case "sep=blank":
					f.sep = " "
				default:
					if a, ok := strings.CutPrefix(opt, "alias="); ok && a != "" {
						f.aliases = append(f.aliases, a)
						continue
					}
					panic(fmt.Sprintf("properties: field %s: unknown prop tag option %q", sf.Name, opt))
				}
			}
			for _, k := range append([]string{f.key}, f.aliases...) {
				if seen[k] {
					panic(fmt.Sprintf("properties: key %q is bound by two fields", k))
				}
				seen[k] = true
			}
			out = append(out, f)
		}
	}
	walk(t, nil)
	return out
}

// structValue returns the struct that v (a pointer to a struct, or a struct
// for reading) holds, or panics: passing anything else is a programming error.
func structValue(v any, needPointer bool) reflect.Value {
	rv := reflect.ValueOf(v)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			panic("properties: nil pointer")
		}
		rv = rv.Elem()
	} else if needPointer {
		panic(fmt.Sprintf("properties: want a pointer to a struct, got %T", v))
	}
	if rv.Kind() != reflect.Struct {
		panic(fmt.Sprintf("properties: want a struct, got %T", v))
	}
	return rv
}

// KeysOf returns the keys that Bind understands for the struct (or pointer
// to struct) v, in declaration order, aliases left out.
func KeysOf(v any) []string {
	fs := fieldsOf(structValue(v, false).Type())
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.key
	}
	return keys
}
