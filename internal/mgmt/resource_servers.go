package mgmt

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// APISecrets seals an HS256 API's signing_secret for storage and opens it to show it back.
type APISecrets interface {
	Seal(apiID, secret string) (string, error)
	Open(apiID, sealed string) (string, error)
}

// resourceServers serves /resource-servers: APIs and their permissions.
type resourceServers struct {
	apis    store.ResourceServerStore
	now     func() time.Time
	prepare func(ctx context.Context, alg string) error
	secrets APISecrets
}

// prepareAlg publishes keys for the API's signing algorithm before the API is saved. HS256 has no
// published key: its key is the API's signing_secret.
func (g *resourceServers) prepareAlg(c *call, rs *domain.ResourceServer) error {
	if g.prepare == nil || rs.SigningAlg == "HS256" {
		return nil
	}
	if err := g.prepare(c.ctx(), rs.SigningAlg); err != nil {
		return fmt.Errorf("prepare %s signing keys: %w", rs.SigningAlg, err)
	}
	return nil
}

func (h *Handler) resourceServerRoutes() []route {
	g := &resourceServers{apis: h.st, now: h.now, prepare: h.opts.PrepareSigningAlg, secrets: h.opts.APISecrets}
	read := []string{"read:resource_servers"}
	return []route{
		{method: "GET", path: "/resource-servers", scopes: read, fn: g.list},
		{method: "POST", path: "/resource-servers", scopes: []string{"create:resource_servers"}, desc: "Create a resource server", fn: g.create},
		{method: "GET", path: "/resource-servers/{id}", scopes: read, fn: g.get},
		{method: "PATCH", path: "/resource-servers/{id}", scopes: []string{"update:resource_servers"}, desc: "Update a resource server", fn: g.update},
		{method: "DELETE", path: "/resource-servers/{id}", scopes: []string{"delete:resource_servers"}, desc: "Delete a resource server", fn: g.delete},
	}
}

// resourceServerBody is the writable part of an API (spec §3.2); pointers so that a PATCH replaces
// only what it names. `scopes` replaces the whole permission list; a permission removed here stays
// assigned to roles and users until they are changed, and is no longer granted at token issuance
// because issuance only grants permissions the API still defines.
type resourceServerBody struct {
	Name                                      *string         `json:"name"`
	Identifier                                *string         `json:"identifier"`
	Scopes                                    *[]domain.Scope `json:"scopes"`
	SigningAlg                                *string         `json:"signing_alg"`
	SigningSecret                             *string         `json:"signing_secret"`
	EnforcePolicies                           *bool           `json:"enforce_policies"`
	TokenDialect                              *string         `json:"token_dialect"`
	TokenLifetime                             *int            `json:"token_lifetime"`
	TokenLifetimeForWeb                       *int            `json:"token_lifetime_for_web"`
	AllowOfflineAccess                        *bool           `json:"allow_offline_access"`
	SkipConsentForVerifiableFirstPartyClients *bool           `json:"skip_consent_for_verifiable_first_party_clients"`
}

// check refuses what apply cannot express: an empty signing_secret (leaving it out keeps, or for a
// new HS256 API generates, one).
func (b *resourceServerBody) check() error {
	if b.SigningSecret != nil && *b.SigningSecret == "" {
		return domain.Invalidf("signing_secret", "must not be empty")
	}
	return nil
}

func (b *resourceServerBody) apply(rs *domain.ResourceServer) {
	if b.Name != nil {
		rs.Name = *b.Name
	}
	if b.Scopes != nil {
		rs.Scopes = *b.Scopes
	}
	if b.SigningAlg != nil {
		rs.SigningAlg = *b.SigningAlg
	}
	if b.SigningSecret != nil {
		rs.SigningSecret = *b.SigningSecret
	}
	if b.EnforcePolicies != nil {
		rs.EnforcePolicies = *b.EnforcePolicies
	}
	if b.TokenDialect != nil {
		rs.TokenDialect = *b.TokenDialect
	}
	if b.TokenLifetime != nil {
		rs.TokenLifetime = *b.TokenLifetime
	}
	if b.TokenLifetimeForWeb != nil {
		rs.TokenLifetimeForWeb = *b.TokenLifetimeForWeb
	}
	if b.AllowOfflineAccess != nil {
		rs.AllowOfflineAccess = *b.AllowOfflineAccess
	}
	if b.SkipConsentForVerifiableFirstPartyClients != nil {
		rs.SkipConsentForVerifiableFirstPartyClients = *b.SkipConsentForVerifiableFirstPartyClients
	}
}

func (g *resourceServers) list(c *call) (int, any, error) {
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	list, total, err := g.apis.ListResourceServers(c.ctx(), p.Page)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, p.list("resource_servers", views(list, g.view), total), nil
}

// resourceServerView is an API as the Management API shows it: its HS256 signing_secret in clear,
// as Auth0 returns it, and never the sealed form the store keeps.
type resourceServerView struct {
	*domain.ResourceServer
	SigningSecret string `json:"signing_secret,omitempty"`
	// Sealed hides the embedded signing_secret_sealed (a shallower field of the same JSON name wins
	// and, nil, is omitted).
	Sealed *struct{} `json:"signing_secret_sealed,omitempty"`
}

func (g *resourceServers) view(rs *domain.ResourceServer) any {
	v := resourceServerView{ResourceServer: rs}
	if rs.SigningAlg == "HS256" {
		v.SigningSecret = rs.SigningSecret
		if v.SigningSecret == "" && g.secrets != nil && rs.SigningSecretSealed != "" {
			// A secret that does not open (another master key) is left out rather than failing the
			// whole listing; tokens for that API fail loudly instead.
			v.SigningSecret, _ = g.secrets.Open(rs.ID, rs.SigningSecretSealed)
		}
	}
	return v
}

// sealSecret applies the HS256 rules before an API is saved: a secret is generated when an HS256
// API has none (as Auth0 does), and whatever secret the API holds is sealed; the clear one never
// reaches the store.
func (g *resourceServers) sealSecret(rs *domain.ResourceServer) error {
	if rs.SigningAlg == "HS256" && rs.SigningSecret == "" {
		rs.SigningSecret = domain.NewSigningSecret()
	}
	if err := rs.Validate(); err != nil {
		return err
	}
	if rs.SigningSecret == "" {
		return nil
	}
	if g.secrets == nil {
		return refuse(http.StatusNotImplemented, codeNotSupported, "HS256 signing secrets are not available on this server")
	}
	sealed, err := g.secrets.Seal(rs.ID, rs.SigningSecret)
	if err != nil {
		return fmt.Errorf("seal signing secret: %w", err)
	}
	rs.SigningSecretSealed = sealed
	return nil
}

// openSecret loads an API's stored secret into memory, so that a PATCH keeps it unless it names a
// new one.
func (g *resourceServers) openSecret(rs *domain.ResourceServer) error {
	if rs.SigningSecretSealed == "" || g.secrets == nil {
		return nil
	}
	secret, err := g.secrets.Open(rs.ID, rs.SigningSecretSealed)
	if err != nil {
		return err
	}
	rs.SigningSecret = secret
	return nil
}

// findResourceServer looks an API up by id or, failing that, by identifier (spec §3.2: the path
// takes either).
func findResourceServer(ctx context.Context, st store.ResourceServerStore, idOrIdentifier string) (*domain.ResourceServer, error) {
	rs, err := st.GetResourceServer(ctx, idOrIdentifier)
	if errors.Is(err, store.ErrNotFound) {
		return st.GetResourceServerByIdentifier(ctx, idOrIdentifier)
	}
	return rs, err
}

func (g *resourceServers) load(c *call) (*domain.ResourceServer, error) {
	return load(c.ctx(), func(ctx context.Context, id string) (*domain.ResourceServer, error) {
		return findResourceServer(ctx, g.apis, id)
	}, c.r.PathValue("id"), nfResourceServer)
}

// loadChangeable loads the API the path names, refusing with 403 the Management API itself, which
// "cannot be <verb>".
func (g *resourceServers) loadChangeable(c *call, verb string) (*domain.ResourceServer, error) {
	rs, err := g.load(c)
	if err == nil && rs.IsSystem {
		err = refuse(http.StatusForbidden, codeNotSupported, "The Management API (a system resource server) cannot be %s", verb)
	}
	return rs, err
}

func (g *resourceServers) get(c *call) (int, any, error) {
	rs, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.view(rs), nil
}

func (g *resourceServers) create(c *call) (int, any, error) {
	var b resourceServerBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := b.check(); err != nil {
		return 0, nil, err
	}
	if b.Identifier == nil {
		return 0, nil, domain.Invalidf("identifier", "Missing required property: identifier")
	}
	now := g.now().UTC()
	rs := &domain.ResourceServer{ID: domain.NewResourceServerID(), Identifier: *b.Identifier, CreatedAt: now, UpdatedAt: now}
	b.apply(rs)
	if rs.Name == "" {
		rs.Name = rs.Identifier // Auth0 names an unnamed API after its identifier
	}
	if b.TokenLifetimeForWeb == nil && rs.TokenLifetime > 0 && rs.TokenLifetime < 7200 {
		rs.TokenLifetimeForWeb = rs.TokenLifetime
	}
	domain.ApplyResourceServerDefaults(rs)
	if err := g.sealSecret(rs); err != nil {
		return 0, nil, err
	}
	if err := g.prepareAlg(c, rs); err != nil {
		return 0, nil, err
	}
	if err := g.apis.CreateResourceServer(c.ctx(), rs); err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "conflict", "A resource server with the same identifier already exists: %s", rs.Identifier))
	}
	return http.StatusCreated, g.view(rs), nil
}

func (g *resourceServers) update(c *call) (int, any, error) {
	var b resourceServerBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if err := b.check(); err != nil {
		return 0, nil, err
	}
	rs, err := g.loadChangeable(c, "changed")
	if err != nil {
		return 0, nil, err
	}
	if b.Identifier != nil && *b.Identifier != rs.Identifier {
		return 0, nil, domain.Invalidf("identifier", "identifier cannot be changed")
	}
	if err := g.openSecret(rs); err != nil {
		return 0, nil, err
	}
	b.apply(rs)
	if rs.TokenLifetimeForWeb > rs.TokenLifetime && b.TokenLifetimeForWeb == nil {
		rs.TokenLifetimeForWeb = rs.TokenLifetime
	}
	if err := g.sealSecret(rs); err != nil {
		return 0, nil, err
	}
	if err := g.prepareAlg(c, rs); err != nil {
		return 0, nil, err
	}
	rs.UpdatedAt = g.now().UTC()
	if err := g.apis.UpdateResourceServer(c.ctx(), rs); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, g.view(rs), nil
}

func (g *resourceServers) delete(c *call) (int, any, error) {
	rs, err := g.loadChangeable(c, "deleted")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.apis.DeleteResourceServer(c.ctx(), rs.ID)
}

// EnsureManagementAPI creates the system resource server for the Management API (identifier
// issuer+"api/v2/", name "Auth0 Management API") when it does not exist, with the given scopes as its
// permissions, so that client grants for it can be created and validated.
func EnsureManagementAPI(ctx context.Context, st store.ResourceServerStore, issuer string, scopes []domain.Scope, now func() time.Time) error {
	identifier := issuer + "api/v2/"
	existing, err := st.GetResourceServerByIdentifier(ctx, identifier)
	if err == nil {
		return addMissingScopes(ctx, st, existing, scopes, now)
	}
	if !errors.Is(err, store.ErrNotFound) {
		return err
	}
	t := now().UTC()
	rs := &domain.ResourceServer{
		ID: domain.NewResourceServerID(), Name: "Auth0 Management API", Identifier: identifier, IsSystem: true,
		Scopes: scopes, CreatedAt: t, UpdatedAt: t,
	}
	domain.ApplyResourceServerDefaults(rs)
	if err := st.CreateResourceServer(ctx, rs); err != nil && !errors.Is(err, store.ErrConflict) {
		return err
	}
	return nil
}

// addMissingScopes gives an existing Management API the permissions a newer release defines (the
// *:current_user* ones, say), so that tokens can ask for them; it never removes one.
func addMissingScopes(ctx context.Context, st store.ResourceServerStore, rs *domain.ResourceServer, scopes []domain.Scope, now func() time.Time) error {
	n := len(rs.Scopes)
	for _, s := range scopes {
		if !rs.HasScope(s.Value) {
			rs.Scopes = append(rs.Scopes, s)
		}
	}
	if len(rs.Scopes) == n {
		return nil
	}
	rs.UpdatedAt = now().UTC()
	return st.UpdateResourceServer(ctx, rs)
}
