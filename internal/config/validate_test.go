package config_test

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/config"
)

// key32 is 32 distinct bytes, so every encoding of it is recognisable.
var key32 = []byte("0123456789abcdefghijklmnopqrstuv")

// MustValid returns a Config that passes Validate, for tests to break one
// setting at a time.
func MustValid(tb testing.TB) config.Config {
	tb.Helper()
	c := config.Default()
	c.Issuer = "https://auth.example.com/"
	c.Database = filepath.Join(tb.TempDir(), "gatehouse.db")
	c.MasterKey = base64.StdEncoding.EncodeToString(key32)
	if err := c.Validate(); err != nil {
		tb.Fatalf("baseline config invalid: %v", err)
	}
	return c
}

// problems returns the problem list of a *ValidationError, or nil.
func problems(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	var ve *config.ValidationError
	if !errors.As(err, &ve) {
		t.Fatalf("Validate returned %T (%v), want *config.ValidationError", err, err)
	}
	return ve.Problems
}

// checkOne asserts that err holds exactly one problem mentioning want, or
// none when want is empty.
func checkOne(t *testing.T, err error, want string) {
	t.Helper()
	p := problems(t, err)
	if want == "" {
		if len(p) != 0 {
			t.Fatalf("unexpected problems: %q", p)
		}
		return
	}
	if len(p) != 1 || !strings.Contains(p[0], want) {
		t.Fatalf("problems = %q, want one containing %q", p, want)
	}
}

func TestValidateIssuer(t *testing.T) {
	tests := []struct {
		issuer  string
		wantErr string // substring; empty means valid
		warn    bool
	}{
		{"https://auth.example.com/", "", false},
		{"https://auth.example.com:8443/", "", false},
		{"https://localhost:4433/", "", false},
		{"https://[::1]:4433/", "", false},
		{"http://localhost:4433/", "", true},
		{"http://127.0.0.1/", "", true},
		{"http://127.1.2.3:8080/", "", true},
		{"http://[::1]:8080/", "", true},
		{"", "required", false},
		{"auth.example.com/", "absolute URL", false},
		{"/relative/", "absolute URL", false},
		{"http://auth.example.com/", "must use https", false},
		{"http://10.0.0.1/", "must use https", false},
		{"ftp://auth.example.com/", "use https", false},
		{"https://auth.example.com", `must end with "/"`, false},
		{"https://auth.example.com/tenant/", "must have no path", false},
		{"https://auth.example.com/x", "must have no path", false},
		{"https://auth.example.com/?a=b", "query", false},
		{"https://auth.example.com/?", "query", false},
		{"https://auth.example.com/#frag", "fragment", false},
		{"https://auth.example.com/#", "fragment", false},
		{"https://user:pw@auth.example.com/", "user name or password", false},
		{"https:///", "no host", false},
		{"https:auth.example.com", "no host", false},
		{"https://auth.example.com:0/", "invalid port", false},
		{"https://auth.example.com:99999/", "invalid port", false},
		{"https://auth.example.com:/", "empty port", false},
		{"https://auth example.com/", "not a URL", false},
	}
	for _, tt := range tests {
		t.Run(tt.issuer, func(t *testing.T) {
			c := MustValid(t)
			c.Issuer = tt.issuer
			checkOne(t, c.Validate(), tt.wantErr)
			if got := len(c.Warnings()) > 0; got != tt.warn {
				t.Errorf("Warnings() = %q, want warning: %v", c.Warnings(), tt.warn)
			}
		})
	}
}

func TestValidateAddr(t *testing.T) {
	tests := []struct{ addr, wantErr string }{
		{":8080", ""},
		{"127.0.0.1:4433", ""},
		{"[::1]:4433", ""},
		{"localhost:0", ""},
		{"", "required"},
		{"8080", "not host:port"},
		{"127.0.0.1", "not host:port"},
		{":http", "invalid port"},
		{":70000", "invalid port"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			c := MustValid(t)
			c.Addr = tt.addr
			checkOne(t, c.Validate(), tt.wantErr)
		})
	}
}

func TestValidateDatabase(t *testing.T) {
	tests := []struct{ db, kind, wantErr string }{
		{"gatehouse.db", "sqlite", ""},
		{"/var/lib/gatehouse/gatehouse.db", "sqlite", ""},
		{"file:gatehouse.db?_pragma=busy_timeout(5000)", "sqlite", ""},
		{"postgres://gh:secret@db.internal:5432/gatehouse?sslmode=require", "postgres", ""},
		{"postgresql://gh@db.internal/gatehouse", "postgres", ""},
		{"POSTGRES://gh@db.internal/gatehouse", "postgres", ""},
		{"postgres:///gatehouse?host=/run/postgresql", "postgres", ""},
		{"", "sqlite", "required"},
		{"   ", "sqlite", "required"},
		{"mysql://gh:secret@db/gatehouse", "sqlite", `unsupported URL scheme "mysql"`},
		{"postgres://gh:s%zzecret@db/gatehouse", "postgres", "does not parse"},
	}
	for _, tt := range tests {
		t.Run(tt.db, func(t *testing.T) {
			c := MustValid(t)
			c.Database = tt.db
			err := c.Validate()
			checkOne(t, err, tt.wantErr)
			if err != nil && strings.Contains(err.Error(), "ecret") {
				t.Errorf("error leaks the database password: %v", err)
			}
			if got := c.DatabaseKind(); got != tt.kind {
				t.Errorf("DatabaseKind() = %q, want %q", got, tt.kind)
			}
		})
	}
}

func TestMasterKeyBytes(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "master.key")
	if err := os.WriteFile(keyFile, []byte(hex.EncodeToString(key32)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	short := base64.StdEncoding.EncodeToString(key32[:31])
	tests := []struct {
		name      string
		key, file string
		wantErr   string
	}{
		{"hex", hex.EncodeToString(key32), "", ""},
		{"hex upper", strings.ToUpper(hex.EncodeToString(key32)), "", ""},
		{"base64 std", base64.StdEncoding.EncodeToString(key32), "", ""},
		{"base64 raw std", base64.RawStdEncoding.EncodeToString(key32), "", ""},
		{"base64 url", base64.URLEncoding.EncodeToString(append([]byte{0xfb, 0xff}, key32...)), "", ""},
		{"base64 raw url", base64.RawURLEncoding.EncodeToString(append([]byte{0xfb, 0xff}, key32...)), "", ""},
		{"surrounding space", "  " + base64.StdEncoding.EncodeToString(key32) + "\n", "", ""},
		{"file", "", keyFile, ""},
		{"missing", "", "", "master_key: required"},
		{"too short", short, "", "decodes to 31 bytes"},
		{"not encoded", "this is not a key!", "", "neither base64 nor hex"},
		{"both", hex.EncodeToString(key32), keyFile, "set only one"},
		{"unreadable file", "", filepath.Join(dir, "absent.key"), "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustValid(t)
			c.MasterKey, c.MasterKeyFile = tt.key, tt.file
			key, err := c.MasterKeyBytes()
			checkOne(t, c.Validate(), tt.wantErr)
			if tt.wantErr != "" {
				if err == nil {
					t.Fatal("MasterKeyBytes succeeded, want error")
				}
				if tt.key != "" && strings.Contains(err.Error(), strings.TrimSpace(tt.key)) {
					t.Errorf("error leaks the key: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("MasterKeyBytes: %v", err)
			}
			if !strings.HasSuffix(string(key), string(key32)) {
				t.Errorf("decoded key = %x, want it to end with %x", key, key32)
			}
		})
	}
}

func TestValidateTLS(t *testing.T) {
	dir := t.TempDir()
	cert, key := filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	for _, f := range []string{cert, key} {
		if err := os.WriteFile(f, []byte("pem"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	absent := filepath.Join(dir, "absent.pem")
	tests := []struct {
		name, cert, key, wantErr string
	}{
		{"neither", "", "", ""},
		{"both", cert, key, ""},
		{"cert only", cert, "", "set both"},
		{"key only", "", key, "set both"},
		{"cert missing", absent, key, "tls.cert_file"},
		{"key missing", cert, absent, "tls.key_file"},
		{"key is a directory", cert, dir, "is a directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustValid(t)
			c.TLS = config.TLSConfig{CertFile: tt.cert, KeyFile: tt.key}
			checkOne(t, c.Validate(), tt.wantErr)
		})
	}
}

func TestTrustedProxies(t *testing.T) {
	tests := []struct {
		name    string
		list    []string
		want    []netip.Prefix
		wantErr string
	}{
		{"none", nil, []netip.Prefix{}, ""},
		{"ip and cidrs", []string{"10.0.0.1", "192.168.0.0/16", "fd00::/8", "::1"}, []netip.Prefix{
			netip.MustParsePrefix("10.0.0.1/32"), netip.MustParsePrefix("192.168.0.0/16"),
			netip.MustParsePrefix("fd00::/8"), netip.MustParsePrefix("::1/128"),
		}, ""},
		{"unmasked cidr is masked", []string{"10.1.2.3/8"}, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}, ""},
		{"hostname", []string{"proxy.internal"}, nil, `"proxy.internal"`},
		{"bad bits", []string{"10.0.0.0/33"}, nil, `"10.0.0.0/33"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustValid(t)
			c.TrustedProxies = tt.list
			checkOne(t, c.Validate(), tt.wantErr)
			got, err := c.TrustedProxyPrefixes()
			if tt.wantErr != "" {
				if err == nil {
					t.Fatal("TrustedProxyPrefixes succeeded, want error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tt.want) {
				t.Fatalf("prefixes = %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("prefix %d = %v, want %v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestValidateLogThemeBody(t *testing.T) {
	tests := []struct {
		name    string
		mod     func(*config.Config)
		wantErr string
	}{
		{"text debug", func(c *config.Config) { c.Log = config.LogConfig{Format: "text", Level: "debug"} }, ""},
		{"json warn", func(c *config.Config) { c.Log = config.LogConfig{Format: "json", Level: "warn"} }, ""},
		{"upper case", func(c *config.Config) { c.Log = config.LogConfig{Format: "JSON", Level: "ERROR"} }, ""},
		{"bad format", func(c *config.Config) { c.Log.Format = "xml" }, "log.format"},
		{"bad level", func(c *config.Config) { c.Log.Level = "verbose" }, "log.level"},
		{"theme dir exists", func(c *config.Config) { c.ThemeDir = os.TempDir() }, ""},
		{"theme dir missing", func(c *config.Config) { c.ThemeDir = "/nonexistent/theme" }, "theme_dir"},
		{"zero body limit", func(c *config.Config) { c.MaxBodyBytes = 0 }, "max_body_bytes"},
		{"negative body limit", func(c *config.Config) { c.MaxBodyBytes = -1 }, "max_body_bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustValid(t)
			tt.mod(&c)
			checkOne(t, c.Validate(), tt.wantErr)
		})
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	c := config.Config{
		Issuer:         "http://auth.example.com",
		Addr:           "nope",
		TLS:            config.TLSConfig{CertFile: "cert.pem"},
		TrustedProxies: []string{"not-an-ip"},
		Log:            config.LogConfig{Format: "xml", Level: "loud"},
	}
	err := c.Validate()
	p := problems(t, err)
	for _, want := range []string{"issuer", "addr", "database", "master_key", "tls", "trusted_proxies", "log.format", "log.level", "max_body_bytes"} {
		found := false
		for _, msg := range p {
			if strings.HasPrefix(msg, want) {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem reported for %s; got %q", want, p)
		}
	}
	if len(p) != 9 {
		t.Errorf("got %d problems, want 9: %q", len(p), p)
	}
	if !strings.Contains(err.Error(), "\n  - ") {
		t.Errorf("error should list problems one per line: %q", err.Error())
	}
}

func TestValidateMetrics(t *testing.T) {
	tests := []struct {
		name    string
		m       config.MetricsConfig
		wantErr string
	}{
		{"off", config.MetricsConfig{}, ""},
		{"address", config.MetricsConfig{Addr: "127.0.0.1:9090"}, ""},
		{"token", config.MetricsConfig{Token: "0123456789abcdef"}, ""},
		{"bad address", config.MetricsConfig{Addr: "9090"}, "metrics.addr"},
		{"short token", config.MetricsConfig{Token: "short"}, "metrics.token: too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := MustValid(t)
			c.Metrics = tt.m
			checkOne(t, c.Validate(), tt.wantErr)
		})
	}
}
