package main

import (
	"encoding/base64"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/upstream"
)

// upstreamFiles are an enterprise OpenID Connect connection and the GitHub social preset, their
// secrets given by keywords, as connections/ holds them, and an organization with two of the
// tenant's connections.
var upstreamFiles = map[string]string{
	"connections/Okta.json": `{
  "name": "Okta",
  "strategy": "oidc",
  "display_name": "Acme Okta",
  "show_as_button": true,
  "enabled_clients": ["Your App"],
  "options": {
    "client_id": "okta-client",
    "client_secret": "##OKTA_SECRET##",
    "type": "back_channel",
    "scope": "openid profile email",
    "issuer": "https://acme.okta.example",
    "authorization_endpoint": "https://acme.okta.example/authorize",
    "token_endpoint": "https://acme.okta.example/token",
    "jwks_uri": "https://acme.okta.example/keys",
    "domain_aliases": ["acme.example"]
  }
}
`,
	"connections/github.json": `{
  "name": "github",
  "strategy": "github",
  "enabled_clients": ["Your App"],
  "options": {"client_id": "gh-client", "client_secret": "##GITHUB_SECRET##", "scope": "read:user user:email"}
}
`,
	"organizations/acme.json": `{
  "name": "acme",
  "display_name": "Acme Corp",
  "branding": {"logo_url": "https://acme.example/logo.png", "colors": {"primary": "#0059d6", "page_background": "#ffffff"}},
  "metadata": {"tier": "gold"},
  "connections": [
    {"name": "Okta", "assign_membership_on_login": true, "show_as_button": true, "is_signup_enabled": false},
    {"name": "Username-Password-Authentication", "assign_membership_on_login": false, "show_as_button": true, "is_signup_enabled": true}
  ]
}
`,
}

const upstreamKeywords = `{"OKTA_SECRET": "okta-secret-value-0123456789", "GITHUB_SECRET": "github-secret-value-0123456789"}`

// TestTenantConnections: connections to other providers go in from connections/ (and a
// tenant.yaml's connections:), their secrets sealed and masked in the plan; an export writes the
// Deploy CLI's mask (##CONNECTIONS_<STRATEGY>_SECRET##) and never the secret; export → apply to
// an empty tenant (the masks mapped to the secrets) → export again is byte-identical; a
// reference to a client that does not exist is refused and changes nothing. Both engines.
func TestTenantConnections(t *testing.T) {
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "in")
			writeTree(t, dir, upstreamFiles)
			kw := filepath.Join(t.TempDir(), "kw.json")
			writeTree(t, filepath.Dir(kw), map[string]string{"kw.json": upstreamKeywords})

			// A node keeps to its address rule: the providers' names do not resolve here, so
			// the connections are refused (as the Management API refuses them), naming each
			// endpoint, and nothing changes.
			strict := emptyTenant(t)
			before := exportTree(t, strict)
			_, _, err := run(strict, "", "tenant", "apply", "--keywords", kw, dir)
			if err == nil || !strings.Contains(err.Error(), "connections/Okta.json: options.") || !strings.Contains(err.Error(), "destination not allowed: acme.okta.example does not resolve") {
				t.Fatalf("apply on a node that may not reach the providers: %v", err)
			}
			sameTree(t, "strict tenant after a refused apply", before, exportTree(t, strict))

			// The rest runs on nodes allowed to reach any address (as `gatehouse dev` is).
			src := allowDestinations(seed(t, newEnv(t)))
			out, _, err := run(src, "", "tenant", "apply", "--keywords", kw, dir)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, want := range []string{`+ connection "Okta" (connections/Okta.json)`, `+ organization "acme" (organizations/acme.json)`, "options.client_secret: (secret, value hidden) set", "options.issuer: \"https://acme.okta.example\""} {
				if !strings.Contains(out, want) {
					t.Errorf("plan lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, "secret-value") {
				t.Errorf("the plan shows a secret:\n%s", out)
			}
			if out, _, err := run(src, "", "tenant", "plan", "--keywords", kw, dir); err != nil || out != "" {
				t.Fatalf("the same secrets again must change nothing: %v\n%s", err, out)
			}

			for _, format := range []string{"dir", "yaml"} {
				t.Run(format, func(t *testing.T) {
					target, first := exportAs(t, src, format)
					all := strings.Join(mapValues(first), "\n")
					if strings.Contains(all, "secret-value") {
						t.Fatal("an export holds a connection secret")
					}
					for _, want := range []string{"##CONNECTIONS_OIDC_SECRET##", "##CONNECTIONS_GITHUB_SECRET##", "acme.okta.example/authorize",
						"Acme Corp", "assign_membership_on_login", "Username-Password-Authentication"} {
						if !strings.Contains(all, want) {
							t.Errorf("export lacks %s", want)
						}
					}
					// The masks are keywords: without them the file is refused, with them it
					// plans to nothing against the tenant it came from.
					if _, _, err := run(src, "", "tenant", "plan", target); err == nil || !strings.Contains(err.Error(), "has no value") {
						t.Errorf("plan without the masked secrets: %v", err)
					}
					masks := filepath.Join(t.TempDir(), "masks.json")
					writeTree(t, filepath.Dir(masks), map[string]string{"masks.json": `{"CONNECTIONS_OIDC_SECRET": "okta-secret-value-0123456789", "CONNECTIONS_GITHUB_SECRET": "github-secret-value-0123456789"}`})
					if out, _, err := run(src, "", "tenant", "plan", "--keywords", masks, target); err != nil || out != "" {
						t.Fatalf("plan of the tenant's own export: %v\n%s", err, out)
					}
					dst := allowDestinations(emptyTenant(t))
					if _, _, err := run(dst, "", "tenant", "apply", "--keywords", masks, target); err != nil {
						t.Fatal(err)
					}
					_, again := exportAs(t, dst, format)
					sameTree(t, "export after apply", first, again)
					if out, _, err := run(dst, "", "tenant", "apply", "--keywords", masks, target); err != nil || out != "" {
						t.Fatalf("second apply: %v\n%s", err, out)
					}
				})
			}

			// An organization's connections change one by one: one goes, one changes.
			changed := map[string]string{"organizations/acme.json": `{"name": "acme", "display_name": "Acme Corp", "connections": [
  {"name": "Username-Password-Authentication", "assign_membership_on_login": true, "show_as_button": false, "is_signup_enabled": false}]}`}
			chDir := filepath.Join(t.TempDir(), "changed")
			writeTree(t, chDir, changed)
			out, _, err = run(src, "", "tenant", "apply", chDir)
			if err != nil || !strings.Contains(out, `~ organization "acme"`) || !strings.Contains(out, `connections: - {"assign_membership_on_login":true,"is_signup_enabled":false,"name":"Okta","show_as_button":true}`) {
				t.Fatalf("apply of a changed organization: %v\n%s", err, out)
			}
			if out, _, err := run(src, "", "tenant", "plan", chDir); err != nil || out != "" {
				t.Fatalf("plan after the change: %v\n%s", err, out)
			}
			chOut := filepath.Join(t.TempDir(), "chout")
			if _, _, err := run(src, "", "tenant", "export", chOut); err != nil {
				t.Fatal(err)
			}
			if got := readTree(t, chOut)["organizations/acme.json"]; strings.Contains(got, "Okta") || !strings.Contains(got, `"assign_membership_on_login": true`) ||
				!strings.Contains(got, "logo.png") {
				t.Errorf("organization after the change:\n%s", got)
			}

			// A connection enabled for a client that does not exist: refused, nothing changed.
			bad := map[string]string{"connections/Okta.json": strings.Replace(upstreamFiles["connections/Okta.json"], `["Your App"]`, `["Your App", "Nobody"]`, 1),
				"connections/Entra.json": strings.Replace(strings.Replace(upstreamFiles["connections/Okta.json"], `"Okta"`, `"Entra"`, 1), "acme.okta", "entra", -1)}
			badDir := filepath.Join(t.TempDir(), "bad")
			writeTree(t, badDir, bad)
			before = exportTree(t, src)
			_, _, err = run(src, "", "tenant", "apply", "--keywords", kw, badDir)
			if err == nil || !strings.Contains(err.Error(), `connections/Okta.json: enabled_clients[1]: client "Nobody" does not exist`) {
				t.Fatalf("apply of a connection enabled for a missing client: %v", err)
			}
			// An organization with a connection that does not exist, in a tenant.yaml: the
			// error names the file, the line and the organization's place; nothing changes.
			y := "organizations:\n  - name: globex\n    connections:\n      - name: Entra\n      - name: Nope\n"
			writeTree(t, badDir, map[string]string{"bad.yaml": y})
			_, _, err = run(src, "", "tenant", "apply", filepath.Join(badDir, "bad.yaml"))
			if err == nil || !strings.Contains(err.Error(), `bad.yaml:2 organizations[0]: connections[0]: connection "Entra" does not exist`) ||
				!strings.Contains(err.Error(), `connections[1]: connection "Nope" does not exist`) {
				t.Fatalf("apply of an organization with missing connections: %v", err)
			}
			sameTree(t, "tenant after a refused apply", before, exportTree(t, src))
		})
	}
}

// allowDestinations lets the node reach any address (GATEHOUSE_ALLOW_PRIVATE_DESTINATIONS).
func allowDestinations(env map[string]string) map[string]string {
	env[config.EnvAllowPrivateDestinations] = "true"
	return env
}

func mapValues(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	return out
}

// TestTenantSAMLConnection: a samlp connection whose service provider key comes from a keyword is
// readied as the Management API readies it (the key checked against its certificate, sealed); an
// export writes the certificate and the key as the mask ##CONNECTIONS_SAMLP_SECRET##, and the
// export applied to an empty tenant with the mask mapped to the same key exports the same. A key
// that is not a key is refused naming the field. Both engines.
func TestTenantSAMLConnection(t *testing.T) {
	_, idpCert, err := upstream.NewSAMLKey("https://idp.acme.example", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	spKey, spCert, err := upstream.NewSAMLKey("urn:gatehouse:acme-saml", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]any{"name": "acme-saml", "strategy": "samlp", "enabled_clients": []string{"Your App"},
		"options": map[string]any{"signInEndpoint": "https://idp.acme.example/sso", "signingCert": base64.StdEncoding.EncodeToString([]byte(idpCert)),
			"signSAMLRequest": true, "signing_key": map[string]any{"cert": spCert, "key": "##SP_KEY##"}}}
	raw, _ := json.MarshalIndent(doc, "", "  ")
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			src := allowDestinations(seed(t, newEnv(t)))
			dir := filepath.Join(t.TempDir(), "in")
			writeTree(t, dir, map[string]string{"connections/acme-saml.json": string(raw)})
			kwJSON, _ := json.Marshal(map[string]string{"SP_KEY": spKey, "CONNECTIONS_SAMLP_SECRET": spKey})
			kw := filepath.Join(t.TempDir(), "kw.json")
			writeTree(t, filepath.Dir(kw), map[string]string{"kw.json": string(kwJSON)})
			out, _, err := run(src, "", "tenant", "apply", "--keywords", kw, dir)
			if err != nil || !strings.Contains(out, "options.signing_key.key: (secret, value hidden) set") || strings.Contains(out, "PRIVATE KEY") {
				t.Fatalf("apply: %v\n%s", err, out)
			}
			if out, _, err := run(src, "", "tenant", "plan", "--keywords", kw, dir); err != nil || out != "" {
				t.Fatalf("second plan: %v\n%s", err, out)
			}
			a := filepath.Join(t.TempDir(), "a")
			if _, _, err := run(src, "", "tenant", "export", a); err != nil {
				t.Fatal(err)
			}
			first := readTree(t, a)
			got := first["connections/acme-saml.json"]
			if !strings.Contains(got, `"key": "##CONNECTIONS_SAMLP_SECRET##"`) || strings.Contains(got, "PRIVATE KEY") || !strings.Contains(got, "BEGIN CERTIFICATE") {
				t.Fatalf("export:\n%s", got)
			}
			dst := allowDestinations(emptyTenant(t))
			if _, _, err := run(dst, "", "tenant", "apply", "--keywords", kw, a); err != nil {
				t.Fatal(err)
			}
			b := filepath.Join(t.TempDir(), "b")
			if _, _, err := run(dst, "", "tenant", "export", b); err != nil {
				t.Fatal(err)
			}
			sameTree(t, "export after apply", first, readTree(t, b))

			bad := strings.Replace(string(raw), `"acme-saml"`, `"other-saml"`, 1)
			writeTree(t, dir, map[string]string{"connections/acme-saml.json": bad})
			badKw := filepath.Join(t.TempDir(), "bad.json")
			writeTree(t, filepath.Dir(badKw), map[string]string{"bad.json": `{"SP_KEY": "not a key"}`})
			if _, _, err := run(src, "", "tenant", "plan", "--keywords", badKw, dir); err == nil || !strings.Contains(err.Error(), "connections/acme-saml.json: options.signing_key.key:") {
				t.Fatalf("a key that is not a key: %v", err)
			}
		})
	}
}
