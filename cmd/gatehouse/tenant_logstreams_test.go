package main

import (
	"path/filepath"
	"strings"
	"testing"
)

// streamFile is an http log stream whose Authorization header comes from a keyword. The endpoint
// is a public address written as one, so checking it needs no name lookup.
const streamFile = `{
  "name": "SIEM",
  "type": "http",
  "sink": {
    "httpEndpoint": "https://93.184.215.14/ingest",
    "httpContentType": "application/json",
    "httpContentFormat": "JSONARRAY",
    "httpAuthorization": "##SIEM_TOKEN##",
    "httpCustomHeaders": [{"header": "X-Tenant", "value": "acme"}]
  },
  "filters": [{"type": "category", "name": "auth.login.fail"}]
}
`

// TestTenantLogStreams: a log stream goes in from log-streams/ (and a tenant.yaml's logStreams:),
// its Authorization header sealed and masked in the plan; an export writes the Deploy CLI's mask
// (##LOGSTREAMS_HTTP_SECRET##), never the header; export → apply to an empty tenant → export again
// is byte-identical in both formats; an endpoint this node must not send the log to is refused and
// changes nothing. Both engines.
func TestTenantLogStreams(t *testing.T) {
	for engine, newEnv := range tenantEnvs(t) {
		t.Run(engine, func(t *testing.T) {
			src := seed(t, newEnv(t))
			dir := filepath.Join(t.TempDir(), "in")
			writeTree(t, dir, map[string]string{"log-streams/SIEM.json": streamFile})
			kw := filepath.Join(t.TempDir(), "kw.json")
			writeTree(t, filepath.Dir(kw), map[string]string{"kw.json": `{"SIEM_TOKEN": "Bearer siem-token-value-0123456789"}`})
			out, _, err := run(src, "", "tenant", "apply", "--keywords", kw, dir)
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			if !strings.Contains(out, `+ log stream "SIEM" (log-streams/SIEM.json)`) || !strings.Contains(out, "sink.httpAuthorization: (secret, value hidden) set") ||
				strings.Contains(out, "siem-token-value") {
				t.Fatalf("plan:\n%s", out)
			}
			if out, _, err := run(src, "", "tenant", "plan", "--keywords", kw, dir); err != nil || out != "" {
				t.Fatalf("the same header again must change nothing: %v\n%s", err, out)
			}
			masks := filepath.Join(t.TempDir(), "masks.json")
			writeTree(t, filepath.Dir(masks), map[string]string{"masks.json": `{"LOGSTREAMS_HTTP_SECRET": "Bearer siem-token-value-0123456789"}`})
			for _, format := range []string{"dir", "yaml"} {
				t.Run(format, func(t *testing.T) {
					target, first := exportAs(t, src, format)
					all := strings.Join(mapValues(first), "\n")
					if strings.Contains(all, "siem-token-value") || !strings.Contains(all, "##LOGSTREAMS_HTTP_SECRET##") || !strings.Contains(all, "auth.login.fail") {
						t.Fatalf("export:\n%s", all)
					}
					if out, _, err := run(src, "", "tenant", "plan", "--keywords", masks, target); err != nil || out != "" {
						t.Fatalf("plan of the tenant's own export: %v\n%s", err, out)
					}
					dst := emptyTenant(t)
					if _, _, err := run(dst, "", "tenant", "apply", "--keywords", masks, target); err != nil {
						t.Fatal(err)
					}
					_, again := exportAs(t, dst, format)
					sameTree(t, "export after apply", first, again)
				})
			}

			bad := strings.Replace(strings.Replace(streamFile, "https://93.184.215.14/ingest", "http://127.0.0.1:9/ingest", 1), `"SIEM"`, `"Local"`, 1)
			badDir := filepath.Join(t.TempDir(), "bad")
			writeTree(t, badDir, map[string]string{"log-streams/Local.json": bad})
			before := exportTree(t, src)
			_, _, err = run(src, "", "tenant", "apply", "--keywords", kw, badDir)
			if err == nil || !strings.Contains(err.Error(), "log-streams/Local.json: sink.httpEndpoint:") || !strings.Contains(err.Error(), "loopback") {
				t.Fatalf("apply of a loopback log stream: %v", err)
			}
			sameTree(t, "tenant after a refused apply", before, exportTree(t, src))
		})
	}
}
