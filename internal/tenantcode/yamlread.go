package tenantcode

import (
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"unicode/utf8"
)

// IsYAML reports whether p names a tenant.yaml (the Deploy CLI's YAML format) rather than a
// directory.
func IsYAML(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

// yamlList says where each list of a tenant.yaml goes in the directory format the builder reads:
// every element becomes one virtual file of that directory.
var yamlList = []struct {
	key, dir string
	nested   string // the file inside a directory of its own (a database connection's)
}{
	{"clients", dirClients, ""},
	{"resourceServers", dirAPIs, ""},
	{"clientGrants", dirGrants, ""},
	{"roles", dirRoles, ""},
	{"actions", dirActions, ""},
	{"databases", dirDatabases, databaseFile},
	{"connections", dirConns, ""},
	{"organizations", dirOrgs, ""},
	{"logStreams", dirLogStreams, ""},
	{"guardianFactors", dirFactors, ""},
	{"emailTemplates", dirEmails, ""},
}

// yamlObject says where each single-object section goes.
var yamlObject = map[string]string{
	"tenant":           tenantFile,
	"triggers":         dirTriggers + "/" + triggersFile,
	"emailProvider":    dirEmails + "/" + providerFile,
	"guardianPolicies": guardianPolicies,
	"branding":         brandingFile,
}

// yamlOther are the Deploy CLI's other sections (its YAML handlers): accepted and left alone,
// with a warning, so that an export from Auth0 reads. Any other key is an error.
var yamlOther = []string{"rules", "rulesConfigs", "hooks", "pages",
	"guardianFactorProviders", "guardianFactorTemplates", "guardianPhoneFactorMessageTypes",
	"guardianPhoneFactorSelectedProvider", "actionModules",
	"attackProtection", "riskAssessment", "phoneProviders", "phoneTemplates", "prompts",
	"customDomains", "themes", "forms", "flows", "flowVaultConnections", "selfServiceProfiles", "networkACLs",
	"userAttributeProfiles", "connectionProfiles", "tokenExchangeProfiles", "supplementalSignals",
	"rateLimitPolicies", "eventStreams", "clientAuthCredentials", "exclude", "include"}

// openYAML reads a tenant.yaml within its bounds, replaces its keywords in the text (as the
// Deploy CLI does, before parsing), parses it, and lays its sections out as the virtual files
// of a directory; the files its sections name (Action code, template HTML) are read from the
// directory holding it.
func openYAML(file string, mappings Mappings) (*source, []string, error) {
	name := filepath.Base(file)
	fi, err := os.Lstat(file)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, fmt.Errorf("%s: must be a regular file (links are not followed)", file)
	}
	if fi.Size() > MaxYAMLBytes {
		return nil, nil, fmt.Errorf("%s: is larger than %d bytes", name, MaxYAMLBytes)
	}
	f, err := os.Open(file)
	if err != nil {
		return nil, nil, err
	}
	defer f.Close()
	raw, err := io.ReadAll(io.LimitReader(f, MaxYAMLBytes+1))
	if err != nil {
		return nil, nil, err
	}
	if len(raw) > MaxYAMLBytes {
		return nil, nil, fmt.Errorf("%s: is larger than %d bytes", name, MaxYAMLBytes)
	}
	if !utf8.Valid(raw) {
		return nil, nil, fmt.Errorf("%s: is not UTF-8 text", name)
	}
	text, err := mappings.replace(name, string(raw), false)
	if err != nil {
		return nil, nil, err
	}
	doc, root, err := parseYAML(text)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", name, err)
	}
	s := &source{root: filepath.Dir(file), mappings: mappings, total: int64(len(raw)), files: 1,
		virtual: map[string]string{}, vdirs: map[string]bool{}, labels: map[string]string{}}
	var warnings []string
	var problems Problems
	at := func(key string) string { return fmt.Sprintf("%s:%d %s", name, keyLine(root, key), key) }
	for _, key := range sortedKeys(doc) {
		v := doc[key]
		if v == nil {
			continue // "clients:" with nothing: the section is absent, as in the Deploy CLI
		}
		if slices.Contains(yamlOther, key) {
			warnings = append(warnings, at(key)+": ignored (Gatehouse does not manage it from files)")
			continue
		}
		if vf, ok := yamlObject[key]; ok {
			obj, ok := v.(map[string]any)
			if !ok {
				problems = append(problems, fmt.Errorf("%s: must be a mapping", at(key)))
				continue
			}
			s.put(vf, at(key), obj)
			continue
		}
		found := false
		for _, l := range yamlList {
			if l.key != key {
				continue
			}
			found = true
			list, ok := v.([]any)
			if !ok {
				problems = append(problems, fmt.Errorf("%s: must be a list", at(key)))
				break
			}
			s.vdirs[l.dir] = true
			for i, e := range list {
				label := fmt.Sprintf("%s:%d %s[%d]", name, itemLine(root, key, i), key, i)
				obj, ok := e.(map[string]any)
				if !ok {
					problems = append(problems, fmt.Errorf("%s: must be a mapping", label))
					continue
				}
				vf := fmt.Sprintf("%s/%05d.json", l.dir, i)
				if l.nested != "" {
					vf = fmt.Sprintf("%s/%05d/%s", l.dir, i, l.nested)
				}
				s.put(vf, label, obj)
			}
		}
		if !found {
			problems = append(problems, fmt.Errorf("%s: not a section of the Deploy CLI's tenant.yaml", at(key)))
		}
	}
	if len(problems) > 0 {
		return nil, warnings, problems
	}
	return s, warnings, nil
}

// put adds one virtual file, the JSON of obj.
func (s *source) put(vf, label string, obj map[string]any) {
	b, err := marshalPlain(obj)
	if err != nil {
		// Values from parseYAML are plain and always encode.
		panic(fmt.Sprintf("tenantcode: %s: %v", label, err))
	}
	s.virtual[vf] = string(b)
	s.labels[vf] = label
	for d := path.Dir(vf); d != "."; d = path.Dir(d) {
		s.vdirs[d] = true
	}
}

// virtualOnly reports whether rel is looked up among the virtual files only: every document of a
// tenant.yaml is virtual, while code and templates are files beside it.
func (s *source) virtualOnly(rel string, dir bool) bool {
	return s.virtual != nil && (dir || strings.HasSuffix(rel, ".json"))
}

func (s *source) virtualExists(rel string, dir bool) bool {
	if dir {
		return rel == "." || s.vdirs[rel]
	}
	_, ok := s.virtual[rel]
	return ok
}

// virtualList lists the virtual entries directly in directory rel, as list does.
func (s *source) virtualList(rel, ext string) []string {
	seen := map[string]bool{}
	for vf := range s.virtual {
		rest, ok := strings.CutPrefix(vf, rel+"/")
		if !ok {
			continue
		}
		first, deeper, isDir := strings.Cut(rest, "/")
		if (ext == "" && isDir && deeper != "") || (ext != "" && !isDir && strings.HasSuffix(first, ext)) {
			seen[first] = true
		}
	}
	return sortedKeys(seen)
}

// label names a file in errors: a tenant.yaml's section and line for a virtual file.
func (s *source) label(rel string) string {
	if l, ok := s.labels[rel]; ok {
		return l
	}
	return rel
}

// relabel rewrites the virtual file names in problems and warnings as the tenant.yaml lines they
// come from.
func (s *source) relabel(problems Problems, warnings []string) {
	if s.virtual == nil {
		return
	}
	for _, p := range problems {
		var fe *FileError
		if ok := asFileError(p, &fe); ok {
			fe.File = s.label(fe.File)
		}
	}
	for i, w := range warnings {
		if vf, rest, ok := strings.Cut(w, ": "); ok {
			if l, ok := s.labels[vf]; ok {
				warnings[i] = l + ": " + rest
			}
		}
	}
}
