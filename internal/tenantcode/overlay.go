package tenantcode

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"sort"
	"strings"
)

// Problems are every error found in a directory, reported together.
type Problems []error

func (p Problems) Error() string {
	lines := make([]string, len(p))
	for i, e := range p {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

func (p Problems) Unwrap() []error { return p }

// overlay writes base with doc's top-level fields in place of its own into out (a pointer to a
// zero value of base's type): the file says what it says, and what it leaves out stays as the
// tenant has it (as the Deploy CLI's updates do).
func overlay(file string, base any, doc map[string]any, out any) error {
	m := toMap(base)
	for k, v := range doc {
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		return fileErr(file, "%v", err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fileErr(file, "%s: %s is not %s", te.Field, te.Value, te.Type)
		}
		return fileErr(file, "%v", err)
	}
	return nil
}

// jsonNames are the JSON field names of a struct type (embedded structs included).
func jsonNames(t reflect.Type, into map[string]bool) map[string]bool {
	if into == nil {
		into = map[string]bool{}
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if f.Anonymous && name == "" {
			jsonNames(f.Type, into)
			continue
		}
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		into[name] = true
	}
	return into
}

// ignored lists doc's fields that Gatehouse has no setting for: a Deploy CLI export from Auth0
// carries many, and a reviewer must see that they are not applied.
func ignored(file string, doc map[string]any, known map[string]bool, extra ...string) []string {
	var out []string
	for k := range doc {
		if known[k] {
			continue
		}
		skip := false
		for _, e := range extra {
			skip = skip || e == k
		}
		if !skip {
			out = append(out, k)
		}
	}
	if len(out) == 0 {
		return nil
	}
	sort.Strings(out)
	return []string{fmt.Sprintf("%s: ignored (Gatehouse has no such setting): %s", file, strings.Join(out, ", "))}
}

// str reads a string field of a document.
func str(doc map[string]any, key string) (string, bool) {
	s, ok := doc[key].(string)
	return s, ok
}
