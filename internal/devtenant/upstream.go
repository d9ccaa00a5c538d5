package devtenant

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The local "upstream" tenant of `gatehouse dev --upstream`: a second dev tenant the dev tenant
// signs users in at through an enterprise oidc connection, so that "Continue with Example OIDC"
// on the login page shows brokering end to end.
const (
	UpstreamConnection  = "example-oidc"
	UpstreamDisplayName = "Example OIDC"
	UpstreamClientName  = "Gatehouse dev tenant (relying party)"
)

// Upstream is dev-tenant.json's "upstream": where the upstream tenant is, the connection that
// reaches it, its client for the dev tenant, its own dev-tenant.json and its users.
type Upstream struct {
	Issuer     string      `json:"issuer"`
	Connection string      `json:"connection"`
	Client     Credentials `json:"client"`
	TenantFile string      `json:"tenant_file"`
	Users      []User      `json:"users"`
}

// SeedUpstreamClient makes sure the upstream tenant (st) has the client the dev tenant signs in
// with: a Regular Web App whose callback is the dev tenant's /login/callback. prev are the
// credentials recorded last time, kept while they still match.
func SeedUpstreamClient(ctx context.Context, st store.Store, downstreamIssuer string, prev Credentials, now func() time.Time) (Credentials, error) {
	var creds Credentials
	err := st.WithTx(ctx, func(tx store.Store) error {
		s := seeder{tx: tx, now: now().UTC()}
		var err error
		creds, err = s.ensureClient(ctx, &domain.Client{Name: UpstreamClientName, AppType: domain.AppTypeRegularWeb,
			Callbacks:               []string{downstreamIssuer + "login/callback"},
			GrantTypes:              []string{domain.GrantAuthorizationCode},
			TokenEndpointAuthMethod: domain.AuthMethodSecretBasic,
			JWTConfiguration:        domain.JWTConfiguration{Alg: "RS256", LifetimeInSeconds: 3600}}, prev)
		return err
	})
	if err != nil {
		return Credentials{}, fmt.Errorf("seed the upstream tenant's client: %w", err)
	}
	return creds, nil
}

// UpstreamConnectionOptions describe the connection SeedUpstreamConnection keeps.
type UpstreamConnectionOptions struct {
	Issuer string      // the upstream tenant's issuer
	Client Credentials // its client for the dev tenant
	// Seal seals the client secret for the connection (the master key's connection secrets).
	Seal func(connectionID, secret string) ([]byte, error)
	// EnabledFor is the dev tenant's application that shows the button.
	EnabledFor string
	Now        func() time.Time
}

// SeedUpstreamConnection makes sure the dev tenant (st) has the enterprise oidc connection to the
// upstream tenant, shown as a button for the guide's app, with the current client secret.
func SeedUpstreamConnection(ctx context.Context, st store.Store, o UpstreamConnectionOptions) error {
	c, err := st.GetConnectionByName(ctx, UpstreamConnection)
	create := errors.Is(err, store.ErrNotFound)
	if err != nil && !create {
		return err
	}
	now := o.Now().UTC()
	if create {
		c = &domain.Connection{ID: domain.NewConnectionID(), Name: UpstreamConnection, Strategy: domain.StrategyOIDC, CreatedAt: now}
	}
	show := true
	c.DisplayName, c.ShowAsButton, c.UpdatedAt = UpstreamDisplayName, &show, now
	c.Options.UpstreamOptions = domain.UpstreamOptions{ClientID: o.Client.ClientID, Type: domain.OIDCTypeBackChannel,
		Scope: "openid profile email", DiscoveryURL: o.Issuer + ".well-known/openid-configuration"}
	if !c.EnabledFor(o.EnabledFor) {
		c.EnabledClients = append(c.EnabledClients, o.EnabledFor)
	}
	if c.SecretSealed, err = o.Seal(c.ID, o.Client.ClientSecret); err != nil {
		return err
	}
	domain.ApplyConnectionDefaults(c)
	if err := c.Validate(); err != nil {
		return fmt.Errorf("the upstream connection: %w", err)
	}
	if create {
		return st.CreateConnection(ctx, c)
	}
	return st.UpdateConnection(ctx, c)
}

// WriteFile rewrites dev-tenant.json at path with f (atomically).
func WriteFile(path string, f *File) error { return writeFile(path, f) }
