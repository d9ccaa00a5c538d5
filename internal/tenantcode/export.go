package tenantcode

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gatehouse/gatehouse/internal/store"
)

// ExportOptions say where and how to write.
type ExportOptions struct {
	// Overwrite writes into a directory that is not empty (files of resources that no longer exist
	// stay); without it such a directory is refused.
	Overwrite bool
}

// Export writes the tenant's configuration to dir in the Deploy CLI's directory format (or, when
// dir names a .yaml file, its YAML format) and returns the files written. No secret is written: client secrets, Action secret values, the SMTP
// password and HS256 signing secrets stay in the tenant.
func Export(ctx context.Context, st store.Store, dir string, o ExportOptions) ([]string, error) {
	s, err := current(ctx, st)
	if err != nil {
		return nil, err
	}
	if IsYAML(dir) {
		return exportYAML(s.resources(), dir, o)
	}
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 && !o.Overwrite {
		return nil, fmt.Errorf("%s is not empty (write over it with --force)", dir)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	out := map[string][]byte{}
	for _, r := range s.resources() {
		b, err := encode(r.Doc)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", r.File, err)
		}
		for _, p := range append([]string{r.File}, sortedKeys(r.Side)...) {
			if _, dup := out[p]; dup {
				return nil, fmt.Errorf("%s: two %ss have names that make the same file name; rename one", p, r.Kind)
			}
		}
		out[r.File] = b
		for p, text := range r.Side {
			out[p] = []byte(text)
		}
	}
	var written []string
	for _, p := range sortedKeys(out) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(full, out[p], 0o644); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// encode writes a document as the Deploy CLI does: two-space indentation and a final newline
// (keys sorted, so that an export is the same every time).
func encode(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
