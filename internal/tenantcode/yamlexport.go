package tenantcode

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"gopkg.in/yaml.v3"
)

// yamlKey is each kind's section of a tenant.yaml (the Deploy CLI's YAML handler names).
var yamlKey = map[Kind]string{
	KindTenant: "tenant", KindClient: "clients", KindAPI: "resourceServers", KindGrant: "clientGrants",
	KindRole: "roles", KindAction: "actions", KindTriggers: "triggers", KindDatabase: "databases", KindConnection: "connections", KindOrganization: "organizations", KindLogStream: "logStreams",
	KindBranding: "branding", KindGuardianFactor: "guardianFactors", KindGuardianPolicies: "guardianPolicies",
	KindEmailProvider: "emailProvider", KindEmailTemplate: "emailTemplates",
}

// yamlTemplatesDir is where a tenant.yaml's templates keep their HTML (the Deploy CLI's
// ./emailTemplates/<template>.html).
const yamlTemplatesDir = "emailTemplates"

// exportYAML writes file as `a0deploy export --format yaml` does: one tenant.yaml, each Action's
// code in ./actions/<name>/code.js and each template's HTML in ./emailTemplates/<name>.html beside
// it. Every list section is written, empty or not, so the file says the tenant has none.
func exportYAML(rs []*Resource, file string, o ExportOptions) ([]string, error) {
	if fi, err := os.Lstat(file); err == nil && !o.Overwrite {
		return nil, fmt.Errorf("%s exists (write over it with --force)", file)
	} else if err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		// --force replaces a file, never what a link points at.
		return nil, fmt.Errorf("%s is a symbolic link: not written through, even with --force", file)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	doc := map[string]any{}
	for _, l := range yamlList {
		doc[l.key] = []any{}
	}
	side := map[string]string{}
	for _, r := range rs {
		key := yamlKey[r.Kind]
		d := r.Doc
		files := r.Side
		if r.Kind == KindEmailTemplate {
			html := yamlTemplatesDir + "/" + sanitize(r.Key) + ".html"
			d["body"] = "./" + html
			files = map[string]string{html: r.Side[dirEmails+"/"+sanitize(r.Key)+".html"]}
		}
		for p, text := range files {
			if _, dup := side[p]; dup {
				return nil, fmt.Errorf("%s: two %ss have names that make the same file name; rename one", p, r.Kind)
			}
			side[p] = text
		}
		if list, ok := doc[key].([]any); ok {
			doc[key] = append(list, plain(d))
		} else {
			doc[key] = plain(d)
		}
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(doc); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	base := filepath.Dir(file)
	written := []string{}
	if err := os.MkdirAll(base, 0o755); err != nil {
		return nil, err
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o644); err != nil {
		return nil, err
	}
	written = append(written, filepath.Base(file))
	for _, p := range sortedKeys(side) {
		full := filepath.Join(base, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			return written, err
		}
		if err := os.WriteFile(full, []byte(side[p]), 0o644); err != nil {
			return written, err
		}
		written = append(written, p)
	}
	return written, nil
}

// plain turns json.Number into the integer or float it is, which YAML writes as a number (it
// would quote json.Number as a string).
func plain(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(x))
		for k, e := range x {
			out[k] = plain(e)
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = plain(e)
		}
		return out
	case json.Number:
		if i, err := x.Int64(); err == nil {
			return i
		}
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	return v
}
