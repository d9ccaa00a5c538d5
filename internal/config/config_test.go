package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/config"
)

func writeFile(t *testing.T, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gatehouse.yaml")
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const fullYAML = `
issuer: https://file.example.com/
addr: 0.0.0.0:9000
database: /var/lib/gatehouse/file.db
data_dir: /var/lib/gatehouse
master_key: file-key
master_key_file: /etc/gatehouse/key
tls:
  cert_file: /etc/gatehouse/cert.pem
  key_file: /etc/gatehouse/key.pem
trusted_proxies: [10.0.0.0/8, 192.168.1.1]
log:
  format: text
  level: debug
theme_dir: /srv/theme
max_body_bytes: 2048
rate_limits:
  token_per_ip_per_minute: 300
  management_per_client: 20
  management_window: 1m
password_hash_memory_mib: 256
metrics:
  addr: 127.0.0.1:9090
`

func TestDefault(t *testing.T) {
	c := config.Default()
	if c.Addr != ":8080" || c.MaxBodyBytes != 1<<20 || c.Log.Format != "json" || c.Log.Level != "info" ||
		c.RateLimits.TokenPerIPPerMinute != config.DefaultTokenPerIPPerMinute {
		t.Errorf("Default() = %+v", c)
	}
	if c.Issuer != "" || c.Database != "" || c.MasterKey != "" || c.TLS.Enabled() {
		t.Errorf("Default() should leave deployment-specific settings empty: %+v", c)
	}
}

func TestLoad(t *testing.T) {
	fileCfg := config.Config{
		Issuer:         "https://file.example.com/",
		Addr:           "0.0.0.0:9000",
		Database:       "/var/lib/gatehouse/file.db",
		DataDir:        "/var/lib/gatehouse",
		MasterKey:      "file-key",
		MasterKeyFile:  "/etc/gatehouse/key",
		TLS:            config.TLSConfig{CertFile: "/etc/gatehouse/cert.pem", KeyFile: "/etc/gatehouse/key.pem"},
		TrustedProxies: []string{"10.0.0.0/8", "192.168.1.1"},
		Log:            config.LogConfig{Format: "text", Level: "debug"},
		ThemeDir:       "/srv/theme",
		MaxBodyBytes:   2048,
		RateLimits:     config.RateLimitsConfig{TokenPerIPPerMinute: 300, ManagementPerClient: 20, ManagementWindow: time.Minute},

		PasswordHashMemoryMiB: 256,
		Metrics:               config.MetricsConfig{Addr: "127.0.0.1:9090"},
	}
	allEnv := map[string]string{
		"GATEHOUSE_ISSUER":          "https://env.example.com/",
		"GATEHOUSE_ADDR":            "127.0.0.1:4433",
		"GATEHOUSE_DATABASE":        "postgres://gh@db/gatehouse",
		"GATEHOUSE_DATA_DIR":        "/data",
		"GATEHOUSE_MASTER_KEY":      "env-key",
		"GATEHOUSE_MASTER_KEY_FILE": "/run/secrets/key",
		"GATEHOUSE_TLS_CERT_FILE":   "/env/cert.pem",
		"GATEHOUSE_TLS_KEY_FILE":    "/env/key.pem",
		"GATEHOUSE_TRUSTED_PROXIES": " 10.1.0.0/16, ,::1 ",
		"GATEHOUSE_LOG_FORMAT":      "json",
		"GATEHOUSE_LOG_LEVEL":       "warn",
		"GATEHOUSE_THEME_DIR":       "/env/theme",
		"GATEHOUSE_MAX_BODY_BYTES":  "4096",

		"GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE": "0",
		"GATEHOUSE_PASSWORD_HASH_MEMORY_MIB":            "64",
		"GATEHOUSE_METRICS_ADDR":                        "10.0.0.5:9100",
		"GATEHOUSE_RATE_LIMITS_MANAGEMENT_PER_CLIENT":   "7",
		"GATEHOUSE_RATE_LIMITS_MANAGEMENT_WINDOW":       "3s",
		"GATEHOUSE_METRICS_TOKEN":                       "a-long-metrics-token",
	}
	envCfg := config.Config{
		Issuer:         "https://env.example.com/",
		Addr:           "127.0.0.1:4433",
		Database:       "postgres://gh@db/gatehouse",
		DataDir:        "/data",
		MasterKey:      "env-key",
		MasterKeyFile:  "/run/secrets/key",
		TLS:            config.TLSConfig{CertFile: "/env/cert.pem", KeyFile: "/env/key.pem"},
		TrustedProxies: []string{"10.1.0.0/16", "::1"},
		Log:            config.LogConfig{Format: "json", Level: "warn"},
		ThemeDir:       "/env/theme",
		MaxBodyBytes:   4096,
		RateLimits:     config.RateLimitsConfig{TokenPerIPPerMinute: 0, ManagementPerClient: 7, ManagementWindow: 3 * time.Second},

		PasswordHashMemoryMiB: 64,
		Metrics:               config.MetricsConfig{Addr: "10.0.0.5:9100", Token: "a-long-metrics-token"},
	}
	withDefaults := func(mod func(*config.Config)) config.Config {
		c := config.Default()
		mod(&c)
		return c
	}

	tests := []struct {
		name string
		yaml string // "" means no file
		env  map[string]string
		want config.Config
	}{
		{"nothing", "", nil, config.Default()},
		{"file only", fullYAML, nil, fileCfg},
		{"env only", "", allEnv, envCfg},
		{"env over file", fullYAML, allEnv, envCfg},
		{"env over file for one key", fullYAML, map[string]string{"GATEHOUSE_ISSUER": "https://env.example.com/"},
			func() config.Config { c := fileCfg; c.Issuer = "https://env.example.com/"; return c }()},
		{"empty env var is unset", fullYAML, map[string]string{"GATEHOUSE_ISSUER": ""}, fileCfg},
		{"partial file keeps defaults", "issuer: https://a.example.com/\nlog: {level: debug}\n", nil,
			withDefaults(func(c *config.Config) { c.Issuer = "https://a.example.com/"; c.Log.Level = "debug" })},
		{"empty file", "", nil, config.Default()},
		{"comment-only file", "# nothing here\n", nil, config.Default()},
		{"tls without addr listens on 8443", "tls: {cert_file: c.pem, key_file: k.pem}\n", nil,
			withDefaults(func(c *config.Config) {
				c.TLS = config.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}
				c.Addr = ":8443"
			})},
		{"tls from env without addr listens on 8443", "", map[string]string{"GATEHOUSE_TLS_CERT_FILE": "c.pem", "GATEHOUSE_TLS_KEY_FILE": "k.pem"},
			withDefaults(func(c *config.Config) {
				c.TLS = config.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"}
				c.Addr = ":8443"
			})},
		{"private destinations from the file", "allow_private_destinations: true\n", nil,
			withDefaults(func(c *config.Config) { c.AllowPrivateDestinations = true })},
		{"private destinations from env", "", map[string]string{"GATEHOUSE_ALLOW_PRIVATE_DESTINATIONS": "true"},
			withDefaults(func(c *config.Config) { c.AllowPrivateDestinations = true })},
		{"tls with explicit default addr keeps it", "addr: \":8080\"\ntls: {cert_file: c.pem, key_file: k.pem}\n", nil,
			withDefaults(func(c *config.Config) { c.TLS = config.TLSConfig{CertFile: "c.pem", KeyFile: "k.pem"} })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" || tt.name == "empty file" {
				path = writeFile(t, tt.yaml)
			}
			got, err := config.Load(path, envMap(tt.env))
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load =\n %+v\nwant\n %+v", got, tt.want)
			}
		})
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		wantErr []string
	}{
		{"unknown top-level key", "issuer: https://a.example.com/\nisuer: typo\n", nil, []string{`unknown key "isuer"`, "line 2"}},
		{"unknown nested key", "tls:\n  cert: a.pem\n", nil, []string{`unknown key "cert"`}},
		{"wrong type", "max_body_bytes: lots\n", nil, []string{"line 1"}},
		{"two documents", "issuer: https://a.example.com/\n---\naddr: :1\n", nil, []string{"more than one YAML document"}},
		{"bad body size env", "", map[string]string{"GATEHOUSE_MAX_BODY_BYTES": "1MB"}, []string{"GATEHOUSE_MAX_BODY_BYTES"}},
		{"bad private destinations env", "", map[string]string{"GATEHOUSE_ALLOW_PRIVATE_DESTINATIONS": "sometimes"}, []string{"GATEHOUSE_ALLOW_PRIVATE_DESTINATIONS"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := ""
			if tt.yaml != "" {
				path = writeFile(t, tt.yaml)
			}
			_, err := config.Load(path, envMap(tt.env))
			if err == nil {
				t.Fatal("Load succeeded, want error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
	t.Run("missing file", func(t *testing.T) {
		if _, err := config.Load(filepath.Join(t.TempDir(), "absent.yaml"), nil); err == nil {
			t.Fatal("Load succeeded, want error")
		}
	})
}

func TestLoadThenValidate(t *testing.T) {
	p := writeFile(t, "issuer: https://auth.example.com/\ndatabase: gatehouse.db\n")
	c, err := config.Load(p, envMap(map[string]string{
		"GATEHOUSE_MASTER_KEY": "MDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1ub3BxcnN0dXY=",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
}
