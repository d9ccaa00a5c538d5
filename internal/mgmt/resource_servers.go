package mgmt

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) resourceServerRoutes() []route {
	read := []string{"read:resource_servers"}
	return []route{
		{method: "GET", path: "/resource-servers", scopes: read, fn: h.listResourceServers},
		{method: "POST", path: "/resource-servers", scopes: []string{"create:resource_servers"}, desc: "Create a resource server", fn: h.createResourceServer},
		{method: "GET", path: "/resource-servers/{id}", scopes: read, fn: h.getResourceServer},
		{method: "PATCH", path: "/resource-servers/{id}", scopes: []string{"update:resource_servers"}, desc: "Update a resource server", fn: h.updateResourceServer},
		{method: "DELETE", path: "/resource-servers/{id}", scopes: []string{"delete:resource_servers"}, desc: "Delete a resource server", fn: h.deleteResourceServer},
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
	EnforcePolicies                           *bool           `json:"enforce_policies"`
	TokenDialect                              *string         `json:"token_dialect"`
	TokenLifetime                             *int            `json:"token_lifetime"`
	TokenLifetimeForWeb                       *int            `json:"token_lifetime_for_web"`
	AllowOfflineAccess                        *bool           `json:"allow_offline_access"`
	SkipConsentForVerifiableFirstPartyClients *bool           `json:"skip_consent_for_verifiable_first_party_clients"`
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

func (h *Handler) listResourceServers(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	list, total, err := h.st.ListResourceServers(c.r.Context(), p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, rs := range list {
		items[i] = rs
	}
	c.list(p, "resource_servers", items, total)
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

func (h *Handler) loadResourceServer(c *call) (*domain.ResourceServer, bool) {
	return load(c, func(ctx context.Context, id string) (*domain.ResourceServer, error) {
		return findResourceServer(ctx, h.st, id)
	}, c.r.PathValue("id"), nfResourceServer)
}

func (h *Handler) getResourceServer(c *call) {
	if rs, ok := h.loadResourceServer(c); ok {
		c.json(http.StatusOK, rs)
	}
}

func (h *Handler) createResourceServer(c *call) {
	var b resourceServerBody
	if !c.decode(&b) {
		return
	}
	if b.Identifier == nil {
		c.invalid("identifier", "Missing required property: identifier")
		return
	}
	now := h.now().UTC()
	rs := &domain.ResourceServer{ID: domain.NewResourceServerID(), Identifier: *b.Identifier, CreatedAt: now, UpdatedAt: now}
	b.apply(rs)
	if rs.Name == "" {
		rs.Name = rs.Identifier // Auth0 names an unnamed API after its identifier
	}
	if b.TokenLifetimeForWeb == nil && rs.TokenLifetime > 0 && rs.TokenLifetime < 7200 {
		rs.TokenLifetimeForWeb = rs.TokenLifetime
	}
	domain.ApplyResourceServerDefaults(rs)
	if err := rs.Validate(); err != nil {
		c.fail(err)
		return
	}
	if err := h.st.CreateResourceServer(c.r.Context(), rs); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "conflict", "A resource server with the same identifier already exists: %s", rs.Identifier)
			return
		}
		c.fail(err)
		return
	}
	c.json(http.StatusCreated, rs)
}

func (h *Handler) updateResourceServer(c *call) {
	var b resourceServerBody
	if !c.decode(&b) {
		return
	}
	rs, ok := h.loadResourceServer(c)
	if !ok {
		return
	}
	if rs.IsSystem {
		c.errorf(http.StatusForbidden, codeNotSupported, "The Management API (a system resource server) cannot be changed")
		return
	}
	if b.Identifier != nil && *b.Identifier != rs.Identifier {
		c.invalid("identifier", "identifier cannot be changed")
		return
	}
	b.apply(rs)
	if rs.TokenLifetimeForWeb > rs.TokenLifetime && b.TokenLifetimeForWeb == nil {
		rs.TokenLifetimeForWeb = rs.TokenLifetime
	}
	if err := rs.Validate(); err != nil {
		c.fail(err)
		return
	}
	rs.UpdatedAt = h.now().UTC()
	if err := h.st.UpdateResourceServer(c.r.Context(), rs); err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, rs)
}

func (h *Handler) deleteResourceServer(c *call) {
	rs, ok := h.loadResourceServer(c)
	if !ok {
		return
	}
	if rs.IsSystem {
		c.errorf(http.StatusForbidden, codeNotSupported, "The Management API (a system resource server) cannot be deleted")
		return
	}
	if err := h.st.DeleteResourceServer(c.r.Context(), rs.ID); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
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
