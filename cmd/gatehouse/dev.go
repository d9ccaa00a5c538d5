package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/config"
	"github.com/gatehouse/gatehouse/internal/devca"
	"github.com/gatehouse/gatehouse/internal/devmail"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// Files of a dev data directory.
const (
	devDatabaseFile  = "gatehouse.db"
	devMasterKeyFile = "master.key"
	devAppSecretFile = "app-secret"
	devTenantFile    = "dev-tenant.json"
	devCADir         = "ca"
)

type devFlags struct {
	addr, data, issuer, database string
	http, userSync               bool
	// upstream: the address of a second, local tenant to broker sign-ins to ("" is none).
	upstream string
}

func (m *Main) devCommand() *cobra.Command {
	var f devFlags
	cmd := &cobra.Command{
		Use:   "dev",
		Short: "Run a local tenant, seeded as the seed guide configures it",
		Long: `Run Gatehouse for development with nothing to install: SQLite in --data, a local CA and a
certificate for localhost and 127.0.0.1, HTTPS on --addr, and — once — the tenant the seed guide
configures (a Regular Web App, the API https://api.yourapp.com with its four permissions, roles user and
admin with one user each, the guide's post-login Action, a machine-to-machine app and a Management API
client). It prints the .env.local block of the guide's step 2 and writes everything a tool needs to
<data>/dev-tenant.json. A second start keeps the data and the same credentials.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return m.runDev(cmd.Context(), f) },
	}
	cmd.Flags().StringVar(&f.addr, "addr", "127.0.0.1:4433", "address to listen on")
	cmd.Flags().StringVar(&f.data, "data", ".gatehouse", "directory for the database, keys and dev-tenant.json")
	cmd.Flags().BoolVar(&f.http, "http", false, "serve plain HTTP (loopback only; cookies lose the Secure flag)")
	cmd.Flags().StringVar(&f.issuer, "issuer", "", "issuer URL (default https://localhost:PORT/)")
	cmd.Flags().StringVar(&f.upstream, "upstream", "", `also run a second local tenant on this loopback address (say 127.0.0.1:4434) as an OpenID provider,
with an "Example OIDC" connection to it on the login page`)
	cmd.Flags().BoolVar(&f.userSync, "user-sync", false, "bind the \"Sync users to your app\" post-login Action, which posts each signed-in user to the seed app's /hooks/user-sync")
	cmd.Flags().StringVar(&f.database, "database", "", "use this database (SQLite path or postgres:// URL) instead of <data>/gatehouse.db")
	return cmd
}

func (m *Main) runDev(ctx context.Context, f devFlags) error {
	data, err := filepath.Abs(f.data)
	if err != nil {
		return err
	}
	if err := privateDevData(data); err != nil {
		return err
	}
	masterKey, err := readOrCreateSecret(filepath.Join(data, devMasterKeyFile))
	if err != nil {
		return err
	}
	appSecret, err := readOrCreateSecret(filepath.Join(data, devAppSecretFile))
	if err != nil {
		return err
	}
	// The operational limits and metrics follow the environment as under serve (a benchmark turns
	// the per-address token limit off with GATEHOUSE_RATE_LIMITS_TOKEN_PER_IP_PER_MINUTE=0); the
	// rest is dev's own.
	env, err := config.Load("", m.Getenv)
	if err != nil {
		return err
	}
	cfg := config.Default()
	cfg.RateLimits, cfg.PasswordHashMemoryMiB, cfg.Metrics = env.RateLimits, env.PasswordHashMemoryMiB, env.Metrics
	cfg.Database, cfg.DataDir, cfg.MasterKey = filepath.Join(data, devDatabaseFile), data, masterKey
	cfg.Log.Format = "text"
	if f.database != "" {
		cfg.Database = f.database
	}
	var ca devca.Paths
	if !f.http {
		if ca, err = devca.Ensure(filepath.Join(data, devCADir), issuerHosts(f.issuer), time.Now()); err != nil {
			return fmt.Errorf("local certificate authority: %w", err)
		}
		cfg.TLS.CertFile, cfg.TLS.KeyFile = ca.Cert, ca.Key
	}
	ln, err := net.Listen("tcp", f.addr)
	if err != nil {
		return err
	}
	cfg.Addr = ln.Addr().String()
	cfg.Issuer = f.issuer
	if cfg.Issuer == "" {
		scheme := "https"
		if f.http {
			scheme = "http"
		}
		_, port, _ := net.SplitHostPort(cfg.Addr)
		cfg.Issuer = scheme + "://localhost:" + port + "/"
	}
	if err := cfg.Validate(); err != nil {
		ln.Close()
		return err
	}
	logger := m.devLogger("")
	var up *devUpstream
	if f.upstream != "" {
		if up, err = m.startDevUpstream(ctx, data, f.upstream, cfg.Issuer, env); err != nil {
			ln.Close()
			return err
		}
	}
	landing := &devtenant.Landing{}
	seed := func(a *app.App) error {
		file, err := devtenant.Seed(ctx, a.Store, devtenant.Options{
			Issuer: cfg.Issuer, CACert: ca.CACert, Path: filepath.Join(data, devTenantFile),
			ManagementAudience: cfg.Issuer + mgmt.APIPath, ManagementScopes: mgmt.Scopes(),
			Mailbox: strings.TrimSuffix(cfg.Issuer, "/") + devmail.Path,
			Hasher:  password.Hasher{P: password.Default()}, Now: time.Now, UserSync: f.userSync,
		})
		if err != nil {
			return err
		}
		if up != nil {
			if err := up.connect(ctx, a, cfg, file, filepath.Join(data, devTenantFile)); err != nil {
				return err
			}
		}
		if err := landing.Set(file, filepath.Join(data, devTenantFile)); err != nil {
			return err
		}
		printDevBanner(m.Stdout, file, ca, appSecret, filepath.Join(data, devTenantFile))
		if file.Upstream != nil {
			printUpstreamBanner(m.Stdout, file.Upstream)
		}
		return nil
	}
	return m.runNode(ctx, cfg, ln, app.Options{Logger: logger, DevMailbox: true, RootPage: landing, AllowPrivateDestinations: true, DevBackchannel: true}, seed)
}

func printDevBanner(w io.Writer, f *devtenant.File, ca devca.Paths, appSecret, tenantPath string) {
	fmt.Fprintf(w, `
Gatehouse dev tenant is ready at %s

# .env.local — the seed guide's step 2, ready to paste
AUTH0_SECRET='%s'
AUTH0_BASE_URL='http://localhost:3000'
AUTH0_ISSUER_BASE_URL='%s'
AUTH0_CLIENT_ID='%s'
AUTH0_CLIENT_SECRET='%s'
AUTH0_AUDIENCE='%s'
`, f.Issuer, appSecret, strings.TrimSuffix(f.Issuer, "/"), f.WebApp.ClientID, f.WebApp.ClientSecret, f.API.Identifier)
	state := "off; start with --user-sync to bind it"
	if f.UserSync.Enabled {
		state = "on"
	}
	fmt.Fprintf(w, "\n# The seed app's user-sync hook (POST /hooks/user-sync); the %q Action: %s\nUSER_SYNC_SECRET='%s'\n",
		f.UserSync.Action, state, f.UserSync.Secret)
	if f.CACert != "" {
		fmt.Fprintf(w, "\n# Trust the local CA (Node apps; curl: --cacert)\nNODE_EXTRA_CA_CERTS=%s\n", f.CACert)
	}
	if ca.ReplacedCA {
		// The old CA may still be in a trust store; it is no longer used, and
		// if it predates name constraints its key can vouch for any site.
		fmt.Fprintf(w, "\nNOTE: the local CA was replaced (it was near its end, lacked name constraints or was made\n"+
			"for other hosts). Trust the new one, %s, wherever you trusted the old one, and remove\n"+
			"the old %q from your trust stores.\n", ca.CACert, devca.CACommonName)
	}
	fmt.Fprintf(w, "\nUsers (sign in at your app, %s/api/auth/login, once it runs):\n", devtenant.AppOrigin)
	for _, u := range f.Users {
		fmt.Fprintf(w, "  %-20s %-18s roles: %s\n", u.Email, u.Password, strings.Join(u.Roles, ", "))
	}
	fmt.Fprintf(w, "\nMail (while no email provider is configured): %s\n", f.Mailbox)
	fmt.Fprintf(w, "\nDashboard: %s\n  sign in as %s  password %s\nThis tenant's home page (what is printed here, secrets aside): %s\n",
		f.Dashboard.URL, f.Dashboard.Email, f.Dashboard.Password, f.Issuer)
	fmt.Fprintf(w, "\nManagement API: %s (client %s)\nEverything above, for tools: %s\n\n", f.ManagementAPI.Audience, f.ManagementAPI.ClientID, tenantPath)
}

// issuerHosts is the host of an --issuer, which the server certificate must cover and the CA's
// name constraints permit. An unparsable issuer gives none: Validate reports it.
func issuerHosts(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil || u.Hostname() == "" {
		return nil
	}
	return []string{u.Hostname()}
}

// readOrCreateSecret returns the base64 secret stored at path, creating 32 random bytes (mode 0600)
// on first use.
func readOrCreateSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		return strings.TrimSpace(string(b)), nil
	}
	if !errors.Is(err, os.ErrNotExist) {
		return "", err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", err
	}
	s := base64.StdEncoding.EncodeToString(raw)
	if err := os.WriteFile(path, []byte(s+"\n"), 0o600); err != nil {
		return "", fmt.Errorf("write %s: %w", path, err)
	}
	return s, nil
}

// devData is what another command needs from a dev data directory.
type devData struct {
	database, masterKey string
	tenant              devtenant.File
}

func (d devData) issuer() string { return d.tenant.Issuer }

func openDevData(dir string) (devData, error) {
	key, err := os.ReadFile(filepath.Join(dir, devMasterKeyFile))
	if err != nil {
		return devData{}, fmt.Errorf("%s is not a gatehouse dev data directory: %w", dir, err)
	}
	if err := privateDevData(dir); err != nil {
		return devData{}, err
	}
	d := devData{database: filepath.Join(dir, devDatabaseFile), masterKey: strings.TrimSpace(string(key))}
	if b, err := os.ReadFile(filepath.Join(dir, devTenantFile)); err == nil {
		_ = json.Unmarshal(b, &d.tenant) // only the issuer is used; a damaged file means --config must give it
	}
	return d, nil
}

// devLogger is the dev command's logger; a named node's lines say which node wrote them.
func (m *Main) devLogger(node string) *slog.Logger {
	l := httpserver.NewLogger("text", envOr(m.Getenv, config.EnvLogLevel, "info"), m.Stderr)
	if node != "" {
		l = l.With("node", node)
	}
	return l
}

// envOr returns getenv(name) or def.
func envOr(getenv func(string) string, name, def string) string {
	if v := strings.TrimSpace(getenv(name)); v != "" {
		return v
	}
	return def
}
