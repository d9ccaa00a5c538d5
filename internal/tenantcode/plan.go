package tenantcode

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gatehouse/gatehouse/internal/store"
)

// Change operations.
const (
	OpAdd    = "add"
	OpChange = "change"
	OpRemove = "remove"
)

// FieldChange is one field of a resource that changes; a secret's values are never held.
type FieldChange struct {
	Path     string
	Old, New string // JSON; empty when the field is absent on that side
	Secret   bool

	oldText, newText string // a side file's content
}

// Change is one resource that apply adds, changes or removes.
type Change struct {
	Op     string
	Kind   Kind
	Key    string
	File   string
	Fields []FieldChange
}

// Plan is what applying a directory would do.
type Plan struct {
	Changes  []Change
	Warnings []string

	cur, des *snapshot
}

// MakePlan reads dir and compares it with the tenant. A directory with errors returns them all
// (Problems, each naming its file) and no plan.
func MakePlan(ctx context.Context, st store.Store, dir string, o Options) (*Plan, error) {
	cur, err := current(ctx, st)
	if err != nil {
		return nil, err
	}
	des, warns, err := desired(ctx, cur, dir, o)
	if err != nil {
		return &Plan{Warnings: warns}, err
	}
	changes := diff(cur, des)
	if IsYAML(dir) {
		// A reviewer of a tenant.yaml sees the section, not the directory file it stands for.
		for i := range changes {
			changes[i].File = filepath.Base(dir) + " " + yamlKey[changes[i].Kind]
		}
	}
	return &Plan{Changes: changes, Warnings: warns, cur: cur, des: des}, nil
}

// diff compares every kind (also those the directory leaves out, which change only as a
// consequence: a deleted client's grants, a new client enabled on the connections).
func diff(cur, des *snapshot) []Change {
	all := map[Kind]bool{}
	for _, k := range Kinds {
		all[k] = true
	}
	c2, d2 := *cur, *des
	c2.managed, d2.managed = all, all
	old := index(c2.resources())
	now := index(d2.resources())
	var out []Change
	for _, k := range Kinds {
		for _, key := range sortedKeys(now[k]) {
			r := now[k][key]
			secrets := des.secretsSet[resourceID(k, key)]
			if o, ok := old[k][key]; !ok {
				out = append(out, Change{Op: OpAdd, Kind: k, Key: key, File: r.File, Fields: fields(nil, r, secrets)})
			} else if fs := fields(o, r, secrets); len(fs) > 0 {
				out = append(out, Change{Op: OpChange, Kind: k, Key: key, File: r.File, Fields: fs})
			}
		}
		for _, key := range sortedKeys(old[k]) {
			if _, ok := now[k][key]; !ok {
				out = append(out, Change{Op: OpRemove, Kind: k, Key: key, File: old[k][key].File})
			}
		}
	}
	return out
}

func index(rs []*Resource) map[Kind]map[string]*Resource {
	out := map[Kind]map[string]*Resource{}
	for _, r := range rs {
		if out[r.Kind] == nil {
			out[r.Kind] = map[string]*Resource{}
		}
		out[r.Kind][r.Key] = r
	}
	return out
}

// fields lists the leaves that differ between two resources (old nil: every leaf of the new
// one), their side files, and the secrets the directory sets.
func fields(old, now *Resource, secrets []string) []FieldChange {
	a, b := map[string]string{}, map[string]string{}
	if old != nil {
		flatten("", old.Doc, a)
		for p, text := range old.Side {
			a["file "+p] = sideSummary(text)
			a["file "+p+"\x00"] = text
		}
	}
	flatten("", now.Doc, b)
	for p, text := range now.Side {
		b["file "+p] = sideSummary(text)
		b["file "+p+"\x00"] = text
	}
	var out []FieldChange
	keys := map[string]bool{}
	for k := range a {
		keys[k] = true
	}
	for k := range b {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		if strings.HasSuffix(k, "\x00") {
			continue
		}
		if strings.HasPrefix(k, "file ") {
			if a[k+"\x00"] != b[k+"\x00"] {
				out = append(out, FieldChange{Path: k, Old: a[k], New: b[k], oldText: a[k+"\x00"], newText: b[k+"\x00"]})
			}
			continue
		}
		if a[k] != b[k] {
			out = append(out, FieldChange{Path: k, Old: a[k], New: b[k]})
		}
	}
	for _, s := range secrets {
		out = append(out, FieldChange{Path: s, Secret: true})
	}
	return out
}

func sideSummary(text string) string {
	return fmt.Sprintf("%d lines, %d bytes", strings.Count(text, "\n")+1, len(text))
}

// flatten renders each leaf of a document as JSON under its dotted path; arrays are leaves.
func flatten(prefix string, v any, into map[string]string) {
	if m, ok := v.(map[string]any); ok && (prefix == "" || len(m) > 0) {
		for k, x := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			flatten(p, x, into)
		}
		return
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // values decoded from JSON always encode
	into[prefix] = strings.TrimSpace(buf.String())
}

// Empty reports whether applying changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Write prints the plan for a reviewer: nothing at all when nothing changes.
func (p *Plan) Write(w io.Writer) error {
	if p.Empty() {
		return nil
	}
	counts := map[string]int{}
	var b strings.Builder
	for _, c := range p.Changes {
		counts[c.Op]++
		sign := map[string]string{OpAdd: "+", OpChange: "~", OpRemove: "-"}[c.Op]
		fmt.Fprintf(&b, "%s %s %q (%s)\n", sign, c.Kind, c.Key, c.File)
		for _, f := range c.Fields {
			switch {
			case f.Secret:
				fmt.Fprintf(&b, "    %s: (secret, value hidden) set\n", f.Path)
			case strings.HasPrefix(f.Path, "file ") && c.Op == OpChange && f.Old != "" && f.New != "":
				fmt.Fprintf(&b, "    %s:\n", f.Path)
				writeLineDiff(&b, f.oldText, f.newText)
			case c.Op == OpAdd && strings.HasPrefix(f.New, "[{"):
				fmt.Fprintf(&b, "    %s:\n", f.Path)
				for _, e := range elements(f.New) {
					fmt.Fprintf(&b, "      %s\n", e)
				}
			case c.Op == OpChange && strings.HasPrefix(f.Old, "[") && strings.HasPrefix(f.New, "["):
				writeArrayDiff(&b, f.Path, f.Old, f.New)
			case c.Op == OpAdd:
				fmt.Fprintf(&b, "    %s: %s\n", f.Path, f.New)
			case f.Old == "":
				fmt.Fprintf(&b, "    %s: + %s\n", f.Path, f.New)
			case f.New == "":
				fmt.Fprintf(&b, "    %s: - %s\n", f.Path, f.Old)
			default:
				fmt.Fprintf(&b, "    %s: %s → %s\n", f.Path, f.Old, f.New)
			}
		}
	}
	fmt.Fprintf(&b, "Plan: %d to add, %d to change, %d to remove.\n", counts[OpAdd], counts[OpChange], counts[OpRemove])
	_, err := io.WriteString(w, b.String())
	return err
}

// elements splits a JSON array into its elements' JSON.
func elements(arr string) []string {
	var raw []json.RawMessage
	if json.Unmarshal([]byte(arr), &raw) != nil {
		return []string{arr}
	}
	out := make([]string, len(raw))
	for i, r := range raw {
		out[i] = string(r)
	}
	return out
}

// writeArrayDiff shows the elements an array loses and gains (or that only their order changed).
func writeArrayDiff(b *strings.Builder, path, old, now string) {
	was, is := elements(old), elements(now)
	count := func(list []string) map[string]int {
		m := map[string]int{}
		for _, e := range list {
			m[e]++
		}
		return m
	}
	cw, ci := count(was), count(is)
	changed := false
	for _, e := range was {
		if ci[e] < cw[e] {
			fmt.Fprintf(b, "    %s: - %s\n", path, e)
			ci[e]++
			changed = true
		}
	}
	cw, ci = count(was), count(is)
	for _, e := range is {
		if cw[e] < ci[e] {
			fmt.Fprintf(b, "    %s: + %s\n", path, e)
			cw[e]++
			changed = true
		}
	}
	if !changed {
		fmt.Fprintf(b, "    %s: reordered: %s\n", path, now)
	}
}

const maxDiffLines = 1000

// writeLineDiff shows the lines of a side file that go and come (a longest-common-subsequence
// diff without context), bounded for large files.
func writeLineDiff(b *strings.Builder, old, now string) {
	x, y := strings.Split(old, "\n"), strings.Split(now, "\n")
	if len(x) > maxDiffLines || len(y) > maxDiffLines {
		fmt.Fprintf(b, "      (%s → %s)\n", sideSummary(old), sideSummary(now))
		return
	}
	// lcs[i][j]: the longest common subsequence of x[i:] and y[j:].
	lcs := make([][]int, len(x)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(y)+1)
	}
	for i := len(x) - 1; i >= 0; i-- {
		for j := len(y) - 1; j >= 0; j-- {
			if x[i] == y[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(x) || j < len(y) {
		switch {
		case i < len(x) && j < len(y) && x[i] == y[j]:
			i, j = i+1, j+1
		case i < len(x) && (j == len(y) || lcs[i+1][j] >= lcs[i][j+1]):
			fmt.Fprintf(b, "      -%d: %s\n", i+1, x[i])
			i++
		default:
			fmt.Fprintf(b, "      +%d: %s\n", j+1, y[j])
			j++
		}
	}
}
