package chaos_test

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
)

// TestDeployConfigIsValid: deploy/gatehouse.yaml, the example cluster's node configuration, loads
// and validates as written (with a master key file where its secret would be mounted), and says
// what docs/operations.md says it does. It runs without PostgreSQL.
func TestDeployConfigIsValid(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "master.key")
	if err := os.WriteFile(keyFile, []byte(base64.StdEncoding.EncodeToString(make([]byte, 32))), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"GATEHOUSE_MASTER_KEY_FILE": keyFile}
	cfg, err := config.Load(filepath.Join(repoRoot(t), "deploy", "gatehouse.yaml"), func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatalf("deploy/gatehouse.yaml does not validate: %v", err)
	}
	if cfg.DatabaseKind() != "postgres" || cfg.Metrics.Addr == "" || cfg.Metrics.Token != "" || cfg.Log.Format != "json" ||
		len(cfg.TrustedProxies) != 1 || !strings.HasSuffix(cfg.Issuer, "/") {
		t.Fatalf("deploy/gatehouse.yaml: %+v", cfg)
	}
	caddy, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	compose, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "compose.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	proxyIP := strings.TrimSuffix(cfg.TrustedProxies[0], "/32")
	if !strings.Contains(string(compose), "ipv4_address: "+proxyIP) {
		t.Errorf("compose.yaml does not give the proxy the address gatehouse.yaml trusts (%s)", proxyIP)
	}
	if !strings.Contains(string(caddy), "health_uri /readyz") || !strings.Contains(string(caddy), strings.TrimSuffix(strings.TrimPrefix(cfg.Issuer, "https://"), "/")) {
		t.Error("the Caddyfile does not serve the issuer's host with /readyz health checks")
	}
}
