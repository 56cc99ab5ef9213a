package scenario

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// yamlKeys returns the keys a struct type accepts, in field order.
func yamlKeys(t reflect.Type) []string {
	var keys []string
	for f := range t.Fields() {
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		keys = append(keys, name)
	}
	return keys
}

// ownTypes are the types of this package yaml may name in an unknown-field
// error; knownKeys lists their keys for the message.
var ownTypes = map[string]reflect.Type{}

func init() {
	for _, v := range []any{Scenario{}, Topology{}, Network{}, Node{}, Disk{}, Clock{}, Range{}, Workload{}, Scheduled{}} {
		t := reflect.TypeOf(v)
		ownTypes[t.String()] = t
	}
}

func knownKeys(typeName string) string {
	t, ok := ownTypes[typeName]
	if !ok {
		return ""
	}
	return strings.Join(yamlKeys(t), ", ")
}

// decodeStrict decodes n into the struct v points to, refusing keys the
// struct (or any struct nested in it) does not have. yaml.v3's KnownFields
// applies only to a whole document, not to a yaml.Node decoded later, so
// the kind-specific parts of a scenario (workload params, node options) go
// through this instead.
func decodeStrict(n *yaml.Node, v any, what string) error {
	if n.Kind == 0 {
		return nil // absent: keep v's zero value
	}
	if err := checkKeys(n, reflect.TypeOf(v), what); err != nil {
		return err
	}
	if err := n.Decode(v); err != nil {
		return err
	}
	return nil
}

var unmarshalerType = reflect.TypeFor[yaml.Unmarshaler]()

func checkKeys(n *yaml.Node, t reflect.Type, what string) error {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) || t == reflect.TypeFor[yaml.Node]() {
		return nil // the type checks itself
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return fmt.Errorf("line %d: %s: want a mapping", n.Line, what)
		}
		keys := yamlKeys(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i].Value
			idx := slices.Index(keys, k)
			if idx < 0 {
				return fmt.Errorf("line %d: %s: unknown key %q (known keys here: %s)", n.Content[i].Line, what, k, strings.Join(keys, ", "))
			}
			f := fieldByKey(t, k)
			if err := checkKeys(n.Content[i+1], f.Type, what+"."+k); err != nil {
				return err
			}
		}
	case reflect.Slice, reflect.Array:
		if n.Kind == yaml.SequenceNode {
			for _, e := range n.Content {
				if err := checkKeys(e, t.Elem(), what); err != nil {
					return err
				}
			}
		}
	case reflect.Map:
		if n.Kind == yaml.MappingNode {
			for i := 1; i < len(n.Content); i += 2 {
				if err := checkKeys(n.Content[i], t.Elem(), what+"."+n.Content[i-1].Value); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func fieldByKey(t reflect.Type, key string) reflect.StructField {
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		if f.IsExported() && name == key {
			return f
		}
	}
	panic(fmt.Sprintf("scenario: key %q listed for %s but no field has it", key, t))
}
