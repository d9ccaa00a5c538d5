package main

import (
	"strings"
	"testing"
)

// TestTenantYAMLRoundTrip: export to a tenant.yaml → apply to an empty tenant → export again is
// byte-identical (the file and the code and templates beside it); a plan of the same file then
// prints nothing and a second apply changes nothing. On both engines.
func TestTenantYAMLRoundTrip(t *testing.T) {
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			src, dst := seed(t, newEnv(t)), newEnv(t)
			if _, _, err := run(dst, "", "migrate"); err != nil {
				t.Fatal(err)
			}
			file, first := exportAs(t, src, "yaml")
			for _, want := range []string{"tenant.yaml", "actions/Add roles to tokens/code.js", "emailTemplates/verify_email.html"} {
				if _, ok := first[want]; !ok {
					t.Errorf("export lacks %s; has %v", want, fileNames(first))
				}
			}
			y := first["tenant.yaml"]
			for _, want := range []string{"\nclients:\n", "\nresourceServers:\n", "\nclientGrants:\n", "\nroles:\n", "\nactions:\n",
				"\ntriggers:\n", "\ndatabases:\n", "\nemailProvider:\n", "\nemailTemplates:\n", "code: ./actions/Add roles to tokens/code.js",
				"body: ./emailTemplates/verify_email.html", "session_lifetime: "} {
				if !strings.Contains("\n"+y, want) {
					t.Errorf("tenant.yaml lacks %q", want)
				}
			}
			for _, secret := range []string{"client_secret:", "signing_secret:", "smtp_pass:"} {
				if strings.Contains(y, secret) {
					t.Errorf("tenant.yaml holds %s", secret)
				}
			}
			if out, _, err := run(src, "", "tenant", "plan", file); err != nil || out != "" {
				t.Fatalf("plan of the tenant's own export: %v\n%s", err, out)
			}
			out, _, err := run(dst, "", "tenant", "apply", file)
			if err != nil {
				t.Fatalf("apply: %v\n%s", err, out)
			}
			if !strings.Contains(out, `+ client "Your App" (tenant.yaml clients)`) {
				t.Errorf("apply's plan:\n%s", out)
			}
			_, again := exportAs(t, dst, "yaml")
			sameTree(t, "yaml export after apply", first, again)
			if out, errOut, err := run(dst, "", "tenant", "plan", file); err != nil || out != "" {
				t.Fatalf("plan after apply: %v\n%s\n%s", err, out, errOut)
			}
			if out, errOut, err := run(dst, "", "tenant", "apply", file); err != nil || out != "" || strings.Contains(errOut, "applied") {
				t.Fatalf("second apply: %v\n%s\n%s", err, out, errOut)
			}
			// The directory format and the YAML format say the same: the directory export of
			// the YAML-applied tenant plans to nothing against the source.
			d, _ := exportAs(t, dst, "dir")
			if out, _, err := run(src, "", "tenant", "plan", d); err != nil || out != "" {
				t.Fatalf("directory export of the YAML-applied tenant against the source: %v\n%s", err, out)
			}
		})
	}
}
