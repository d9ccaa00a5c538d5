package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestTenantGuardianAndBranding: MFA factors and policies (guardian/) and branding (branding/)
// go in from files and from a tenant.yaml, plan to nothing the second time, export in both
// formats and round-trip to an empty tenant byte-identical; what the server cannot do (the sms
// factor, an unknown policy, a logo over http) is refused naming the file and changes nothing.
// Both engines.
func TestTenantGuardianAndBranding(t *testing.T) {
	files := map[string]string{
		"guardian/factors/email.json":             `{"name": "email", "enabled": true}`,
		"guardian/factors/webauthn-platform.json": `{"name": "webauthn-platform", "enabled": true}`,
		"guardian/factors/otp.json":               `{"name": "otp", "enabled": true}`,
		"guardian/policies.json":                  `{"policies": ["all-applications"]}`,
		"branding/branding.json":                  `{"colors": {"primary": "#0059d6", "page_background": "#f0f0f0"}, "logo_url": "https://acme.example/logo.png"}`,
	}
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			src := seed(t, newEnv(t))
			dir := filepath.Join(t.TempDir(), "in")
			writeTree(t, dir, files)
			out, _, err := run(src, "", "tenant", "apply", dir)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			for _, want := range []string{`~ guardian factor "email" (guardian/factors/email.json)`, "enabled: false → true",
				`~ guardian policies "policies" (guardian/policies.json)`, `policies: + "all-applications"`,
				`~ branding "branding" (branding/branding.json)`, `colors.primary: + "#0059d6"`} {
				if !strings.Contains(out, want) {
					t.Errorf("plan lacks %q:\n%s", want, out)
				}
			}
			if out, _, err := run(src, "", "tenant", "plan", dir); err != nil || out != "" {
				t.Fatalf("second plan: %v\n%s", err, out)
			}
			for _, format := range []string{"dir", "yaml"} {
				t.Run(format, func(t *testing.T) {
					target, first := exportAs(t, src, format)
					all := strings.Join(mapValues(first), "\n")
					for _, want := range []string{"all-applications", "webauthn-platform", "#0059d6", "logo.png"} {
						if !strings.Contains(all, want) {
							t.Errorf("export lacks %s", want)
						}
					}
					if format == "dir" && first["guardian/factors/sms.json"] != "{\n  \"enabled\": false,\n  \"name\": \"sms\"\n}\n" {
						t.Errorf("sms factor: %q", first["guardian/factors/sms.json"])
					}
					dst := emptyTenant(t)
					if _, _, err := run(dst, "", "tenant", "apply", target); err != nil {
						t.Fatal(err)
					}
					_, again := exportAs(t, dst, format)
					sameTree(t, "export after apply", first, again)
				})
			}

			for _, c := range []struct{ file, text, want string }{
				{"guardian/factors/sms.json", `{"name": "sms", "enabled": true}`, "guardian/factors/sms.json: enabled: the sms factor is not supported"},
				{"guardian/policies.json", `{"policies": ["sometimes"]}`, `guardian/policies.json: policies[0]: "sometimes" is not all-applications or confidence-score`},
				{"branding/branding.json", `{"logo_url": "http://acme.example/logo.png"}`, "branding/branding.json: logo_url: must be an absolute https URL"},
			} {
				bad := filepath.Join(t.TempDir(), "bad")
				writeTree(t, bad, map[string]string{c.file: c.text})
				before := exportTree(t, src)
				if _, _, err := run(src, "", "tenant", "apply", bad); err == nil || !strings.Contains(err.Error(), c.want) {
					t.Errorf("%s: %v", c.file, err)
				}
				sameTree(t, "tenant after a refused apply", before, exportTree(t, src))
			}
		})
	}
}
