package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// exported exports a seeded tenant and returns its files.
func exported(t *testing.T) map[string]string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "export")
	if _, _, err := run(seededTenant(t), "", "tenant", "export", dir); err != nil {
		t.Fatal(err)
	}
	return readTree(t, dir)
}

// TestTenantApplyRefusesBadInput: each broken directory fails naming the file (and the key), and
// the empty tenant it was applied to is left exactly as it was.
func TestTenantApplyRefusesBadInput(t *testing.T) {
	good := exported(t)
	const client = "clients/Your App.json"
	cases := []struct {
		name  string
		edit  func(map[string]string)
		wants []string
	}{
		{"unreplaced keyword", func(f map[string]string) {
			f[client] = strings.Replace(f[client], `"http://localhost:3000/api/auth/callback"`, `"##APP_URL##/api/auth/callback"`, 1)
		}, []string{client, "##APP_URL##", "has no value"}},
		{"unreplaced array keyword", func(f map[string]string) {
			f[client] = strings.Replace(f[client], `"web_origins": [`+"\n"+`    "http://localhost:3000"`+"\n"+`  ]`, `"web_origins": @@ORIGINS@@`, 1)
		}, []string{client, "@@ORIGINS@@"}},
		{"malformed JSON", func(f map[string]string) {
			f["roles/admin.json"] = strings.Replace(f["roles/admin.json"], `"name"`, `"name`, 1)
		}, []string{"roles/admin.json", "malformed JSON", "line "}},
		{"permission of a missing API", func(f map[string]string) {
			f["roles/user.json"] = strings.Replace(f["roles/user.json"], "https://api.yourapp.com", "https://api.missing.example", 1)
		}, []string{"roles/user.json", "permissions[0]", `"https://api.missing.example" does not exist`}},
		{"binding of a missing action", func(f map[string]string) {
			f["triggers/triggers.json"] = strings.Replace(f["triggers/triggers.json"], `"action_name": "Add roles to tokens"`, `"action_name": "No such action"`, 1)
		}, []string{"triggers/triggers.json", "post-login[", `"No such action" does not exist`}},
		{"grant of a missing client", func(f map[string]string) {
			g := "grants/Your App (machine to machine)-Your App API.json"
			f[g] = strings.Replace(f[g], `"client_id": "Your App (machine to machine)"`, `"client_id": "Nobody"`, 1)
		}, []string{"machine)-Your App API.json", `client "Nobody" does not exist`}},
		{"undefined scope", func(f map[string]string) {
			g := "grants/Your App (machine to machine)-Your App API.json"
			f[g] = strings.Replace(f[g], `"scope": [`, `"scope": ["delete:everything",`, 1)
		}, []string{"scope[0]", `"delete:everything" is not a permission`}},
		{"oversized file", func(f map[string]string) {
			f["actions/Add roles to tokens/code.js"] += "//" + strings.Repeat("x", 1<<20) + "\n"
		}, []string{"actions/Add roles to tokens/code.js", "larger than 1048576 bytes"}},
		{"code outside the directory", func(f map[string]string) {
			a := "actions/Add roles to tokens.json"
			f[a] = strings.Replace(f[a], `"./actions/Add roles to tokens/code.js"`, `"../../etc/passwd"`, 1)
		}, []string{"actions/Add roles to tokens.json", "outside the directory"}},
		{"deep nesting", func(f map[string]string) {
			f["tenant.json"] = `{"flags": ` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}`
		}, []string{"tenant.json", "nested deeper"}},
		{"a provider connection named like the database connection", func(f map[string]string) {
			f["connections/Dup.json"] = `{"name": "Username-Password-Authentication", "strategy": "oidc",
  "options": {"client_id": "x", "client_secret": "s", "type": "back_channel", "issuer": "https://idp.example",
  "authorization_endpoint": "https://idp.example/authorize", "token_endpoint": "https://idp.example/token",
  "jwks_uri": "https://idp.example/keys"}}`
		}, []string{"connections/Dup.json", `"Username-Password-Authentication" is a database connection`}},
		{"invalid client", func(f map[string]string) {
			f[client] = strings.Replace(f[client], `"app_type": "regular_web"`, `"app_type": "toaster"`, 1)
		}, []string{client, "app_type", "toaster"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			files := map[string]string{}
			for k, v := range good {
				files[k] = v
			}
			c.edit(files)
			dir := filepath.Join(t.TempDir(), "bad")
			writeTree(t, dir, files)
			dst := emptyTenant(t)
			before := filepath.Join(t.TempDir(), "before")
			if _, _, err := run(dst, "", "tenant", "export", before); err != nil {
				t.Fatal(err)
			}
			out, _, err := run(dst, "", "tenant", "apply", dir)
			if err == nil {
				t.Fatalf("apply succeeded:\n%s", out)
			}
			for _, w := range c.wants {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error lacks %q:\n%v", w, err)
				}
			}
			if !strings.Contains(err.Error(), "nothing was changed") {
				t.Errorf("error: %v", err)
			}
			after := filepath.Join(t.TempDir(), "after")
			if _, _, err := run(dst, "", "tenant", "export", after); err != nil {
				t.Fatal(err)
			}
			sameTree(t, "tenant after a refused apply", readTree(t, before), readTree(t, after))
		})
	}
}

// TestTenantKeywords: ##KEY## and @@KEY@@ come from --keywords (env style or JSON) over
// $AUTH0_KEYWORD_REPLACE_MAPPINGS; a value with a quote stays inside its JSON string.
func TestTenantKeywords(t *testing.T) {
	files := exported(t)
	const client = "clients/Your App.json"
	files[client] = strings.Replace(files[client], `"http://localhost:3000/api/auth/callback"`, `"##APP_URL##/api/auth/callback"`, 1)
	files[client] = strings.Replace(files[client], `"web_origins": [`+"\n"+`    "http://localhost:3000"`+"\n"+`  ]`, `"web_origins": @@ORIGINS@@`, 1)
	files[client] = strings.Replace(files[client], `"name": "Your App"`, `"name": "##APP_NAME##"`, 1)
	const db = "database-connections/Username-Password-Authentication/database.json"
	files[db] = strings.Replace(files[db], `"Your App",`, `"##APP_NAME##",`, 1)
	dir := filepath.Join(t.TempDir(), "kw")
	writeTree(t, dir, files)
	kw := filepath.Join(t.TempDir(), "keywords.env")
	writeTree(t, filepath.Dir(kw), map[string]string{"keywords.env": "# staging\nAPP_URL=https://staging.acme.example\nAPP_NAME=\"Acme \\\"Staging\\\"\"\n"})
	env := emptyTenant(t)
	env["AUTH0_KEYWORD_REPLACE_MAPPINGS"] = `{"ORIGINS": ["https://staging.acme.example", "https://www.acme.example"], "APP_URL": "overridden by the file"}`
	out, _, err := run(env, "", "tenant", "apply", "--keywords", kw, dir)
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	back := filepath.Join(t.TempDir(), "back")
	if _, _, err := run(env, "", "tenant", "export", back); err != nil {
		t.Fatal(err)
	}
	got := readTree(t, back)[`clients/Acme -Staging-.json`]
	for _, want := range []string{`"name": "Acme \"Staging\""`, `"https://staging.acme.example/api/auth/callback"`,
		"\"web_origins\": [\n    \"https://staging.acme.example\",\n    \"https://www.acme.example\"\n  ]"} {
		if !strings.Contains(got, want) {
			t.Errorf("client lacks %s:\n%s", want, got)
		}
	}
}

// TestTenantAllowDelete: what the directory lacks is kept, and listed for removal and removed only
// with --allow-delete; a client secret given in a file is masked in the plan and applied once.
func TestTenantAllowDelete(t *testing.T) {
	files := exported(t)
	dir := filepath.Join(t.TempDir(), "dir")
	writeTree(t, dir, files)
	env := emptyTenant(t)
	if _, _, err := run(env, "", "tenant", "apply", dir); err != nil {
		t.Fatal(err)
	}
	short := map[string]string{}
	for k, v := range files {
		if k != "roles/user.json" {
			short[k] = v
		}
	}
	const m2m = "clients/Your App (machine to machine).json"
	short[m2m] = strings.Replace(short[m2m], `"name":`, `"client_secret": "##M2M_SECRET##", "name":`, 1)
	dir2 := filepath.Join(t.TempDir(), "dir2")
	writeTree(t, dir2, short)
	kw := filepath.Join(t.TempDir(), "kw.json")
	writeTree(t, filepath.Dir(kw), map[string]string{"kw.json": `{"M2M_SECRET": "a-long-secret-nobody-should-see-0123456789"}`})

	out, _, err := run(env, "", "tenant", "apply", "--keywords", kw, dir2)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "nobody-should-see") || !strings.Contains(out, "client_secret: (secret, value hidden) set") {
		t.Errorf("plan shows the secret or not its change:\n%s", out)
	}
	if strings.Contains(out, `role "user"`) {
		t.Errorf("a role was listed for removal without --allow-delete:\n%s", out)
	}
	if out, _, err := run(env, "", "tenant", "plan", "--keywords", kw, dir2); err != nil || out != "" {
		t.Fatalf("the same secret again must change nothing: %v\n%s", err, out)
	}
	check := filepath.Join(t.TempDir(), "check")
	if _, _, err := run(env, "", "tenant", "export", check); err != nil {
		t.Fatal(err)
	}
	if _, ok := readTree(t, check)["roles/user.json"]; !ok {
		t.Fatal("the role was deleted without --allow-delete")
	}

	out, _, err = run(env, "", "tenant", "plan", "--allow-delete", "--keywords", kw, dir2)
	if err != nil || !strings.Contains(out, `- role "user" (roles/user.json)`) {
		t.Fatalf("plan --allow-delete: %v\n%s", err, out)
	}
	if _, _, err := run(env, "", "tenant", "apply", "--allow-delete", "--keywords", kw, dir2); err != nil {
		t.Fatal(err)
	}
	check2 := filepath.Join(t.TempDir(), "check2")
	if _, _, err := run(env, "", "tenant", "export", check2); err != nil {
		t.Fatal(err)
	}
	if _, ok := readTree(t, check2)["roles/user.json"]; ok {
		t.Fatal("--allow-delete kept the role")
	}
}
