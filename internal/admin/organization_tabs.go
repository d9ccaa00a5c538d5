package admin

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// An organization's Members, Connections and Invitations tabs.

// orgMember is a member as /organizations/{id}/members?fields=roles lists them.
type orgMember struct {
	UserID string `json:"user_id"`
	Email  string `json:"email"`
	Name   string `json:"name"`
	Roles  []role `json:"roles"`
}

// orgConnection is an enabled connection of an organization.
type orgConnection struct {
	ConnectionID            string `json:"connection_id"`
	AssignMembershipOnLogin bool   `json:"assign_membership_on_login"`
	ShowAsButton            bool   `json:"show_as_button"`
	IsSignupEnabled         bool   `json:"is_signup_enabled"`
	Connection              struct {
		Name     string `json:"name"`
		Strategy string `json:"strategy"`
	} `json:"connection"`
}

// invitation is an organization's pending invitation.
type invitation struct {
	ID      string `json:"id"`
	Inviter struct {
		Name string `json:"name"`
	} `json:"inviter"`
	Invitee struct {
		Email string `json:"email"`
	} `json:"invitee"`
	ClientID      string   `json:"client_id"`
	ExpiresAt     string   `json:"expires_at"`
	Roles         []string `json:"roles"`
	InvitationURL string   `json:"invitation_url"`
}

// inviteClient is an application an invitation may be for: one with a login route
// (initiate_login_uri), which the invitation link opens.
type inviteClient struct {
	ClientID         string `json:"client_id"`
	Name             string `json:"name"`
	InitiateLoginURI string `json:"initiate_login_uri"`
}

// inviteForm is the invitation form as typed.
type inviteForm struct {
	Email, ClientID, RoleID, Inviter string
}

func (h *Handler) organizationMembersTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "members")
	if ok && h.fillOrganizationMembers(w, r, v, &d) {
		h.renderOrganization(w, r, v, http.StatusOK, d, "")
	}
}

// fillOrganizationMembers reads one page of members with their roles in the organization, and
// the tenant's roles to assign.
func (h *Handler) fillOrganizationMembers(w http.ResponseWriter, r *http.Request, v *viewer, d *orgTab) bool {
	_, page := listParams(r)
	q := url.Values{"include_totals": {"true"}, "per_page": {strconv.Itoa(perPage)}, "page": {strconv.Itoa(page)}, "fields": {"roles"}}
	var out struct {
		Members []orgMember `json:"members"`
		Total   int         `json:"total"`
	}
	if err := v.api.do(r.Context(), "GET", "organizations/"+url.PathEscape(d.Org.ID)+"/members?"+q.Encode(), nil, &out); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	roles, err := walk[role](r, v.api, "roles", "roles")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	d.Members, d.Roles, d.Pager = out.Members, roles, newPager(d.Base+"/members", nil, page, len(out.Members), out.Total)
	return true
}

// orgChange makes one change on an organization's tab and goes back to it, or shows the tab
// again with the API's refusal.
func (h *Handler) orgChange(w http.ResponseWriter, r *http.Request, v *viewer, tab, method, path string, body func() any, flash string,
	fill func(http.ResponseWriter, *http.Request, *viewer, *orgTab) bool, prepare func(*orgTab) string) {
	d, ok := h.loadOrganization(w, r, v, tab)
	if !ok {
		return
	}
	fail := func(status int, msg string) {
		if fill(w, r, v, &d) {
			h.renderOrganization(w, r, v, status, d, msg)
		}
	}
	if prepare != nil {
		if msg := prepare(&d); msg != "" {
			fail(http.StatusBadRequest, msg)
			return
		}
	}
	var b any
	if body != nil {
		b = body() // after prepare, which may have found what it sends
	}
	if err := v.api.do(r.Context(), method, "organizations/"+url.PathEscape(d.Org.ID)+path, b, nil); err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok {
			fail(status, msg)
		}
		return
	}
	redirect(w, r, d.Base+"/"+tab, flash)
}

// fixed is a request body known before the change is prepared.
func fixed(b any) func() any { return func() any { return b } }

// addOrganizationMember adds the user with the email typed (found through /users-by-email).
func (h *Handler) addOrganizationMember(w http.ResponseWriter, r *http.Request, v *viewer) {
	email := strings.TrimSpace(r.PostFormValue("email"))
	var ids []string
	body := func() any { return map[string]any{"members": ids} }
	h.orgChange(w, r, v, "members", "POST", "/members", body, "member-added", h.fillOrganizationMembers, func(d *orgTab) string {
		d.AddMember = email
		if email == "" {
			return "Type the email address of the user to add."
		}
		var found []user
		if err := v.api.do(r.Context(), "GET", "users-by-email?"+url.Values{"email": {email}}.Encode(), nil, &found); err != nil {
			return "The user could not be looked up."
		}
		if len(found) == 0 {
			return "No user has the email address " + email + "."
		}
		for _, u := range found {
			ids = append(ids, u.UserID)
		}
		return ""
	})
}

func (h *Handler) removeOrganizationMember(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.orgChange(w, r, v, "members", "DELETE", "/members", fixed(map[string]any{"members": []string{r.PostFormValue("user_id")}}),
		"member-removed", h.fillOrganizationMembers, nil)
}

func (h *Handler) addOrganizationMemberRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editOrganizationMemberRole(w, r, v, "POST", "member-role-added")
}

func (h *Handler) removeOrganizationMemberRole(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.editOrganizationMemberRole(w, r, v, "DELETE", "member-role-removed")
}

func (h *Handler) editOrganizationMemberRole(w http.ResponseWriter, r *http.Request, v *viewer, method, flash string) {
	uid, roleID := r.PostFormValue("user_id"), r.PostFormValue("role")
	h.orgChange(w, r, v, "members", method, "/members/"+url.PathEscape(uid)+"/roles", fixed(map[string]any{"roles": []string{roleID}}),
		flash, h.fillOrganizationMembers, func(*orgTab) string {
			if uid == "" || roleID == "" {
				return "Choose a role."
			}
			return ""
		})
}

func (h *Handler) organizationConnectionsTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "connections")
	if ok && h.fillOrganizationConnections(w, r, v, &d) {
		h.renderOrganization(w, r, v, http.StatusOK, d, "")
	}
}

func (h *Handler) fillOrganizationConnections(w http.ResponseWriter, r *http.Request, v *viewer, d *orgTab) bool {
	var err error
	if d.Connections, err = walk[orgConnection](r, v.api, "organizations/"+url.PathEscape(d.Org.ID)+"/enabled_connections", "enabled_connections"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	all, err := walk[connection](r, v.api, "connections", "connections")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	enabled := map[string]bool{}
	for _, c := range d.Connections {
		enabled[c.ConnectionID] = true
	}
	for _, c := range all {
		if !enabled[c.ID] {
			d.Available = append(d.Available, c)
		}
	}
	return true
}

// connectionSettings reads the enabled connection's checkboxes. Signup needs membership on login
// (Auth0's rule, which the API enforces).
func connectionSettings(r *http.Request) map[string]any {
	return map[string]any{
		"assign_membership_on_login": r.PostFormValue("assign_membership_on_login") == "on",
		"show_as_button":             r.PostFormValue("show_as_button") == "on",
		"is_signup_enabled":          r.PostFormValue("is_signup_enabled") == "on",
	}
}

func (h *Handler) enableOrganizationConnection(w http.ResponseWriter, r *http.Request, v *viewer) {
	body := connectionSettings(r)
	body["connection_id"] = r.PostFormValue("connection_id")
	h.orgChange(w, r, v, "connections", "POST", "/enabled_connections", fixed(body), "connection-enabled", h.fillOrganizationConnections,
		func(*orgTab) string {
			if body["connection_id"] == "" {
				return "Choose a connection."
			}
			return ""
		})
}

func (h *Handler) updateOrganizationConnection(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.orgChange(w, r, v, "connections", "PATCH", "/enabled_connections/"+url.PathEscape(r.PostFormValue("connection_id")),
		fixed(connectionSettings(r)), "saved", h.fillOrganizationConnections, nil)
}

func (h *Handler) disableOrganizationConnection(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.orgChange(w, r, v, "connections", "DELETE", "/enabled_connections/"+url.PathEscape(r.PostFormValue("connection_id")),
		nil, "connection-disabled", h.fillOrganizationConnections, nil)
}

func (h *Handler) organizationInvitationsTab(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "invitations")
	if ok && h.fillOrganizationInvitations(w, r, v, &d) {
		d.Invite.Inviter = v.Email
		h.renderOrganization(w, r, v, http.StatusOK, d, "")
	}
}

// fillOrganizationInvitations reads the pending invitations, and the applications and roles the
// form offers: an invitation's link is its application's initiate_login_uri.
func (h *Handler) fillOrganizationInvitations(w http.ResponseWriter, r *http.Request, v *viewer, d *orgTab) bool {
	var err error
	if d.Invitations, err = walk[invitation](r, v.api, "organizations/"+url.PathEscape(d.Org.ID)+"/invitations", "invitations"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	clients, err := walk[inviteClient](r, v.api, "clients?fields=client_id,name,initiate_login_uri&include_fields=true", "clients")
	if err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	d.Clients = nil
	for _, c := range clients {
		if c.InitiateLoginURI != "" { // the API refuses an invitation for any other
			d.Clients = append(d.Clients, c)
		}
	}
	if d.Roles, err = walk[role](r, v.api, "roles", "roles"); err != nil {
		h.apiFailed(w, r, v, err)
		return false
	}
	return true
}

// inviteToOrganization creates an invitation (the API mails it) and shows its link once.
func (h *Handler) inviteToOrganization(w http.ResponseWriter, r *http.Request, v *viewer) {
	d, ok := h.loadOrganization(w, r, v, "invitations")
	if !ok {
		return
	}
	f := inviteForm{Email: strings.TrimSpace(r.PostFormValue("email")), ClientID: r.PostFormValue("client_id"),
		RoleID: r.PostFormValue("role"), Inviter: strings.TrimSpace(r.PostFormValue("inviter"))}
	d.Invite = f
	body := map[string]any{"inviter": map[string]any{"name": f.Inviter}, "invitee": map[string]any{"email": f.Email}, "client_id": f.ClientID}
	if f.RoleID != "" {
		body["roles"] = []string{f.RoleID}
	}
	var created invitation
	err := v.api.do(r.Context(), "POST", "organizations/"+url.PathEscape(d.Org.ID)+"/invitations", body, &created)
	if err != nil {
		if status, msg, ok := h.refusal(w, r, v, err); ok && h.fillOrganizationInvitations(w, r, v, &d) {
			h.renderOrganization(w, r, v, status, d, msg)
		}
		return
	}
	if !h.fillOrganizationInvitations(w, r, v, &d) {
		return
	}
	d.CreatedURL, d.Invite = created.InvitationURL, inviteForm{Inviter: f.Inviter, ClientID: f.ClientID}
	h.render(w, r, http.StatusOK, "organization", &layoutData{Title: d.Org.Label(), Nav: "organizations",
		Flash: "Invitation sent to " + f.Email + ".", Data: d}, v)
}

func (h *Handler) deleteOrganizationInvitation(w http.ResponseWriter, r *http.Request, v *viewer) {
	h.orgChange(w, r, v, "invitations", "DELETE", "/invitations/"+url.PathEscape(r.PostFormValue("invitation_id")), nil,
		"invitation-deleted", h.fillOrganizationInvitations, nil)
}
