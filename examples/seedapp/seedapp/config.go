package seedapp

import (
	"bufio"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// RolesClaim is the namespaced claim the guide's post-login Action (step 8) puts the user's roles in.
const RolesClaim = "https://yourapp.com/roles"

// OrgIDClaim and OrgNameClaim are Auth0's claims of the organization a user signed in through
// (org_name only where the tenant allows names in tokens).
const (
	OrgIDClaim   = "org_id"
	OrgNameClaim = "org_name"
)

// Config is what the web app and the API need. The API reads only Auth.IssuerBaseURL and
// Auth.Audience, as the guide's Express API reads the same two variables (step 7).
type Config struct {
	// Auth is the relying-party configuration from the guide's AUTH0_* variables (step 2).
	// LoginReturnTo and LogoutReturnTo default to the guide's /dashboard and /.
	Auth webauth.Config
	// APIBaseURL is where the web app reaches the API; default http://localhost:3001.
	APIBaseURL string
	// HTTPClient talks to the issuer (discovery, JWKS, token endpoint). Use TrustingClient for a
	// development CA; default a client with a 10 s timeout and the system roots.
	HTTPClient *http.Client
	// Records is the web app's data; default NewRecords().
	Records *Records
	// UserSyncSecret turns on the API's POST /hooks/user-sync, which a post-login Action calls
	// with "Authorization: Bearer <secret>" (USER_SYNC_SECRET); empty leaves the hook off.
	UserSyncSecret string
	// Users is the API's copy of the users the hook syncs; default NewUsers().
	Users *Users
	// Logger receives request failures (never tokens); default discards.
	Logger *slog.Logger
}

func (c Config) logger() *slog.Logger {
	if c.Logger != nil {
		return c.Logger
	}
	return slog.New(slog.DiscardHandler)
}

func (c Config) httpClient() *http.Client {
	if c.HTTPClient != nil {
		return c.HTTPClient
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// TrustingClient returns an HTTP client with a 10 s timeout that trusts the system roots plus the
// PEM certificates in caFile (what NODE_EXTRA_CA_CERTS does for Node). An empty caFile gives the
// system roots only.
func TrustingClient(caFile string) (*http.Client, error) {
	client := &http.Client{Timeout: 10 * time.Second}
	if caFile == "" {
		return client, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("trust CA: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("trust CA: %s holds no PEM certificate", caFile)
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	client.Transport = tr
	return client, nil
}

// LoadDotEnv reads a .env file (the guide's .env.local) and sets each variable that the
// environment does not already have, so real environment variables win, as with Next.js. A missing
// file is not an error. It returns the names it set.
func LoadDotEnv(path string) ([]string, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	vars, err := ParseDotEnv(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	var set []string
	for _, kv := range vars {
		if _, exists := os.LookupEnv(kv[0]); exists {
			continue
		}
		if err := os.Setenv(kv[0], kv[1]); err != nil {
			return set, err
		}
		set = append(set, kv[0])
	}
	return set, nil
}

// ParseDotEnv parses KEY=value lines in order: blank lines and lines starting with # are skipped,
// an optional "export " prefix is dropped, and a value in single or double quotes is taken
// literally between them (no escapes, no interpolation); an unquoted value ends at " #". A line
// that is not KEY=value is an error naming its number, never its content (it may hold a secret).
func ParseDotEnv(r io.Reader) ([][2]string, error) {
	var out [][2]string
	sc := bufio.NewScanner(r)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		key, value, ok := strings.Cut(line, "=")
		key = strings.TrimSpace(key)
		if !ok || !validEnvName(key) {
			return nil, fmt.Errorf("line %d: want KEY=value", n)
		}
		value = strings.TrimSpace(value)
		if q := quote(value); q != 0 {
			end := strings.IndexByte(value[1:], q)
			if end < 0 {
				return nil, fmt.Errorf("line %d: unterminated %c quote", n, q)
			}
			value = value[1 : end+1]
		} else if i := strings.Index(value, " #"); i >= 0 {
			value = strings.TrimSpace(value[:i])
		}
		out = append(out, [2]string{key, value})
	}
	return out, sc.Err()
}

func quote(v string) byte {
	if v != "" && (v[0] == '\'' || v[0] == '"') {
		return v[0]
	}
	return 0
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for _, c := range s {
		if !(c == '_' || c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
