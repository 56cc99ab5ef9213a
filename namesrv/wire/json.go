package wire

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
	"unicode/utf8"
)

// writer appends compact JSON.
type writer struct{ b []byte }

func (w *writer) raw(s string) { w.b = append(w.b, s...) }

func (w *writer) str(s string) {
	w.b = append(w.b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				w.b = append(w.b, '\\', c)
			case c < 0x20:
				w.b = append(w.b, fmt.Sprintf(`\u%04x`, c)...)
			default:
				w.b = append(w.b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			w.b = append(w.b, `\ufffd`...)
		} else {
			w.b = append(w.b, s[i:i+size]...)
		}
		i += size
	}
	w.b = append(w.b, '"')
}

func (w *writer) int(n int64) { w.b = strconv.AppendInt(w.b, n, 10) }

func (w *writer) bool(v bool) { w.b = strconv.AppendBool(w.b, v) }

func (w *writer) strings(list []string) {
	w.raw("[")
	for i, s := range list {
		if i > 0 {
			w.raw(",")
		}
		w.str(s)
	}
	w.raw("]")
}

// stringMap writes a map[string]string with sorted keys.
func (w *writer) stringMap(m map[string]string) {
	w.raw("{")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			w.raw(",")
		}
		w.str(k)
		w.raw(":")
		w.str(m[k])
	}
	w.raw("}")
}

// idMap writes broker addresses by id, ids ascending, keys bare as fastjson
// writes a HashMap<Long,String> (or quoted for standard JSON).
func (w *writer) idMap(m map[int64]string, standard bool) {
	w.raw("{")
	for i, id := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			w.raw(",")
		}
		if standard {
			w.raw(`"`)
			w.int(id)
			w.raw(`"`)
		} else {
			w.int(id)
		}
		w.raw(":")
		w.str(m[id])
	}
	w.raw("}")
}

// QuoteBareKeys rewrites fastjson's bare object keys ({0:"a"}) as standard
// JSON ({"0":"a"}); everything else is copied. Input without bare keys is
// returned as is, uncopied. Malformed input comes out malformed, for
// json.Unmarshal to reject with its own message.
func QuoteBareKeys(in []byte) []byte {
	var out []byte   // nil until the first bare key: most input has none
	copied := 0      // in[:copied] is already in out
	var stack []bool // open containers: true for an object
	expectKey := false
	for i := 0; i < len(in); i++ {
		switch c := in[i]; c {
		case '"':
			j := i + 1
			for {
				k := bytes.IndexAny(in[j:], "\\\"")
				if k < 0 {
					j = len(in)
					break
				}
				j += k
				if in[j] == '"' {
					break
				}
				j += 2 // skip the escaped byte
				if j >= len(in) {
					break
				}
			}
			if j >= len(in) {
				i = len(in)
				continue
			}
			i = j
			expectKey = false
		case '{':
			stack = append(stack, true)
			expectKey = true
		case '[':
			stack = append(stack, false)
			expectKey = false
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			expectKey = false
		case ',':
			expectKey = len(stack) > 0 && stack[len(stack)-1]
		case ' ', '\t', '\n', '\r':
		default:
			if !expectKey {
				continue
			}
			j := i
			for j < len(in) && in[j] != ':' && in[j] != ' ' && in[j] != '}' && in[j] != ',' {
				j++
			}
			if out == nil {
				out = make([]byte, 0, len(in)+16)
			}
			out = append(out, in[copied:i]...)
			out = append(out, '"')
			out = append(out, in[i:j]...)
			out = append(out, '"')
			copied = j
			i = j - 1
			expectKey = false
		}
	}
	if out == nil {
		return in
	}
	return append(out, in[copied:]...)
}

// unmarshal decodes fastjson-flavoured JSON into v.
func unmarshal(data []byte, v any, what string) error {
	if err := json.Unmarshal(QuoteBareKeys(data), v); err != nil {
		return fmt.Errorf("decode %s: %w", what, err)
	}
	return nil
}

// parseIDMap turns {"0":"addr"} into broker addresses by id.
func parseIDMap(m map[string]string, what string) (map[int64]string, error) {
	out := make(map[int64]string, len(m))
	for k, v := range m {
		id, err := strconv.ParseInt(k, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("decode %s: broker id %q: %w", what, k, err)
		}
		out[id] = v
	}
	return out, nil
}
