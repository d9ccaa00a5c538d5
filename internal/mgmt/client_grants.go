package mgmt

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// grants serves /client-grants: which client may ask for which API's permissions.
type grants struct {
	grants   store.ClientGrantStore
	clients  store.ClientStore         // a grant's client must exist; the system client's grant is kept
	apis     store.ResourceServerStore // a grant's scopes must be its API's permissions
	audience string                    // the Management API's identifier
	now      func() time.Time
}

func (h *Handler) grantRoutes() []route {
	g := &grants{grants: h.st, clients: h.st, apis: h.st, audience: h.audience, now: h.now}
	read := []string{"read:client_grants"}
	return []route{
		{method: "GET", path: "/client-grants", scopes: read, fn: g.list},
		{method: "POST", path: "/client-grants", scopes: []string{"create:client_grants"}, desc: "Create client grant", fn: g.create},
		{method: "GET", path: "/client-grants/{id}", scopes: read, fn: g.get},
		{method: "PATCH", path: "/client-grants/{id}", scopes: []string{"update:client_grants"}, desc: "Update client grant", fn: g.update},
		{method: "DELETE", path: "/client-grants/{id}", scopes: []string{"delete:client_grants"}, desc: "Delete client grant", fn: g.delete},
	}
}

// grantBody is a client grant request (spec §3.3). The organization and subject-type fields are
// accepted for compatibility; Gatehouse grants are client-subject, organization-free.
type grantBody struct {
	ClientID             *string   `json:"client_id"`
	Audience             *string   `json:"audience"`
	Scope                *[]string `json:"scope"`
	OrganizationUsage    *string   `json:"organization_usage"`
	AllowAnyOrganization *bool     `json:"allow_any_organization"`
	SubjectType          *string   `json:"subject_type"`
}

type grantView struct {
	*domain.ClientGrant
}

// list serves offset paging and Auth0's checkpoint paging (from/take, which win when both are sent,
// as auth0 v7's clientGrants.list always sends take): {client_grants, next} while more remain.
func (g *grants) list(c *call) (int, any, error) {
	q := c.r.URL.Query()
	checkpoint := q.Has("from") || q.Has("take")
	p, err := c.parsePaging()
	if err != nil {
		return 0, nil, err
	}
	var offset int
	if checkpoint {
		if offset, p.PerPage, err = c.parseCheckpoint(); err != nil {
			return 0, nil, err
		}
	}
	pg, skip := p.Page, 0
	if checkpoint {
		pg, skip = pageAt(offset, p.PerPage)
	}
	list, total, err := g.grants.ListClientGrants(c.ctx(), store.ClientGrantFilter{ClientID: q.Get("client_id"), Audience: q.Get("audience")}, pg)
	if err != nil {
		return 0, nil, err
	}
	items := views(list[min(skip, len(list)):], func(cg *domain.ClientGrant) any { return grantView{cg} })
	if !checkpoint {
		return http.StatusOK, p.list("client_grants", items, total), nil
	}
	out := map[string]any{"client_grants": items}
	if next := offset + len(items); len(items) > 0 && next < total {
		out["next"] = encodeCursor(next)
	}
	return http.StatusOK, out, nil
}

func (g *grants) load(c *call) (*domain.ClientGrant, error) {
	return load(c.ctx(), g.grants.GetClientGrant, c.r.PathValue("id"), nfGrant)
}

func (g *grants) get(c *call) (int, any, error) {
	cg, err := g.load(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, grantView{cg}, nil
}

// checkScopes refuses scopes the API does not define. The Management API's own scopes are defined
// by Gatehouse; when its record lists none, any scope is accepted.
func checkScopes(rs *domain.ResourceServer, scopes []string) error {
	if rs.IsSystem && len(rs.Scopes) == 0 {
		return nil
	}
	for i, s := range scopes {
		if !rs.HasScope(s) {
			return domain.Invalidf("scope["+strconv.Itoa(i)+"]", "%q is not a permission of the API %s", s, rs.Identifier)
		}
	}
	return nil
}

func (g *grants) create(c *call) (int, any, error) {
	var b grantBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	switch {
	case b.ClientID == nil:
		return 0, nil, domain.Invalidf("client_id", "Missing required property: client_id")
	case b.Audience == nil:
		return 0, nil, domain.Invalidf("audience", "Missing required property: audience")
	case b.Scope == nil:
		return 0, nil, domain.Invalidf("scope", "Missing required property: scope")
	}
	if b.SubjectType != nil && *b.SubjectType != "client" {
		return 0, nil, domain.Invalidf("subject_type", "%q is not supported; use client", *b.SubjectType)
	}
	cg := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: *b.ClientID, Audience: *b.Audience, Scope: *b.Scope, CreatedAt: g.now().UTC()}
	if err := cg.Validate(); err != nil {
		return 0, nil, err
	}
	ctx := c.ctx()
	if _, err := load(ctx, g.clients.GetClient, cg.ClientID, nfClient); err != nil {
		return 0, nil, err
	}
	rs, err := load(ctx, g.apis.GetResourceServerByIdentifier, cg.Audience,
		&apiError{http.StatusNotFound, nfResourceServer.code, "No resource server found by identifier " + cg.Audience})
	if err != nil {
		return 0, nil, err
	}
	if err := checkScopes(rs, cg.Scope); err != nil {
		return 0, nil, err
	}
	if err := g.grants.CreateClientGrant(ctx, cg); err != nil {
		return 0, nil, onConflict(err, refuse(http.StatusConflict, "client_grant_conflict", "A client grant for client %s and audience %s already exists", cg.ClientID, cg.Audience))
	}
	return http.StatusCreated, grantView{cg}, nil
}

func (g *grants) update(c *call) (int, any, error) {
	var b grantBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	if b.ClientID != nil || b.Audience != nil {
		return 0, nil, domain.Invalidf("audience", "client_id and audience of a client grant cannot be changed")
	}
	cg, err := g.loadChangeable(c, "changed")
	var refusal *apiError
	if errors.As(err, &refusal) && refusal.status == http.StatusForbidden {
		// A body that changes nothing is accepted (a tool writing back what it read, as the Auth0
		// Deploy CLI's import does); any change is refused.
		if same, lerr := g.load(c); lerr == nil && (b.Scope == nil || slices.Equal(*b.Scope, same.Scope)) {
			return http.StatusOK, grantView{same}, nil
		}
	}
	if err != nil {
		return 0, nil, err
	}
	if b.Scope != nil {
		cg.Scope = *b.Scope
	}
	if err := cg.Validate(); err != nil {
		return 0, nil, err
	}
	rs, err := g.apis.GetResourceServerByIdentifier(c.ctx(), cg.Audience)
	if err != nil {
		return 0, nil, err
	}
	if err := checkScopes(rs, cg.Scope); err != nil {
		return 0, nil, err
	}
	if err := g.grants.UpdateClientGrant(c.ctx(), cg); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, grantView{cg}, nil
}

func (g *grants) delete(c *call) (int, any, error) {
	cg, err := g.loadChangeable(c, "deleted")
	if err != nil {
		return 0, nil, err
	}
	return http.StatusNoContent, nil, g.grants.DeleteClientGrant(c.ctx(), cg.ID)
}

// loadChangeable loads the grant the path names, refusing with the 403 a system client's delete
// gets a change to the grant through which Gatehouse's own client reaches the Management API:
// narrowing or deleting it locks the tenant's tools out. The system client's grants for other APIs
// stay the caller's to manage.
func (g *grants) loadChangeable(c *call, verb string) (*domain.ClientGrant, error) {
	cg, err := g.load(c)
	if err != nil || cg.Audience != g.audience {
		return cg, err
	}
	cl, err := g.clients.GetClient(c.ctx(), cg.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return cg, nil
	}
	if err != nil {
		return nil, err
	}
	if cl.IsSystem {
		return nil, refuse(http.StatusForbidden, codeNotSupported, "The client grant %s is used by Gatehouse itself and cannot be %s", cg.ID, verb)
	}
	return cg, nil
}
