package tenantcode

import (
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Bounds on a tenant.yaml, checked before and while it is parsed: the file is untrusted input (a
// pull request), and YAML's anchors and aliases let a small file stand for a huge document (the
// "billion laughs"), so the document is measured as aliases would expand it before any value is
// built from it.
const (
	MaxYAMLBytes = 4 << 20 // the file
	// MaxYAMLNodes is the most nodes the document may count with every alias expanded; a tenant
	// with hundreds of clients has tens of thousands.
	MaxYAMLNodes = 200_000
	// maxYAMLTokens bounds, before parsing, the separators ("-", ":", ",", brackets, new lines)
	// that can each open a node, so the parser's own tree stays small.
	maxYAMLTokens = 2 * MaxYAMLNodes
	maxYAMLDepth  = 64
)

// prescan refuses, before the parser sees it, text whose parse tree could be too large or too deep:
// too many separators, or brackets / leading "- " nested deeper than the bound.
func prescan(text string) error {
	// Every node the parser makes follows a separator, so their count bounds the tree. They are
	// counted everywhere, in quotes and comments too: a quote that this scan takes for one may be
	// a character of a plain scalar to the parser (x"), and the bound must hold either way.
	tokens := 0
	for i := 0; i < len(text); i++ {
		if strings.IndexByte(yamlSeparators, text[i]) >= 0 {
			if tokens++; tokens > maxYAMLTokens {
				return fmt.Errorf("more than %d YAML tokens; a tenant's configuration is far smaller", maxYAMLTokens)
			}
		}
	}
	depth := 0
	var quote byte
	lineStart, dashes := true, 0
	for i := 0; i < len(text); i++ {
		c := text[i]
		if quote != 0 {
			switch {
			case c == '\\' && quote == '"':
				i++
			case c == quote:
				quote = 0
			}
			continue
		}
		switch c {
		case '\n':
			lineStart, dashes = true, 0
			continue
		case '"', '\'':
			// A quote starts a quoted scalar only where a scalar may start; inside a plain scalar
			// (it's) it is a character. Approximate: after a separator or a space.
			if i == 0 || strings.IndexByte(" \t[{,:-\n", text[i-1]) >= 0 {
				quote = c
			}
		case '#':
			if i == 0 || text[i-1] == ' ' || text[i-1] == '\t' || text[i-1] == '\n' {
				for i+1 < len(text) && text[i+1] != '\n' {
					i++
				}
			}
		case '[', '{':
			if depth++; depth > maxYAMLDepth {
				return fmt.Errorf("nested deeper than %d levels", maxYAMLDepth)
			}
		case ']', '}':
			depth--
		case '-', '?':
			if lineStart && i+1 < len(text) && (text[i+1] == ' ' || text[i+1] == '\n') {
				if dashes++; dashes > maxYAMLDepth {
					return fmt.Errorf("nested deeper than %d levels", maxYAMLDepth)
				}
			}
		}
		if c != ' ' && c != '\t' && c != '-' && c != '?' {
			lineStart = false
		}
	}
	return nil
}

// yamlSeparators are the characters that can open a YAML node.
const yamlSeparators = "-?,:[{\n"

// parseYAML parses one YAML document into plain values (maps, slices, strings, numbers, booleans,
// nil) after checking its size as aliases expand it, and returns the top-level mapping node too
// (for the line of each key).
func parseYAML(text string) (map[string]any, *yaml.Node, error) {
	if err := prescan(text); err != nil {
		return nil, nil, err
	}
	dec := yaml.NewDecoder(strings.NewReader(text))
	var doc yaml.Node
	if err := dec.Decode(&doc); errors.Is(err, io.EOF) {
		return map[string]any{}, nil, nil
	} else if err != nil {
		return nil, nil, fmt.Errorf("malformed YAML: %v", err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return nil, nil, errors.New("malformed YAML: more than one document")
	}
	m := &measure{sizes: map[*yaml.Node]int{}, depths: map[*yaml.Node]int{}, busy: map[*yaml.Node]bool{}}
	n, depth, err := m.walk(&doc)
	if err != nil {
		return nil, nil, err
	}
	if n > MaxYAMLNodes {
		return nil, nil, fmt.Errorf("expands to more than %d YAML nodes (anchors and aliases count as often as they are used)", MaxYAMLNodes)
	}
	if depth > maxYAMLDepth {
		return nil, nil, fmt.Errorf("nested deeper than %d levels", maxYAMLDepth)
	}
	root := &doc
	if root.Kind == yaml.DocumentNode && len(root.Content) == 1 {
		root = root.Content[0]
	}
	if root.Kind == yaml.ScalarNode && root.Tag == "!!null" {
		return map[string]any{}, nil, nil
	}
	if root.Kind != yaml.MappingNode {
		return nil, nil, fmt.Errorf("line %d: the document must be a mapping of resource types", root.Line)
	}
	v, err := value(root)
	if err != nil {
		return nil, nil, err
	}
	return v.(map[string]any), root, nil
}

// measure counts a node tree's size and depth with aliases expanded, without expanding them:
// each node's figures are computed once and reused wherever an alias names it.
type measure struct {
	sizes, depths map[*yaml.Node]int
	busy          map[*yaml.Node]bool
}

func (m *measure) walk(n *yaml.Node) (size, depth int, err error) {
	if s, ok := m.sizes[n]; ok {
		return s, m.depths[n], nil
	}
	if m.busy[n] {
		return 0, 0, fmt.Errorf("line %d: an alias refers to a node that contains it", n.Line)
	}
	m.busy[n] = true
	defer delete(m.busy, n)
	size = 1
	kids := n.Content
	if n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return 0, 0, fmt.Errorf("line %d: alias to an unknown anchor", n.Line)
		}
		kids = []*yaml.Node{n.Alias}
	}
	for _, k := range kids {
		s, d, err := m.walk(k)
		if err != nil {
			return 0, 0, err
		}
		// Saturate, so that a bomb's figures cannot overflow before they are compared.
		size = min(size+s, MaxYAMLNodes+1)
		depth = max(depth, d)
	}
	depth++
	if depth > maxYAMLDepth {
		return 0, 0, fmt.Errorf("line %d: nested deeper than %d levels", n.Line, maxYAMLDepth)
	}
	if size > MaxYAMLNodes {
		return 0, 0, fmt.Errorf("line %d: expands to more than %d YAML nodes (anchors and aliases count as often as they are used)", n.Line, MaxYAMLNodes)
	}
	m.sizes[n], m.depths[n] = size, depth
	return size, depth, nil
}

// value turns a measured node into plain values. Mapping keys are strings; merge keys (<<) merge
// as YAML 1.1 says (the Deploy CLI's js-yaml reads them too).
func value(n *yaml.Node) (any, error) {
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) == 0 {
			return nil, nil
		}
		return value(n.Content[0])
	case yaml.AliasNode:
		return value(n.Alias)
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := value(c)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := map[string]any{}
		var merges []*yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Kind == yaml.ScalarNode && k.Tag == "!!merge" {
				merges = append(merges, v) // merged after: the mapping's own keys win
				continue
			}
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: a key must be a plain string", k.Line)
			}
			x, err := value(v)
			if err != nil {
				return nil, err
			}
			if _, dup := out[k.Value]; dup {
				return nil, fmt.Errorf("line %d: key %q appears twice", k.Line, k.Value)
			}
			out[k.Value] = x
		}
		for _, v := range merges {
			if err := merge(out, v); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	return scalar(n)
}

// merge adds the fields of a merged mapping (or list of them) that out does not have yet.
func merge(out map[string]any, v *yaml.Node) error {
	x, err := value(v)
	if err != nil {
		return err
	}
	list, ok := x.([]any)
	if !ok {
		list = []any{x}
	}
	for _, e := range list {
		m, ok := e.(map[string]any)
		if !ok {
			return fmt.Errorf("line %d: << merges mappings only", v.Line)
		}
		for k, val := range m {
			if _, has := out[k]; !has {
				out[k] = val
			}
		}
	}
	return nil
}

func scalar(n *yaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("line %d: %v", n.Line, err)
	}
	switch x := v.(type) {
	case float64:
		if math.IsInf(x, 0) || math.IsNaN(x) {
			return nil, fmt.Errorf("line %d: %s is not a number a setting can hold", n.Line, n.Value)
		}
	case time.Time:
		return n.Value, nil // a date-like plain scalar stays the text it is
	case []byte:
		return nil, fmt.Errorf("line %d: binary values are not settings", n.Line)
	}
	return v, nil
}

// keyLine is the line of a top-level key (0 when unknown).
func keyLine(root *yaml.Node, key string) int {
	if root == nil {
		return 0
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		if root.Content[i].Value == key {
			return root.Content[i].Line
		}
	}
	return 0
}

// itemLine is the line of a top-level list's i-th element (0 when unknown).
func itemLine(root *yaml.Node, key string, i int) int {
	if root == nil {
		return 0
	}
	for j := 0; j+1 < len(root.Content); j += 2 {
		if root.Content[j].Value == key {
			v := root.Content[j+1]
			if v.Kind == yaml.AliasNode {
				v = v.Alias
			}
			if v.Kind == yaml.SequenceNode && i < len(v.Content) {
				return v.Content[i].Line
			}
			return root.Content[j].Line
		}
	}
	return 0
}
