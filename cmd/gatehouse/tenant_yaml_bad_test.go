package main

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// exportedYAML exports a seeded tenant as a tenant.yaml and returns its files.
func exportedYAML(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if _, _, err := run(seededTenant(t), "", "tenant", "export", filepath.Join(dir, "tenant.yaml")); err != nil {
		t.Fatal(err)
	}
	return readTree(t, dir)
}

// lineOf is the 1-based line of the first occurrence of s in text.
func lineOf(t *testing.T, text, s string) int {
	t.Helper()
	i := strings.Index(text, s)
	if i < 0 {
		t.Fatalf("%q is not in the file", s)
	}
	return 1 + strings.Count(text[:i], "\n")
}

func replaceOnce(t *testing.T, text, old, now string) string {
	t.Helper()
	if !strings.Contains(text, old) {
		t.Fatalf("%q is not in the file", old)
	}
	return strings.Replace(text, old, now, 1)
}

// TestTenantYAMLRefusesBadInput: each broken tenant.yaml fails naming the file, its line and the
// section, and the empty tenant it was applied to is left exactly as it was.
func TestTenantYAMLRefusesBadInput(t *testing.T) {
	good := exportedYAML(t)
	const y = "tenant.yaml"
	cases := []struct {
		name string
		edit func(t *testing.T, f map[string]string) []string // returns what the error must say
	}{
		{"YAML bomb", func(t *testing.T, f map[string]string) []string {
			var b strings.Builder
			b.WriteString(`lol0: &lol0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]` + "\n")
			for i := 1; i < 10; i++ {
				fmt.Fprintf(&b, "lol%d: &lol%d [%s]\n", i, i, strings.TrimSuffix(strings.Repeat(fmt.Sprintf("*lol%d,", i-1), 9), ","))
			}
			f[y] = b.String() + f[y]
			return []string{y, "expands to more than 200000 YAML nodes"}
		}},
		{"unknown section", func(t *testing.T, f map[string]string) []string {
			f[y] += "clinets: []\n"
			return []string{fmt.Sprintf("%s:%d clinets: not a section", y, strings.Count(f[y], "\n"))}
		}},
		{"unreplaced keyword", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "- http://localhost:3000/api/auth/callback", "- ##APP_URL##/api/auth/callback")
			return []string{fmt.Sprintf("%s:%d: keyword ##APP_URL## has no value", y, lineOf(t, f[y], "##APP_URL##"))}
		}},
		{"unreplaced array keyword", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "web_origins:\n      - http://localhost:3000", "web_origins: @@ORIGINS@@")
			return []string{fmt.Sprintf("%s:%d: keyword @@ORIGINS@@ has no value", y, lineOf(t, f[y], "@@ORIGINS@@"))}
		}},
		{"grant of a missing client", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "client_id: Your App (machine to machine)", "client_id: Nobody")
			return []string{fmt.Sprintf("%s:%d clientGrants[0]: client_id: client \"Nobody\" does not exist", y, lineOf(t, f[y], "- audience: https://api.yourapp.com"))}
		}},
		{"permission of a missing API", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "permission_name: admin:read\n        resource_server_identifier: https://api.yourapp.com",
				"permission_name: admin:read\n        resource_server_identifier: https://api.missing.example")
			return []string{y + ":", "roles[0]: permissions[0]: resource server \"https://api.missing.example\" does not exist"}
		}},
		{"connection enabled for a missing client", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "      - Your App (machine to machine)\n    is_domain_connection", "      - Nobody\n    is_domain_connection")
			return []string{fmt.Sprintf("%s:%d databases[0]: enabled_clients[1]: client \"Nobody\" does not exist", y, lineOf(t, f[y], "  - enabled_clients:"))}
		}},
		{"binding of a missing action", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "    - action_name: Add roles to tokens", "    - action_name: No such action")
			return []string{fmt.Sprintf("%s:%d triggers: post-login[0]: action \"No such action\" does not exist", y, lineOf(t, f[y], "\ntriggers:")+1)}
		}},
		{"template outside the directory", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "body: ./emailTemplates/verify_email.html", "body: ../../etc/passwd")
			return []string{y + ":", "emailTemplates[0]: body: \"../../etc/passwd\" is outside the directory"}
		}},
		{"missing code file", func(t *testing.T, f map[string]string) []string {
			delete(f, "actions/Add roles to tokens/code.js")
			return []string{"actions/Add roles to tokens/code.js: does not exist"}
		}},
		{"list where a mapping goes", func(t *testing.T, f map[string]string) []string {
			f[y] = replaceOnce(t, f[y], "emailProvider:\n", "emailProvider: [1]\nx_was_provider:\n")
			return []string{y + ":", "emailProvider: must be a mapping"}
		}},
		{"oversized file", func(t *testing.T, f map[string]string) []string {
			f[y] += "# " + strings.Repeat("x", 4<<20) + "\n"
			return []string{y, "is larger than 4194304 bytes"}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range good {
				files[k] = v
			}
			wants := c.edit(t, files)
			dir := filepath.Join(t.TempDir(), "bad")
			writeTree(t, dir, files)
			dst := emptyTenant(t)
			before := exportTree(t, dst)
			out, _, err := run(dst, "", "tenant", "apply", filepath.Join(dir, y))
			if err == nil {
				t.Fatalf("apply succeeded:\n%s", out)
			}
			for _, w := range wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if out != "" {
				t.Errorf("a plan was printed:\n%s", out)
			}
			sameTree(t, "tenant after a refused apply", before, exportTree(t, dst))
		})
	}
}

// TestTenantYAMLKeywords: ##KEY## and @@KEY@@ are replaced in the YAML text before it is parsed,
// as the Deploy CLI does (an array keyword becomes a YAML flow sequence), in the code files it
// names too; sections the Deploy CLI has and Gatehouse does not manage are warned about.
func TestTenantYAMLKeywords(t *testing.T) {
	files := exportedYAML(t)
	const y = "tenant.yaml"
	files[y] = replaceOnce(t, files[y], "- http://localhost:3000/api/auth/callback", "- ##APP_URL##/api/auth/callback")
	files[y] = replaceOnce(t, files[y], "web_origins:\n      - http://localhost:3000", "web_origins: @@ORIGINS@@")
	files[y] += "rules: []\nattackProtection:\n  bruteForceProtection:\n    enabled: true\n"
	const code = "actions/Add roles to tokens/code.js"
	files[code] = "// ##NAMESPACE##\n" + files[code]
	dir := filepath.Join(t.TempDir(), "kw")
	writeTree(t, dir, files)
	env := emptyTenant(t)
	env["AUTH0_KEYWORD_REPLACE_MAPPINGS"] = `{"APP_URL": "https://staging.acme.example", "ORIGINS": ["https://staging.acme.example", "https://www.acme.example"], "NAMESPACE": "https://acme.example/claims"}`
	out, errOut, err := run(env, "", "tenant", "apply", filepath.Join(dir, y))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	for _, w := range []string{"tenant.yaml:", "rules: ignored", "attackProtection: ignored"} {
		if !strings.Contains(errOut, w) {
			t.Errorf("warnings lack %q:\n%s", w, errOut)
		}
	}
	back := filepath.Join(t.TempDir(), "back")
	if _, _, err := run(env, "", "tenant", "export", filepath.Join(back, y)); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, back)
	for _, want := range []string{"- https://staging.acme.example/api/auth/callback", "web_origins:\n      - https://staging.acme.example\n      - https://www.acme.example\n"} {
		if !strings.Contains(got[y], want) {
			t.Errorf("tenant.yaml lacks %q", want)
		}
	}
	if !strings.HasPrefix(got[code], "// https://acme.example/claims\n") {
		t.Errorf("code: %.80s", got[code])
	}
}
