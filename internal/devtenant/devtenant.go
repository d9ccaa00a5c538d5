package devtenant

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The seed guide's configuration (steps 1, 2 and 8).
const (
	WebAppName     = "Your App"
	Callback       = "http://localhost:3000/api/auth/callback"
	LogoutURL      = "http://localhost:3000"
	AppOrigin      = "http://localhost:3000"
	APIIdentifier  = "https://api.yourapp.com"
	APIName        = "Your App API"
	RolesNamespace = "https://yourapp.com"
	ActionName     = "Add roles to tokens"
	// SyncActionName is the post-login Action that copies each signed-in user to the app (the
	// guide's FAQ on keeping users in the app's own database); seeded unbound, bound by
	// `gatehouse dev --user-sync`.
	SyncActionName = "Sync users to your app"
	// SyncURL is the seed app's user-sync hook (its API, :3001).
	SyncURL = "http://localhost:3001/hooks/user-sync"
)

// SyncAction posts the signed-in user to the app's hook with fetch, its URL and shared secret in
// the Action's secrets. A sync that fails is logged and does not stop the sign-in: the app's copy
// catches up at the next one.
const SyncAction = `exports.onExecutePostLogin = async (event, api) => {
  try {
    const res = await fetch(event.secrets.SYNC_URL, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: ` + "`Bearer ${event.secrets.SYNC_SECRET}`" + ` },
      body: JSON.stringify({
        user_id: event.user.user_id,
        email: event.user.email,
        name: event.user.name,
        email_verified: event.user.email_verified,
        roles: event.authorization ? event.authorization.roles : [],
      }),
      signal: AbortSignal.timeout(3000),
    });
    if (!res.ok) console.error(` + "`user sync answered ${res.status}`" + `);
  } catch (err) {
    console.error(` + "`user sync failed: ${err.message}`" + `);
  }
};
`

// GuideAction is the post-login Action of the seed guide's step 8, verbatim.
const GuideAction = `exports.onExecutePostLogin = async (event, api) => {
  const namespace = 'https://yourapp.com';

  if (event.authorization) {
    api.idToken.setCustomClaim(` + "`${namespace}/roles`" + `, event.authorization.roles);
    api.accessToken.setCustomClaim(` + "`${namespace}/roles`" + `, event.authorization.roles);
  }
};
`

// Permissions returns the permissions of the guide's API, a new slice each call.
func Permissions() []domain.Scope {
	return []domain.Scope{
		{Value: "read:own_data", Description: "Read own data"},
		{Value: "write:own_data", Description: "Write own data"},
		{Value: "admin:read", Description: "Read all data"},
		{Value: "admin:write", Description: "Modify all data"},
	}
}

// The guide's roles and users.
var (
	rolePermissions = map[string][]string{
		"user":  {"read:own_data", "write:own_data"},
		"admin": {"read:own_data", "write:own_data", "admin:read", "admin:write"},
	}
	seedUsers = []struct {
		email, name string
		roles       []string
	}{
		{"admin@example.com", "Ada Admin", []string{"admin"}},
		{"user@example.com", "Uma User", []string{"user"}},
	}
)

// File is dev-tenant.json: a contract outside tools rely on. Add keys; never rename or remove one.
type File struct {
	Issuer        string        `json:"issuer"`
	CACert        string        `json:"ca_cert,omitempty"`
	WebApp        WebApp        `json:"web_app"`
	API           API           `json:"api"`
	ManagementAPI ManagementAPI `json:"management_api"`
	M2MApp        Credentials   `json:"m2m_app"`
	Users         []User        `json:"users"`
	// Mailbox is the development mailbox's page, where mail sent without a provider arrives.
	Mailbox string `json:"mailbox,omitempty"`
	// Dashboard is where to sign in to the dashboard, and as whom (a Dashboard Admin).
	Dashboard Dashboard `json:"dashboard"`
	// Upstream is the second, local tenant `gatehouse dev --upstream` runs as an OpenID provider
	// (upstream.go); absent without the flag.
	Upstream *Upstream `json:"upstream,omitempty"`
	// UserSync is the seed app's user-sync hook and the Action that calls it.
	UserSync UserSync `json:"user_sync"`
}

// UserSync describes the "Sync users to your app" Action: where it posts, the shared secret the
// app checks (USER_SYNC_SECRET), and whether it is bound to post-login.
type UserSync struct {
	Action  string `json:"action"`
	URL     string `json:"url"`
	Secret  string `json:"secret"`
	Enabled bool   `json:"enabled"`
}

// Dashboard is the dashboard's address and its seeded administrator.
type Dashboard struct {
	URL      string `json:"url"`
	Email    string `json:"email"`
	Password string `json:"password"`
	// PasswordHashSHA256 is the seeded users' digest for the dashboard administrator (see User).
	PasswordHashSHA256 string `json:"password_hash_sha256,omitempty"`
}

// DashboardEmail is the dev tenant's dashboard administrator: not one of the guide's users, so
// that signing in to the guide's app never carries dashboard power.
const DashboardEmail = "dashboard@example.com"

// WebApp is the guide's Regular Web App.
type WebApp struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Callback     string `json:"callback"`
	LogoutURL    string `json:"logout_url"`
}

// API names the guide's API.
type API struct {
	Identifier string `json:"identifier"`
}

// ManagementAPI holds the Management API client's credentials.
type ManagementAPI struct {
	Audience     string `json:"audience"`
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// Credentials are a client id and secret.
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
}

// User is a seeded user with its clear password.
type User struct {
	Email    string   `json:"email"`
	Password string   `json:"password"`
	Roles    []string `json:"roles"`
	// PasswordHashSHA256 is the SHA-256 (hex) of the stored password hash when the file was written:
	// while the stored hash is unchanged, Password still signs in, and a restart need not prove it
	// with an argon2id verification (64 MiB held for the life of the process).
	PasswordHashSHA256 string `json:"password_hash_sha256,omitempty"`
}

// Options configure Seed.
type Options struct {
	Issuer             string
	CACert             string
	Path               string // where dev-tenant.json lives
	ManagementAudience string
	ManagementScopes   []string
	Mailbox            string // the development mailbox's URL, written to the file as is
	Hasher             password.Hasher
	Now                func() time.Time
	// UserSync binds the "Sync users to your app" Action to post-login (it is always seeded, and
	// stays bound once bound: unbind it in the dashboard or the Management API).
	UserSync bool
}

// Seed makes sure the dev tenant exists and returns its dev-tenant.json content, written to o.Path.
// The first run creates everything in one transaction; later runs reuse what exists and the
// credentials stored in the file.
func Seed(ctx context.Context, st store.Store, o Options) (*File, error) {
	prev, err := readFile(o.Path)
	if err != nil {
		return nil, err
	}
	var f *File
	err = st.WithTx(ctx, func(tx store.Store) error {
		s := seeder{tx: tx, o: o, now: o.Now().UTC(), prev: prev}
		var err error
		f, err = s.run(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("seed the dev tenant: %w", err)
	}
	if err := writeFile(o.Path, f); err != nil {
		return nil, err
	}
	return f, nil
}

func readFile(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, fmt.Errorf("read %s: %w (delete it to have it written again)", path, err)
	}
	return &f, nil
}

// writeFile writes atomically: a crash leaves the old file or the new one, never half of one.
func writeFile(path string, f *File) error {
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".dev-tenant-*.json")
	if err != nil {
		return fmt.Errorf("write dev-tenant.json: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err == nil {
		_, err = tmp.Write(append(b, '\n'))
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write dev-tenant.json: %w", err)
	}
	return os.Rename(tmp.Name(), path)
}
