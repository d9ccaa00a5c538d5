package app_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/store"
)

var createdOrg = regexp.MustCompile(`/admin/organizations/(org_[A-Za-z0-9]+)/members`)

// Organizations through the dashboard: created (with the database connection), a duplicate name
// refused with the API's message, branding saved and a bad colour refused unchanged, members added
// by email with roles in the organization, connections enabled, changed and disabled, an
// invitation sent and deleted, the organization deleted; nothing for a read-only administrator, a
// tenant user or a forged form.
func TestDashboardOrganizations(t *testing.T) {
	n := startNode(t, roomyManagementLimit)
	ctx := context.Background()
	admin, csrf := dashboardAdmin(t, n)
	m := newMgmtClient(t, n)
	m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"initiate_login_uri": "https://app.example.org/login"})
	var adminRole string
	_, roles := m.do("GET", "roles", nil)
	for _, r := range roles["list"].([]any) {
		if r := r.(map[string]any); r["name"] == "admin" {
			adminRole = r["id"].(string)
		}
	}
	list := n.issuer + "admin/organizations"
	if _, page := get(t, admin, list); !strings.Contains(page, "No organizations yet") {
		t.Fatalf("empty list:\n%s", page)
	}

	resp, _ := post(t, admin, list+"/new", url.Values{"csrf": {csrf}, "name": {"acme"}, "display_name": {"Acme Inc."}})
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !createdOrg.MatchString(loc) {
		t.Fatalf("create: %d %s", resp.StatusCode, loc)
	}
	orgID := createdOrg.FindStringSubmatch(loc)[1]
	base := list + "/" + orgID
	conns, err := n.Store.ListOrganizationConnections(ctx, orgID)
	if err != nil || len(conns) != 1 || conns[0].ConnectionName != devtenantConnection {
		t.Fatalf("a new organization's connections: %v %v", conns, err)
	}
	if resp, page := post(t, admin, list+"/new", url.Values{"csrf": {csrf}, "name": {"acme"}}); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(page, "already exists") || !strings.Contains(page, `value="acme"`) {
		t.Errorf("duplicate name: %d\n%s", resp.StatusCode, page)
	}
	if all, total, _ := n.Store.ListOrganizations(ctx, store.Page{}); total != 1 {
		t.Errorf("after a duplicate: %d organizations %v", total, all)
	}
	if _, page := get(t, admin, list); !strings.Contains(page, `href="/admin/organizations/`+orgID+`">Acme Inc.</a>`) {
		t.Errorf("list:\n%s", page)
	}

	// Settings: branding saved; a bad colour refused with the API's words, nothing changed.
	settings := url.Values{"csrf": {csrf}, "name": {"acme"}, "display_name": {"Acme Inc."}, "logo_url": {"https://cdn.example.org/acme.png"},
		"primary": {"#0b6e4f"}, "page_background": {"#e8f3ee"}}
	if resp, page := post(t, admin, base, settings); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save settings: %d\n%s", resp.StatusCode, page)
	}
	bad := cloneValues(settings)
	bad.Set("primary", "green")
	if resp, page := post(t, admin, base, bad); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "branding.colors.primary") {
		t.Errorf("bad colour: %d\n%s", resp.StatusCode, page)
	}
	o, _ := n.Store.GetOrganization(ctx, orgID)
	if o.Branding == nil || o.Branding.LogoURL != "https://cdn.example.org/acme.png" || o.Branding.Colors == nil || o.Branding.Colors.Primary != "#0b6e4f" {
		t.Fatalf("saved branding: %+v", o.Branding)
	}
	if resp, page := get(t, admin, base); !strings.Contains(page, "primary=0b6e4f") || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "https://cdn.example.org") {
		t.Errorf("settings tab without the preview of the saved branding:\n%s", page)
	}

	// Members: by email, an unknown address refused; a role in the organization, then taken away.
	user := n.tenant.Users[1]
	sub := userID(t, n, user.Email)
	members := base + "/members"
	if resp, page := post(t, admin, members, url.Values{"csrf": {csrf}, "email": {"nobody@example.com"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "No user has the email address nobody@example.com") {
		t.Errorf("unknown member: %d\n%s", resp.StatusCode, page)
	}
	for range 2 { // a member added twice is one member
		if resp, page := post(t, admin, members, url.Values{"csrf": {csrf}, "email": {user.Email}}); resp.StatusCode != http.StatusSeeOther {
			t.Fatalf("add member: %d\n%s", resp.StatusCode, page)
		}
	}
	if list, total, _ := n.Store.ListOrganizationMembers(ctx, orgID, store.Page{}); total != 1 || list[0].UserID != sub {
		t.Fatalf("members: %d %v", total, list)
	}
	if resp, _ := post(t, admin, members+"/roles", url.Values{"csrf": {csrf}, "user_id": {sub}, "role": {adminRole}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("assign role: %d", resp.StatusCode)
	}
	if rs, _, _ := n.Store.ListOrganizationMemberRoles(ctx, orgID, sub, store.Page{}); len(rs) != 1 || rs[0].ID != adminRole {
		t.Fatalf("member roles: %v", rs)
	}
	if _, page := get(t, admin, members); !strings.Contains(page, `<span class="pill">admin</span>`) || !strings.Contains(page, user.Email) {
		t.Errorf("members tab:\n%s", page)
	}
	if resp, _ := post(t, admin, members+"/roles/remove", url.Values{"csrf": {csrf}, "user_id": {sub}, "role": {adminRole}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove role: %d", resp.StatusCode)
	}
	if rs, _, _ := n.Store.ListOrganizationMemberRoles(ctx, orgID, sub, store.Page{}); len(rs) != 0 {
		t.Errorf("member roles after removal: %v", rs)
	}

	// Connections: auto-membership switched on, the connection disabled, then enabled again.
	connTab := base + "/connections"
	connID := conns[0].ConnectionID
	if resp, _ := post(t, admin, connTab+"/update", url.Values{"csrf": {csrf}, "connection_id": {connID}, "assign_membership_on_login": {"on"},
		"show_as_button": {"on"}, "is_signup_enabled": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("update connection: %d", resp.StatusCode)
	}
	if c, _ := n.Store.GetOrganizationConnection(ctx, orgID, connID); c == nil || !c.AssignMembershipOnLogin || !c.IsSignupEnabled {
		t.Errorf("updated connection: %+v", c)
	}
	// Sign up without auto-membership is the API's refusal, shown on the tab; nothing changes.
	if resp, page := post(t, admin, connTab+"/update", url.Values{"csrf": {csrf}, "connection_id": {connID}, "is_signup_enabled": {"on"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(page, "assign_membership_on_login") {
		t.Errorf("signup without auto-membership: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := post(t, admin, connTab+"/remove", url.Values{"csrf": {csrf}, "connection_id": {connID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("disable connection: %d", resp.StatusCode)
	}
	if cs, _ := n.Store.ListOrganizationConnections(ctx, orgID); len(cs) != 0 {
		t.Errorf("connections after disabling: %v", cs)
	}
	if _, page := get(t, admin, connTab); !strings.Contains(page, "nobody can sign in through this organization") || !strings.Contains(page, `<option value="`+connID+`">`) {
		t.Errorf("connections tab with none enabled:\n%s", page)
	}
	if resp, _ := post(t, admin, connTab, url.Values{"csrf": {csrf}, "connection_id": {connID}, "show_as_button": {"on"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("enable connection: %d", resp.StatusCode)
	}

	// Invitations: sent (the link shown once), listed, deleted.
	invTab := base + "/invitations"
	resp, page := post(t, admin, invTab, url.Values{"csrf": {csrf}, "email": {"new.member@example.com"}, "inviter": {"Ann"},
		"client_id": {n.tenant.WebApp.ClientID}, "role": {adminRole}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "https://app.example.org/login?invitation=") || !strings.Contains(page, "organization="+orgID) {
		t.Fatalf("invite: %d\n%s", resp.StatusCode, page)
	}
	invs, _, err := n.Store.ListInvitations(ctx, orgID, store.Page{})
	if err != nil || len(invs) != 1 || invs[0].Invitee.Email != "new.member@example.com" || len(invs[0].Roles) != 1 {
		t.Fatalf("invitations: %v %v", invs, err)
	}
	if resp, page := post(t, admin, invTab, url.Values{"csrf": {csrf}, "email": {"not-an-address"}, "inviter": {"Ann"},
		"client_id": {n.tenant.WebApp.ClientID}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "invitee.email") {
		t.Errorf("bad invitee: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := post(t, admin, invTab+"/remove", url.Values{"csrf": {csrf}, "invitation_id": {invs[0].ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete invitation: %d", resp.StatusCode)
	}
	if invs, _, _ := n.Store.ListInvitations(ctx, orgID, store.Page{}); len(invs) != 0 {
		t.Errorf("invitations after deletion: %v", invs)
	}

	// A forged form changes nothing; a read-only administrator and a tenant user change nothing.
	forged := cloneValues(settings)
	forged.Set("csrf", "forged")
	forged.Set("display_name", "Forged")
	if resp, _ := post(t, admin, base, forged); resp.StatusCode != http.StatusForbidden {
		t.Errorf("forged form: %d", resp.StatusCode)
	}
	readOnlyAndUserRefused(t, n, []string{list, base, members, connTab, invTab},
		[]roPost{{base, settings}, {list + "/new", url.Values{"name": {"initech"}}}, {members + "/remove", url.Values{"user_id": {sub}}},
			{connTab + "/remove", url.Values{"connection_id": {connID}}}, {base + "/delete", url.Values{}}})
	if o, _ := n.Store.GetOrganization(ctx, orgID); o.DisplayName != "Acme Inc." {
		t.Errorf("display name %q after refused forms", o.DisplayName)
	}
	if ok, _ := n.Store.IsOrganizationMember(ctx, orgID, sub); !ok {
		t.Errorf("a refused form removed the member")
	}

	if resp, _ := post(t, admin, members+"/remove", url.Values{"csrf": {csrf}, "user_id": {sub}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("remove member: %d", resp.StatusCode)
	}
	if ok, _ := n.Store.IsOrganizationMember(ctx, orgID, sub); ok {
		t.Errorf("still a member after removal")
	}
	if resp, page := post(t, admin, base+"/delete", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d\n%s", resp.StatusCode, page)
	}
	if _, err := n.Store.GetOrganization(ctx, orgID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after deletion: %v", err)
	}
}
