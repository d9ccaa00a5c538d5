package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/web"
)

// The Organizations pages: the B2B customers of the tenant's applications, each with its login
// page branding, members and their roles in it, the connections its members sign in with, and
// invitations. Every read and write is a Management API call (/api/v2/organizations/…).

func (h *Handler) organizationRoutes(mux *http.ServeMux) {
	const base = Path + "organizations/{id}"
	mux.Handle("GET "+Path+"organizations", h.page(h.organizations))
	mux.Handle("GET "+Path+"organizations/new", h.page(h.newOrganization))
	mux.Handle("POST "+Path+"organizations/new", h.page(h.createOrganization))
	mux.Handle("GET "+base, h.page(h.organizationSettings))
	mux.Handle("POST "+base, h.page(h.saveOrganization))
	mux.Handle("GET "+base+"/delete", h.page(h.confirmDeleteOrganization))
	mux.Handle("POST "+base+"/delete", h.page(h.deleteOrganization))
	mux.Handle("GET "+base+"/members", h.page(h.organizationMembersTab))
	mux.Handle("POST "+base+"/members", h.page(h.addOrganizationMember))
	mux.Handle("POST "+base+"/members/remove", h.page(h.removeOrganizationMember))
	mux.Handle("POST "+base+"/members/roles", h.page(h.addOrganizationMemberRole))
	mux.Handle("POST "+base+"/members/roles/remove", h.page(h.removeOrganizationMemberRole))
	mux.Handle("GET "+base+"/connections", h.page(h.organizationConnectionsTab))
	mux.Handle("POST "+base+"/connections", h.page(h.enableOrganizationConnection))
	mux.Handle("POST "+base+"/connections/update", h.page(h.updateOrganizationConnection))
	mux.Handle("POST "+base+"/connections/remove", h.page(h.disableOrganizationConnection))
	mux.Handle("GET "+base+"/invitations", h.page(h.organizationInvitationsTab))
	mux.Handle("POST "+base+"/invitations", h.page(h.inviteToOrganization))
	mux.Handle("POST "+base+"/invitations/remove", h.page(h.deleteOrganizationInvitation))
}

// organization is an organization as the Management API returns it.
type organization struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	DisplayName string         `json:"display_name"`
	Branding    *orgBranding   `json:"branding,omitempty"`
	Metadata    map[string]any `json:"metadata,omitempty"`
}

type orgBranding struct {
	LogoURL string     `json:"logo_url,omitempty"`
	Colors  *orgColors `json:"colors,omitempty"`
}

type orgColors struct {
	Primary        string `json:"primary,omitempty"`
	PageBackground string `json:"page_background,omitempty"`
}

// Label is the display name, else the name.
func (o organization) Label() string {
	if o.DisplayName != "" {
		return o.DisplayName
	}
	return o.Name
}

// orgForm is the Settings form (and the Create form) as typed.
type orgForm struct {
	Name, DisplayName, LogoURL, Primary, PageBackground string
	// The preview of the organization's login page, as the tenant's branding page draws it: the
	// hosted pages' stylesheet for the colours, the saved logo (its origin added to the CSP).
	PreviewCSS, PreviewLogo, Tenant string
}

func formOf(o organization) orgForm {
	f := orgForm{Name: o.Name, DisplayName: o.DisplayName}
	if b := o.Branding; b != nil {
		f.LogoURL = b.LogoURL
		if c := b.Colors; c != nil {
			f.Primary, f.PageBackground = c.Primary, c.PageBackground
		}
	}
	return f
}

func readOrgForm(r *http.Request) orgForm {
	v := func(k string) string { return strings.TrimSpace(r.PostFormValue(k)) }
	return orgForm{Name: v("name"), DisplayName: v("display_name"), LogoURL: v("logo_url"),
		Primary: v("primary"), PageBackground: v("page_background")}
}

// body is the API's request for the form. Branding replaces the organization's whole branding,
// so an emptied field removes that part (an all-empty branding is sent as {}: nothing).
func (f orgForm) body() map[string]any {
	b := map[string]any{}
	if f.LogoURL != "" {
		b["logo_url"] = f.LogoURL
	}
	colors := map[string]any{}
	if f.Primary != "" {
		colors["primary"] = f.Primary
	}
	if f.PageBackground != "" {
		colors["page_background"] = f.PageBackground
	}
	if len(colors) > 0 {
		b["colors"] = colors
	}
	return map[string]any{"name": f.Name, "display_name": f.DisplayName, "branding": b}
}

type orgListData struct {
	Rows  []organization
	Pager pager
}

func (h *Handler) organizations(w http.ResponseWriter, r *http.Request, v *viewer) {
	_, page := listParams(r)
	q := url.Values{"include_totals": {"true"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}}
	var out struct {
		Organizations []organization `json:"organizations"`
		Total         int            `json:"total"`
	}
	if err := v.api.do(r.Context(), "GET", "organizations?"+q.Encode(), nil, &out); err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	d := orgListData{Rows: out.Organizations, Pager: newPager(Path+"organizations", nil, page, len(out.Organizations), out.Total)}
	h.render(w, r, http.StatusOK, "organizations", &layoutData{Title: "Organizations", Nav: "organizations", Flash: flashFor(r), Data: d}, v)
}

func (h *Handler) newOrganization(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.render(w, r, http.StatusOK, "organization_new", &layoutData{Title: "Create organization", Nav: "organizations", Data: orgForm{}}, v)
}

// createOrganization creates the organization with the tenant's database connection enabled, so
// that its members can sign in with a password from the start (the Connections tab changes it).
func (h *Handler) createOrganization(w http.ResponseWriter, r *http.Request, v *viewer) {
	f := readOrgForm(r)
	body := f.body()
	if conns, err := walk[connection](r, v.api, "connections?strategy=auth0", "connections"); err == nil && len(conns) > 0 {
		body["enabled_connections"] = []map[string]any{{"connection_id": conns[0].ID}}
	}
	var created organization
	if err := v.api.do(r.Context(), "POST", "organizations", body, &created); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.render(w, r, status, "organization_new", &layoutData{Title: "Create organization", Nav: "organizations", Error: msg, Data: f}, v)
		}
		return
	}
	redirect(w, r, Path+"organizations/"+url.PathEscape(created.ID)+"/members", "created")
}

// orgTab is what every tab of one organization reads.
type orgTab struct {
	Org      organization
	Form     orgForm
	Base     string
	Tab      string
	CanWrite bool
	// Members tab
	Members   []orgMember
	Roles     []role // every role, to assign in the organization
	Pager     pager
	AddMember string
	// Connections tab
	Connections []orgConnection
	Available   []connection // connections not enabled yet
	// Invitations tab
	Invitations []invitation
	Clients     []inviteClient
	Invite      inviteForm
	CreatedURL  string // the invitation link just created, shown once
}

func (h *Handler) loadOrganization(w http.ResponseWriter, r *http.Request, v *viewer, tab string) (orgTab, bool) {
	var o organization
	if err := v.api.do(r.Context(), "GET", "organizations/"+url.PathEscape(r.PathValue("id")), nil, &o); err != nil {
		h.apiFailed(w, r, v, err)
		return orgTab{}, false
	}
	return orgTab{Org: o, Form: formOf(o), Base: Path + "organizations/" + url.PathEscape(o.ID), Tab: tab,
		CanWrite: v.Can("update:organizations")}, true
}

func (h *Handler) renderOrganization(w http.ResponseWriter, r *http.Request, v *viewer, status int, d orgTab, msg string) {
	if d.Tab == "settings" {
		d.Form.PreviewCSS = web.BrandingStylesheet(d.Form.Primary, d.Form.PageBackground, previewScope)
		d.Form.Tenant = d.Org.Label()
		if b := d.Org.Branding; b != nil {
			if u, err := url.Parse(b.LogoURL); b.LogoURL != "" && err == nil && u.Scheme == "https" && u.Host != "" {
				d.Form.PreviewLogo = b.LogoURL
				w.Header().Set("Content-Security-Policy", httpserver.DefaultContentSecurityPolicy+" https://"+u.Host)
			}
		}
	}
	flash := ""
	if msg == "" {
		flash = flashFor(r)
	}
	h.render(w, r, status, "organization", &layoutData{Title: d.Org.Label(), Nav: "organizations", Error: msg, Flash: flash, Data: d}, v)
}

func (h *Handler) organizationSettings(w http.ResponseWriter, r *http.Request, v *viewer) {
	if d, ok := h.loadOrganization(w, r, v, "settings"); ok {
		h.renderOrganization(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) saveOrganization(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "settings")
	if !ok {
		return
	}
	d.Form = readOrgForm(r)
	if err := v.api.do(r.Context(), "PATCH", "organizations/"+url.PathEscape(d.Org.ID), d.Form.body(), nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderOrganization(w, r, v, status, d, msg)
		}
		return
	}
	redirect(w, r, d.Base, "saved")
}

func (h *Handler) confirmDeleteOrganization(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "settings")
	if !ok {
		return
	}
	h.renderConfirmDelete(w, r, v, http.StatusOK, "", deleteData{Kind: "organization", Name: d.Org.Label(),
		Consequence: "Its members lose their membership and their roles in it, its invitations stop working, and refresh tokens issued through it are refused.",
		Action:      d.Base + "/delete", Back: d.Base, Nav: "organizations", Allowed: v.Can("delete:organizations")})
}

func (h *Handler) deleteOrganization(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "settings")
	if !ok {
		return
	}
	if !h.recentSignIn(w, r, v, "delete the organization "+d.Org.Label(), d.Base+"/delete") {
		return
	}
	if err := v.api.do(r.Context(), "DELETE", "organizations/"+url.PathEscape(d.Org.ID), nil, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			h.renderConfirmDelete(w, r, v, status, msg, deleteData{Kind: "organization", Name: d.Org.Label(),
				Action: d.Base + "/delete", Back: d.Base, Nav: "organizations"})
		}
		return
	}
	redirect(w, r, Path+"organizations", "deleted")
}
