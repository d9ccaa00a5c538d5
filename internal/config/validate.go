package config

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
)

// MinMasterKeyBytes is the shortest accepted master key once decoded: a
// 256-bit key for the AEAD that protects signing keys at rest.
const MinMasterKeyBytes = 32

// ValidationError lists every problem found in a Config, so an operator
// fixes them all in one pass instead of one per restart.
type ValidationError struct {
	Problems []string
}

func (e *ValidationError) Error() string {
	if len(e.Problems) == 1 {
		return "invalid configuration: " + e.Problems[0]
	}
	return "invalid configuration:\n  - " + strings.Join(e.Problems, "\n  - ")
}

// Validate checks every setting and reports all problems at once as a
// *ValidationError. It reads the master key file and checks that TLS files
// exist, but opens nothing else.
func (c Config) Validate() error {
	var p []string
	add := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }

	if msg := checkIssuer(c.Issuer); msg != "" {
		add("issuer: %s", msg)
	}
	if msg := checkAddr(c.Addr); msg != "" {
		add("addr: %s", msg)
	}
	if msg := checkDatabase(c.Database); msg != "" {
		add("database: %s", msg)
	}
	if _, err := c.MasterKeyBytes(); err != nil {
		add("%s", err.Error())
	}
	p = append(p, checkTLS(c.TLS)...)
	for _, tp := range c.TrustedProxies {
		if _, err := parsePrefix(tp); err != nil {
			add("trusted_proxies: %q is neither an IP address nor a CIDR range", tp)
		}
	}
	switch strings.ToLower(c.Log.Format) {
	case "text", "json":
	default:
		add("log.format: %q is not one of text, json", c.Log.Format)
	}
	switch strings.ToLower(c.Log.Level) {
	case "debug", "info", "warn", "error":
	default:
		add("log.level: %q is not one of debug, info, warn, error", c.Log.Level)
	}
	if c.ThemeDir != "" {
		if fi, err := os.Stat(c.ThemeDir); err != nil || !fi.IsDir() {
			add("theme_dir: %q is not a readable directory", c.ThemeDir)
		}
	}
	if c.RateLimits.TokenPerIPPerMinute < 0 {
		add("rate_limits.token_per_ip_per_minute: must be 0 (off) or a positive number, got %d", c.RateLimits.TokenPerIPPerMinute)
	}
	if c.RateLimits.ManagementPerClient < 0 || c.RateLimits.ManagementWindow < 0 {
		add("rate_limits.management_per_client and management_window: must not be negative (0 for the default)")
	}
	if c.Metrics.Addr != "" {
		if _, _, err := net.SplitHostPort(c.Metrics.Addr); err != nil {
			add("metrics.addr: %q is not host:port", c.Metrics.Addr)
		}
	}
	if t := c.Metrics.Token; t != "" && len(t) < 16 {
		add("metrics.token: too short to be a secret (at least 16 characters; e.g. the output of `openssl rand -base64 24`)")
	}
	if c.PasswordHashMemoryMiB < 0 {
		add("password_hash_memory_mib: must be a positive number of MiB (0 for the default), got %d", c.PasswordHashMemoryMiB)
	}
	if c.MaxBodyBytes <= 0 {
		add("max_body_bytes: must be a positive number of bytes, got %d", c.MaxBodyBytes)
	}
	if len(p) == 0 {
		return nil
	}
	return &ValidationError{Problems: p}
}

// Warnings lists settings that are accepted but unsafe outside a developer's
// machine, such as a plain http:// issuer on a loopback host.
func (c Config) Warnings() []string {
	var w []string
	if u, err := url.Parse(c.Issuer); err == nil && u.Scheme == "http" && isLoopbackHost(u.Hostname()) {
		w = append(w, fmt.Sprintf("issuer %s uses plain http: acceptable on this machine only; browsers and SDKs expect https", c.Issuer))
	}
	return w
}

// checkIssuer enforces https://HOST[:PORT]/ (OpenID Connect Discovery 1.0
// §3 requires https and no query or fragment; Auth0 clients compare the
// issuer with its trailing slash, so it must be present and be the whole
// path). Plain http is tolerated for loopback hosts only.
func checkIssuer(s string) string {
	if s == "" {
		return "required (an absolute URL such as https://auth.example.com/)"
	}
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a URL", s)
	}
	switch {
	case u.Scheme == "https":
	case u.Scheme == "http":
		if !isLoopbackHost(u.Hostname()) {
			return fmt.Sprintf("%q must use https (plain http is only allowed for localhost, 127.0.0.0/8 and ::1)", s)
		}
	case u.Scheme == "":
		return fmt.Sprintf("%q must be an absolute URL starting with https://", s)
	default:
		return fmt.Sprintf("%q has scheme %q; use https", s, u.Scheme)
	}
	switch {
	case u.Opaque != "" || u.Host == "":
		return fmt.Sprintf("%q has no host", s)
	case u.User != nil:
		return "must not contain a user name or password"
	case u.RawQuery != "" || u.ForceQuery:
		return fmt.Sprintf("%q must not have a query string", s)
	case u.Fragment != "" || strings.Contains(s, "#"):
		return fmt.Sprintf("%q must not have a fragment", s)
	case u.Path == "":
		return fmt.Sprintf("%q must end with \"/\" (%s/)", s, s)
	case u.Path != "/":
		return fmt.Sprintf("%q must have no path: use %s://%s/", s, u.Scheme, u.Host)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Sprintf("%q has an invalid port", s)
		}
	} else if strings.HasSuffix(u.Host, ":") {
		return fmt.Sprintf("%q has an empty port", s)
	}
	return ""
}

func isLoopbackHost(h string) bool {
	if strings.EqualFold(h, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.Unmap().IsLoopback()
}

// checkAddr accepts host:port with an empty, name or IP host and a numeric
// port (0 picks a free one, useful in tests).
func checkAddr(s string) string {
	if s == "" {
		return "required (host:port, e.g. :8080 or 127.0.0.1:4433)"
	}
	_, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Sprintf("%q is not host:port", s)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Sprintf("%q has an invalid port", s)
	}
	return ""
}

// DatabaseKind reports which backend Database selects: "postgres" for a
// postgres:// or postgresql:// URL, otherwise "sqlite".
func (c Config) DatabaseKind() string {
	if isPostgresURL(c.Database) {
		return "postgres"
	}
	return "sqlite"
}

func isPostgresURL(s string) bool {
	l := strings.ToLower(s)
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// checkDatabase never echoes a URL back: it may carry a password.
func checkDatabase(s string) string {
	switch {
	case strings.TrimSpace(s) == "":
		return "required (a SQLite file path or a postgres:// URL)"
	case isPostgresURL(s):
		// An empty host is legal: libpq and pgx then use the local socket.
		// The parse error is not shown: it quotes the URL or the part
		// that failed, which may be the password.
		if _, err := url.Parse(s); err != nil {
			return "the PostgreSQL URL does not parse (percent-encode special characters in the user name and password)"
		}
	case strings.Contains(s, "://"):
		scheme := s[:strings.Index(s, "://")]
		return fmt.Sprintf("unsupported URL scheme %q: use a SQLite file path or a postgres:// URL", scheme)
	}
	return ""
}

func checkTLS(t TLSConfig) []string {
	var p []string
	if (t.CertFile == "") != (t.KeyFile == "") {
		return []string{"tls: set both cert_file and key_file, or neither for plain HTTP"}
	}
	for _, f := range []struct{ name, path string }{{"tls.cert_file", t.CertFile}, {"tls.key_file", t.KeyFile}} {
		if f.path == "" {
			continue
		}
		if fi, err := os.Stat(f.path); err != nil {
			p = append(p, fmt.Sprintf("%s: %q cannot be read", f.name, f.path))
		} else if fi.IsDir() {
			p = append(p, fmt.Sprintf("%s: %q is a directory", f.name, f.path))
		}
	}
	return p
}

// MasterKeyBytes decodes the master key from MasterKey or, when that is
// empty, from the file named by MasterKeyFile. Hex is tried first (a hex
// string would otherwise also decode as base64), then base64 in its
// standard and URL alphabets, padded or not. Errors never include the key.
func (c Config) MasterKeyBytes() ([]byte, error) {
	raw := c.MasterKey
	src := "master_key"
	switch {
	case c.MasterKey != "" && c.MasterKeyFile != "":
		return nil, errors.New("master_key and master_key_file are both set; set only one")
	case c.MasterKeyFile != "":
		src = "master_key_file"
		b, err := os.ReadFile(c.MasterKeyFile)
		if err != nil {
			return nil, fmt.Errorf("master_key_file: %q cannot be read", c.MasterKeyFile)
		}
		raw = string(b)
	case c.MasterKey == "":
		return nil, fmt.Errorf("master_key: required (at least %d random bytes, base64 or hex; e.g. the output of `openssl rand -base64 32`)", MinMasterKeyBytes)
	}
	key, ok := decodeKey(strings.TrimSpace(raw))
	if !ok {
		return nil, fmt.Errorf("%s: is neither base64 nor hex", src)
	}
	if len(key) < MinMasterKeyBytes {
		return nil, fmt.Errorf("%s: decodes to %d bytes; at least %d are required", src, len(key), MinMasterKeyBytes)
	}
	return key, nil
}

func decodeKey(s string) ([]byte, bool) {
	if s == "" {
		return nil, false
	}
	if b, err := hex.DecodeString(s); err == nil {
		return b, true
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil {
			return b, true
		}
	}
	return nil, false
}

// TrustedProxyPrefixes parses TrustedProxies; a single IP becomes a /32 or
// /128 prefix.
func (c Config) TrustedProxyPrefixes() ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(c.TrustedProxies))
	for _, s := range c.TrustedProxies {
		p, err := parsePrefix(s)
		if err != nil {
			return nil, fmt.Errorf("trusted_proxies: %q is neither an IP address nor a CIDR range", s)
		}
		out = append(out, p)
	}
	return out, nil
}

func parsePrefix(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		if err != nil {
			return netip.Prefix{}, err
		}
		return p.Masked(), nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}
