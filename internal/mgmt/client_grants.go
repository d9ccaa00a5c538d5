package mgmt

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

func (h *Handler) grantRoutes() []route {
	read := []string{"read:client_grants"}
	return []route{
		{method: "GET", path: "/client-grants", scopes: read, fn: h.listGrants},
		{method: "POST", path: "/client-grants", scopes: []string{"create:client_grants"}, desc: "Create client grant", fn: h.createGrant},
		{method: "GET", path: "/client-grants/{id}", scopes: read, fn: h.getGrant},
		{method: "PATCH", path: "/client-grants/{id}", scopes: []string{"update:client_grants"}, desc: "Update client grant", fn: h.updateGrant},
		{method: "DELETE", path: "/client-grants/{id}", scopes: []string{"delete:client_grants"}, desc: "Delete client grant", fn: h.deleteGrant},
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

func (h *Handler) listGrants(c *call) {
	p, ok := c.parsePaging()
	if !ok {
		return
	}
	q := c.r.URL.Query()
	list, total, err := h.st.ListClientGrants(c.r.Context(), store.ClientGrantFilter{ClientID: q.Get("client_id"), Audience: q.Get("audience")}, p.Page)
	if err != nil {
		c.fail(err)
		return
	}
	items := make([]any, len(list))
	for i, g := range list {
		items[i] = grantView{g}
	}
	c.list(p, "client_grants", items, total)
}

func (h *Handler) loadGrant(c *call) (*domain.ClientGrant, bool) {
	return load(c, h.st.GetClientGrant, c.r.PathValue("id"), nfGrant)
}

func (h *Handler) getGrant(c *call) {
	if g, ok := h.loadGrant(c); ok {
		c.json(http.StatusOK, grantView{g})
	}
}

// checkGrantScopes refuses scopes the API does not define. The Management API's own scopes are
// defined by Gatehouse; when its record lists none, any scope is accepted.
func checkGrantScopes(c *call, rs *domain.ResourceServer, scopes []string) bool {
	if rs.IsSystem && len(rs.Scopes) == 0 {
		return true
	}
	for i, s := range scopes {
		if !rs.HasScope(s) {
			c.invalid("scope["+strconv.Itoa(i)+"]", "%q is not a permission of the API %s", s, rs.Identifier)
			return false
		}
	}
	return true
}

func (h *Handler) createGrant(c *call) {
	var b grantBody
	if !c.decode(&b) {
		return
	}
	switch {
	case b.ClientID == nil:
		c.invalid("client_id", "Missing required property: client_id")
		return
	case b.Audience == nil:
		c.invalid("audience", "Missing required property: audience")
		return
	case b.Scope == nil:
		c.invalid("scope", "Missing required property: scope")
		return
	}
	if b.SubjectType != nil && *b.SubjectType != "client" {
		c.invalid("subject_type", "%q is not supported; use client", *b.SubjectType)
		return
	}
	g := &domain.ClientGrant{ID: domain.NewClientGrantID(), ClientID: *b.ClientID, Audience: *b.Audience, Scope: *b.Scope, CreatedAt: h.now().UTC()}
	if err := g.Validate(); err != nil {
		c.fail(err)
		return
	}
	ctx := c.r.Context()
	if _, err := h.st.GetClient(ctx, g.ClientID); errors.Is(err, store.ErrNotFound) {
		c.notFound(nfClient)
		return
	} else if err != nil {
		c.fail(err)
		return
	}
	rs, err := h.st.GetResourceServerByIdentifier(ctx, g.Audience)
	if errors.Is(err, store.ErrNotFound) {
		c.errorf(http.StatusNotFound, nfResourceServer.code, "No resource server found by identifier %s", g.Audience)
		return
	} else if err != nil {
		c.fail(err)
		return
	}
	if !checkGrantScopes(c, rs, g.Scope) {
		return
	}
	if err := h.st.CreateClientGrant(ctx, g); err != nil {
		if errors.Is(err, store.ErrConflict) {
			c.errorf(http.StatusConflict, "client_grant_conflict", "A client grant for client %s and audience %s already exists", g.ClientID, g.Audience)
			return
		}
		c.fail(err)
		return
	}
	c.json(http.StatusCreated, grantView{g})
}

func (h *Handler) updateGrant(c *call) {
	var b grantBody
	if !c.decode(&b) {
		return
	}
	if b.ClientID != nil || b.Audience != nil {
		c.invalid("audience", "client_id and audience of a client grant cannot be changed")
		return
	}
	g, ok := h.loadGrant(c)
	if !ok || !h.grantChangeable(c, g, "changed") {
		return
	}
	if b.Scope != nil {
		g.Scope = *b.Scope
	}
	if err := g.Validate(); err != nil {
		c.fail(err)
		return
	}
	rs, err := h.st.GetResourceServerByIdentifier(c.r.Context(), g.Audience)
	if err != nil {
		c.fail(err)
		return
	}
	if !checkGrantScopes(c, rs, g.Scope) {
		return
	}
	if err := h.st.UpdateClientGrant(c.r.Context(), g); err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, grantView{g})
}

func (h *Handler) deleteGrant(c *call) {
	g, ok := h.loadGrant(c)
	if !ok || !h.grantChangeable(c, g, "deleted") {
		return
	}
	if err := h.st.DeleteClientGrant(c.r.Context(), g.ID); err != nil {
		c.fail(err)
		return
	}
	c.noContent()
}

// grantChangeable refuses, with the 403 a system client's delete gets, a change to the grant through
// which Gatehouse's own client reaches the Management API: narrowing or deleting it locks the
// tenant's tools out. The system client's grants for other APIs stay the caller's to manage.
func (h *Handler) grantChangeable(c *call, g *domain.ClientGrant, verb string) bool {
	if g.Audience != h.audience {
		return true
	}
	cl, err := h.st.GetClient(c.r.Context(), g.ClientID)
	if errors.Is(err, store.ErrNotFound) {
		return true
	}
	if err != nil {
		c.fail(err)
		return false
	}
	if cl.IsSystem {
		c.errorf(http.StatusForbidden, codeNotSupported, "The client grant %s is used by Gatehouse itself and cannot be %s", g.ID, verb)
		return false
	}
	return true
}
