package config

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Default values. DefaultAddr is for plain HTTP behind a TLS-terminating
// proxy, the common production shape; when a TLS certificate is configured
// and no address is given, Load listens on DefaultTLSAddr instead.
const (
	DefaultAddr         = ":8080"
	DefaultTLSAddr      = ":8443"
	DefaultMaxBodyBytes = 1 << 20 // 1 MiB: far above any OAuth or Management API request
	DefaultLogFormat    = "json"
	DefaultLogLevel     = "info"
	// DefaultTokenPerIPPerMinute: 100 requests a second from one address on average, Auth0's
	// sustained limit for the Authentication API on its larger plans.
	DefaultTokenPerIPPerMinute = 6000
	// DefaultPasswordHashMemoryMiB: two argon2id computations at the default 64 MiB at once, what
	// two cores can run; a flood of 200 sign-ins then peaks near 260 MiB instead of 12 GiB.
	DefaultPasswordHashMemoryMiB = 128
)

// Environment variable names, one per setting.
const (
	EnvIssuer         = "GATEHOUSE_ISSUER"
	EnvAddr           = "GATEHOUSE_ADDR"
	EnvDatabase       = "GATEHOUSE_DATABASE"
	EnvDataDir        = "GATEHOUSE_DATA_DIR"
	EnvMasterKey      = "GATEHOUSE_MASTER_KEY"
	EnvMasterKeyFile  = "GATEHOUSE_MASTER_KEY_FILE"
	EnvTLSCertFile    = "GATEHOUSE_TLS_CERT_FILE"
	EnvTLSKeyFile     = "GATEHOUSE_TLS_KEY_FILE"
	EnvTrustedProxies = "GATEHOUSE_TRUSTED_PROXIES"
	EnvLogFormat      = "GATEHOUSE_LOG_FORMAT"
	EnvLogLevel       = "GATEHOUSE_LOG_LEVEL"
	EnvThemeDir       = "GATEHOUSE_THEME_DIR"
	EnvMaxBodyBytes   = "GATEHOUSE_MAX_BODY_BYTES"

	EnvRateLimitsTokenPerIPPerMinute = "GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE"
	EnvPasswordHashMemoryMiB         = "GATEHOUSE_PASSWORD_HASH_MEMORY_MIB"
	EnvRateLimitsManagementPerClient = "GATEHOUSE_RATE_LIMITS_MANAGEMENT_PER_CLIENT"
	EnvRateLimitsManagementWindow    = "GATEHOUSE_RATE_LIMITS_MANAGEMENT_WINDOW"
	EnvMetricsAddr                   = "GATEHOUSE_METRICS_ADDR"
	EnvMetricsToken                  = "GATEHOUSE_METRICS_TOKEN"
	EnvUseDPoPNonce                  = "GATEHOUSE_USE_DPOP_NONCE"
	EnvAllowPrivateDestinations      = "GATEHOUSE_ALLOW_PRIVATE_DESTINATIONS"
)

// Config is the whole runtime configuration of one Gatehouse node.
type Config struct {
	// Issuer is the tenant's issuer URL, https://HOST[:PORT]/ with the
	// trailing slash, identical in discovery and every token's iss.
	Issuer string `yaml:"issuer"`
	// Addr is the listen address, host:port.
	Addr string `yaml:"addr"`
	// Database is a SQLite file path (or file: URI) or a postgres:// or
	// postgresql:// URL.
	Database string `yaml:"database"`
	// DataDir holds node-local files (the development CA, a SQLite file).
	DataDir string `yaml:"data_dir"`
	// MasterKey encrypts signing keys at rest: base64 (standard or URL
	// alphabet, padded or not) or hex, at least 32 bytes once decoded.
	MasterKey string `yaml:"master_key"`
	// MasterKeyFile names a file holding the master key in the same
	// encoding; an alternative to MasterKey that keeps it out of the
	// environment.
	MasterKeyFile string `yaml:"master_key_file"`
	// TLS names a certificate and key; both empty means plain HTTP (behind
	// a TLS-terminating proxy).
	TLS TLSConfig `yaml:"tls"`
	// TrustedProxies lists CIDRs or single IPs whose X-Forwarded-For,
	// Forwarded and X-Real-IP headers are believed.
	TrustedProxies []string `yaml:"trusted_proxies"`
	// Log chooses the log format and level.
	Log LogConfig `yaml:"log"`
	// ThemeDir, when set, overrides the embedded web templates.
	ThemeDir string `yaml:"theme_dir"`
	// MaxBodyBytes caps every request body.
	MaxBodyBytes int64 `yaml:"max_body_bytes"`
	// PasswordHashMemoryMiB is the memory password hashing may take at once: argon2id computations
	// beyond it queue briefly, then are refused with 503 and Retry-After. 0 means the default.
	PasswordHashMemoryMiB int `yaml:"password_hash_memory_mib"`
	// RateLimits caps request rates, counted in the database every node shares.
	RateLimits RateLimitsConfig `yaml:"rate_limits"`
	// Metrics says where Prometheus reads /metrics; by default nowhere.
	Metrics MetricsConfig `yaml:"metrics"`
	// UseDPoPNonce makes DPoP proofs at the token endpoint and /userinfo carry a server nonce
	// (RFC 9449 §8), which bounds a pre-computed proof's use to minutes whatever the client's clock.
	UseDPoPNonce bool `yaml:"use_dpop_nonce"`
	// AllowPrivateDestinations lets what a tenant points the node at (log streams, identity
	// providers) be on loopback or private addresses: a SIEM on the internal network. Off by
	// default, so a Management API token cannot make the node reach its own network.
	AllowPrivateDestinations bool `yaml:"allow_private_destinations"`
}

// MetricsConfig exposes /metrics, which is never public by default: on a listen address of its
// own (one only the monitoring network reaches), or on the main address to requests bearing Token,
// or both.
type MetricsConfig struct {
	Addr  string `yaml:"addr"`
	Token string `yaml:"token"`
}

// RateLimitsConfig sets the limits that protect capacity (brute-force protection is separate and
// always on).
type RateLimitsConfig struct {
	// TokenPerIPPerMinute caps POST /oauth/token per client IP address per minute; 0 turns the
	// limit off (for a benchmark from one address, say).
	TokenPerIPPerMinute int `yaml:"token_per_ip_per_minute"`
	// ManagementPerClient caps Management API requests per client (per address before
	// authentication) per ManagementWindow; 0 means 100 per 2 s (50 a second on average).
	ManagementPerClient int           `yaml:"management_per_client"`
	ManagementWindow    time.Duration `yaml:"management_window"`
}

// TLSConfig names the PEM files of the server certificate (with its chain)
// and its private key.
type TLSConfig struct {
	CertFile string `yaml:"cert_file"`
	KeyFile  string `yaml:"key_file"`
}

// Enabled reports whether a certificate is configured.
func (t TLSConfig) Enabled() bool { return t.CertFile != "" || t.KeyFile != "" }

// LogConfig chooses the log output.
type LogConfig struct {
	// Format is "text" or "json".
	Format string `yaml:"format"`
	// Level is "debug", "info", "warn" or "error".
	Level string `yaml:"level"`
}

// Default returns the configuration used before any file or environment is
// read. It is not valid on its own: issuer, database and master key have no
// sensible default for a real deployment.
func Default() Config {
	return Config{
		Addr:         DefaultAddr,
		MaxBodyBytes: DefaultMaxBodyBytes,
		Log:          LogConfig{Format: DefaultLogFormat, Level: DefaultLogLevel},
		RateLimits:   RateLimitsConfig{TokenPerIPPerMinute: DefaultTokenPerIPPerMinute},

		PasswordHashMemoryMiB: DefaultPasswordHashMemoryMiB,
	}
}

// Load builds a Config from Default, then the YAML file at path (skipped
// when path is empty), then the environment as seen through env (typically
// os.Getenv); each later source overrides the earlier one setting by
// setting, and an empty environment variable counts as unset. An unknown
// key in the file is an error that names it. Load does not validate: call
// Validate once every source (including command-line flags) is applied.
func Load(path string, env func(string) string) (Config, error) {
	c := Default()
	c.Addr = "" // filled below once it is known whether TLS is on
	if path != "" {
		data, err := os.ReadFile(path)
		if err != nil {
			return Config{}, fmt.Errorf("config file: %w", err)
		}
		fileCfg, err := decodeYAML(data, c)
		if err != nil {
			return Config{}, fmt.Errorf("config file %s: %w", path, err)
		}
		c = fileCfg
	}
	if env == nil {
		env = func(string) string { return "" }
	}
	if err := c.applyEnv(env); err != nil {
		return Config{}, err
	}
	if c.Addr == "" {
		c.Addr = DefaultAddr
		if c.TLS.Enabled() {
			c.Addr = DefaultTLSAddr
		}
	}
	return c, nil
}

// decodeYAML decodes data over base, rejecting keys that match no field.
func decodeYAML(data []byte, base Config) (Config, error) {
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	c := base
	if err := dec.Decode(&c); err != nil {
		if errors.Is(err, io.EOF) {
			return base, nil // an empty file sets nothing
		}
		return Config{}, cleanYAMLError(err)
	}
	var extra any
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return Config{}, errors.New("holds more than one YAML document")
	}
	return c, nil
}

// cleanYAMLError rewrites yaml.v3's "field x not found in type
// config.Config" into words an operator understands.
func cleanYAMLError(err error) error {
	var te *yaml.TypeError
	if !errors.As(err, &te) {
		return err
	}
	msgs := make([]string, 0, len(te.Errors))
	for _, m := range te.Errors {
		if i := strings.Index(m, "field "); i >= 0 && strings.Contains(m, " not found in type ") {
			key := m[i+len("field "):]
			key = key[:strings.Index(key, " not found in type ")]
			msgs = append(msgs, fmt.Sprintf("%sunknown key %q", m[:i], key))
			continue
		}
		msgs = append(msgs, m)
	}
	return errors.New(strings.Join(msgs, "; "))
}

// applyEnv overrides c with every non-empty GATEHOUSE_* variable.
func (c *Config) applyEnv(env func(string) string) error {
	strs := []struct {
		name string
		dst  *string
	}{
		{EnvIssuer, &c.Issuer},
		{EnvAddr, &c.Addr},
		{EnvDatabase, &c.Database},
		{EnvDataDir, &c.DataDir},
		{EnvMasterKey, &c.MasterKey},
		{EnvMasterKeyFile, &c.MasterKeyFile},
		{EnvTLSCertFile, &c.TLS.CertFile},
		{EnvTLSKeyFile, &c.TLS.KeyFile},
		{EnvLogFormat, &c.Log.Format},
		{EnvLogLevel, &c.Log.Level},
		{EnvThemeDir, &c.ThemeDir},
		{EnvMetricsAddr, &c.Metrics.Addr},
		{EnvMetricsToken, &c.Metrics.Token},
	}
	for _, s := range strs {
		if v := env(s.name); v != "" {
			*s.dst = strings.TrimSpace(v)
		}
	}
	if v := env(EnvTrustedProxies); v != "" {
		c.TrustedProxies = splitList(v)
	}
	if v := env(EnvMaxBodyBytes); v != "" {
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number of bytes", EnvMaxBodyBytes, v)
		}
		c.MaxBodyBytes = n
	}
	if v := env(EnvRateLimitsTokenPerIPPerMinute); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number", EnvRateLimitsTokenPerIPPerMinute, v)
		}
		c.RateLimits.TokenPerIPPerMinute = n
	}
	if v := env(EnvRateLimitsManagementPerClient); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number", EnvRateLimitsManagementPerClient, v)
		}
		c.RateLimits.ManagementPerClient = n
	}
	if v := env(EnvRateLimitsManagementWindow); v != "" {
		d, err := time.ParseDuration(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: %q is not a duration such as 2s or 1m", EnvRateLimitsManagementWindow, v)
		}
		c.RateLimits.ManagementWindow = d
	}
	if v := env(EnvUseDPoPNonce); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", EnvUseDPoPNonce, v)
		}
		c.UseDPoPNonce = b
	}
	if v := env(EnvAllowPrivateDestinations); v != "" {
		b, err := strconv.ParseBool(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: %q is not true or false", EnvAllowPrivateDestinations, v)
		}
		c.AllowPrivateDestinations = b
	}
	if v := env(EnvPasswordHashMemoryMiB); v != "" {
		n, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil {
			return fmt.Errorf("%s: %q is not a whole number of MiB", EnvPasswordHashMemoryMiB, v)
		}
		c.PasswordHashMemoryMiB = n
	}
	return nil
}

// splitList splits a comma-separated list, dropping blanks.
func splitList(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
