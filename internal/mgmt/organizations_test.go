package mgmt_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store/storetest"
)

func TestOrganizationsCRUD(t *testing.T) {
	e := newEnv(t)
	o := e.must(t, 201, "POST", "/organizations", map[string]any{
		"name": "acme", "display_name": "Acme Inc.",
		"branding": map[string]any{"logo_url": "https://acme.example/logo.png", "colors": map[string]any{"primary": "#0059d6", "page_background": "#000000"}},
		"metadata": map[string]any{"tier": "gold"},
	}).obj(t)
	id := o["id"].(string)
	if !strings.HasPrefix(id, "org_") || o["display_name"] != "Acme Inc." || o["metadata"].(map[string]any)["tier"] != "gold" {
		t.Fatalf("created %v", o)
	}
	if got := e.must(t, 200, "GET", "/organizations/name/acme", nil).obj(t); got["id"] != id {
		t.Fatalf("by name %v", got)
	}
	wantError(t, e.call(t, "admin", "GET", "/organizations/name/nope", nil), 404, "", "No organization found by that id or name", true)
	wantError(t, e.call(t, "admin", "GET", "/organizations/org_nope", nil), 404, "", "No organization found by that id or name", true)

	// Duplicate slug: 409, nothing written.
	wantError(t, e.call(t, "admin", "POST", "/organizations", map[string]any{"name": "acme"}), 409, "conflict", "already exists", false)
	// Bad input: not a slug, a bad color, an http logo, an unknown property.
	for _, body := range []map[string]any{
		{"name": "Acme Inc"},
		{"name": "ok", "branding": map[string]any{"colors": map[string]any{"primary": "blue"}}},
		{"name": "ok", "branding": map[string]any{"logo_url": "http://x.example/logo.png"}},
		{"name": "ok", "nope": true},
	} {
		if r := e.call(t, "admin", "POST", "/organizations", body); r.status != 400 {
			t.Fatalf("POST %v: %d %s", body, r.status, r.raw)
		}
	}
	if list := e.must(t, 200, "GET", "/organizations", nil).arr(t); len(list) != 1 {
		t.Fatalf("list %v", list)
	}
	// An organization named like a sub-resource is still found by name.
	e.must(t, 201, "POST", "/organizations", map[string]any{"name": "members"})
	if got := e.must(t, 200, "GET", "/organizations/name/members", nil).obj(t); got["name"] != "members" {
		t.Fatalf("by name members: %v", got)
	}
	// Checkpoint paging.
	first := e.must(t, 200, "GET", "/organizations?take=1", nil).obj(t)
	if len(first["organizations"].([]any)) != 1 || first["next"] == nil {
		t.Fatalf("first page %v", first)
	}
	second := e.must(t, 200, "GET", "/organizations?take=1&from="+url.QueryEscape(first["next"].(string)), nil).obj(t)
	if len(second["organizations"].([]any)) != 1 || second["next"] != nil {
		t.Fatalf("second page %v", second)
	}

	upd := e.must(t, 200, "PATCH", "/organizations/"+id, map[string]any{"display_name": "Acme Corp"}).obj(t)
	if upd["display_name"] != "Acme Corp" || upd["name"] != "acme" {
		t.Fatalf("patched %v", upd)
	}
	wantError(t, e.call(t, "admin", "PATCH", "/organizations/"+id, map[string]any{"name": "members"}), 409, "conflict", "already exists", false)
	wantError(t, e.call(t, "scopes:read:organizations", "DELETE", "/organizations/"+id, nil), 403, "insufficient_scope", "delete:organizations", false)
	e.must(t, 204, "DELETE", "/organizations/"+id, nil)
	e.must(t, 404, "GET", "/organizations/"+id, nil)
}

func TestOrganizationMembersAndRoles(t *testing.T) {
	e := newEnv(t)
	id := e.must(t, 201, "POST", "/organizations", map[string]any{"name": "acme"}).obj(t)["id"].(string)
	other := e.must(t, 201, "POST", "/organizations", map[string]any{"name": "other"}).obj(t)["id"].(string)
	u1, u2 := storetest.MustUser(t, e.st, "a@example.com"), storetest.MustUser(t, e.st, "b@example.com")
	role := storetest.MustRole(t, e.st, "admin")

	e.must(t, 204, "POST", "/organizations/"+id+"/members", map[string]any{"members": []string{u1.UserID, u2.UserID}})
	e.must(t, 204, "POST", "/organizations/"+id+"/members", map[string]any{"members": []string{u1.UserID}}) // twice
	if list := e.must(t, 200, "GET", "/organizations/"+id+"/members", nil).arr(t); len(list) != 2 {
		t.Fatalf("members %v", list)
	}
	// An unknown user: 404 and nobody added to the other organization.
	wantError(t, e.call(t, "admin", "POST", "/organizations/"+other+"/members", map[string]any{"members": []string{u1.UserID, "auth0|nope"}}), 404, "inexistent_user", "", false)
	if list := e.must(t, 200, "GET", "/organizations/"+other+"/members", nil).arr(t); len(list) != 0 {
		t.Fatalf("half-written members %v", list)
	}
	e.must(t, 400, "POST", "/organizations/"+id+"/members", map[string]any{"members": []string{}})

	page := e.must(t, 200, "GET", "/organizations/"+id+"/members?take=1", nil).obj(t)
	if len(page["members"].([]any)) != 1 || page["next"] == nil {
		t.Fatalf("members page %v", page)
	}

	roles := "/organizations/" + id + "/members/" + url.PathEscape(u1.UserID) + "/roles"
	e.must(t, 204, "POST", roles, map[string]any{"roles": []string{role.ID}})
	got := e.must(t, 200, "GET", roles, nil).arr(t)
	if len(got) != 1 || got[0].(map[string]any)["id"] != role.ID {
		t.Fatalf("member roles %v", got)
	}
	withRoles := e.must(t, 200, "GET", "/organizations/"+id+"/members?fields=roles", nil).arr(t)
	found := false
	for _, m := range withRoles {
		mm := m.(map[string]any)
		if mm["user_id"] == u1.UserID {
			found = len(mm["roles"].([]any)) == 1
		}
	}
	if !found {
		t.Fatalf("members with roles %v", withRoles)
	}
	// Roles are org-scoped: not the user's tenant-wide roles, and not in another organization.
	if list := e.must(t, 200, "GET", "/users/"+url.PathEscape(u1.UserID)+"/roles", nil).arr(t); len(list) != 0 {
		t.Fatalf("tenant-wide roles %v", list)
	}
	e.must(t, 404, "GET", "/organizations/"+other+"/members/"+url.PathEscape(u1.UserID)+"/roles", nil)
	e.must(t, 404, "POST", roles, map[string]any{"roles": []string{"rol_nope"}})

	orgs := e.must(t, 200, "GET", "/users/"+url.PathEscape(u1.UserID)+"/organizations", nil).arr(t)
	if len(orgs) != 1 || orgs[0].(map[string]any)["id"] != id {
		t.Fatalf("user organizations %v", orgs)
	}
	e.must(t, 204, "DELETE", roles, map[string]any{"roles": []string{role.ID}})
	e.must(t, 204, "DELETE", "/organizations/"+id+"/members", map[string]any{"members": []string{u1.UserID}})
	e.must(t, 404, "GET", roles, nil)
}

func TestOrganizationConnectionsAndInvitations(t *testing.T) {
	e := newEnv(t)
	id := e.must(t, 201, "POST", "/organizations", map[string]any{"name": "acme", "display_name": "Acme"}).obj(t)["id"].(string)
	conn, err := e.st.GetConnectionByName(t.Context(), domain.DefaultConnection)
	if err != nil {
		t.Fatal(err)
	}
	ec := e.must(t, 201, "POST", "/organizations/"+id+"/enabled_connections", map[string]any{"connection_id": conn.ID, "assign_membership_on_login": true}).obj(t)
	if ec["assign_membership_on_login"] != true || ec["show_as_button"] != true || ec["connection"].(map[string]any)["name"] != domain.DefaultConnection {
		t.Fatalf("enabled connection %v", ec)
	}
	e.must(t, 409, "POST", "/organizations/"+id+"/enabled_connections", map[string]any{"connection_id": conn.ID})
	e.must(t, 404, "POST", "/organizations/"+id+"/enabled_connections", map[string]any{"connection_id": "con_nope"})
	e.must(t, 400, "POST", "/organizations/"+id+"/enabled_connections", map[string]any{"connection_id": conn.ID, "is_signup_enabled": true})
	patched := e.must(t, 200, "PATCH", "/organizations/"+id+"/enabled_connections/"+conn.ID, map[string]any{"show_as_button": false}).obj(t)
	if patched["show_as_button"] != false || patched["assign_membership_on_login"] != true {
		t.Fatalf("patched connection %v", patched)
	}
	if list := e.must(t, 200, "GET", "/organizations/"+id+"/enabled_connections", nil).arr(t); len(list) != 1 {
		t.Fatalf("connections %v", list)
	}

	app := storetest.MustClient(t, e.st, "invite-app")
	role := storetest.MustRole(t, e.st, "member")
	body := map[string]any{"inviter": map[string]any{"name": "Ann"}, "invitee": map[string]any{"email": "New@Example.com"},
		"client_id": app.ClientID, "roles": []string{role.ID}}
	// The application needs a login route for the link.
	wantError(t, e.call(t, "admin", "POST", "/organizations/"+id+"/invitations", body), 400, "invalid_body", "initiate_login_uri", false)
	app.InitiateLoginURI = "https://app.example.org/login"
	if err := e.st.UpdateClient(t.Context(), app); err != nil {
		t.Fatal(err)
	}
	inv := e.must(t, 201, "POST", "/organizations/"+id+"/invitations", body).obj(t)
	link, err := url.Parse(inv["invitation_url"].(string))
	if err != nil || link.Host != "app.example.org" || link.Path != "/login" || link.Query().Get("organization") != id ||
		link.Query().Get("organization_name") != "acme" || link.Query().Get("invitation") != inv["ticket_id"] {
		t.Fatalf("invitation %v", inv)
	}
	if inv["invitee"].(map[string]any)["email"] != "new@example.com" {
		t.Fatalf("invitee %v", inv["invitee"])
	}
	// The mail was queued with the invitation.
	mails, err := e.st.ClaimEmails(t.Context(), "test", time.Now().Add(time.Minute), time.Now().Add(2*time.Minute), 10)
	if err != nil || len(mails) != 1 || mails[0].To != "new@example.com" || mails[0].Kind != domain.TemplateUserInvitation ||
		!strings.Contains(mails[0].Text, inv["invitation_url"].(string)) || !strings.Contains(mails[0].Text, "Ann has invited you") {
		t.Fatalf("mails %v %v", mails, err)
	}
	invID := inv["id"].(string)
	got := e.must(t, 200, "GET", "/organizations/"+id+"/invitations/"+invID, nil).obj(t)
	if got["invitation_url"] != nil || got["ticket_id"] != nil || got["client_id"] != app.ClientID {
		t.Fatalf("stored invitation shows its ticket: %v", got)
	}
	if list := e.must(t, 200, "GET", "/organizations/"+id+"/invitations", nil).arr(t); len(list) != 1 {
		t.Fatalf("invitations %v", list)
	}
	// fields and include_fields, on one invitation and on the list.
	if one := e.must(t, 200, "GET", "/organizations/"+id+"/invitations/"+invID+"?fields=id,client_id&include_fields=true", nil).obj(t); len(one) != 2 || one["id"] != invID {
		t.Fatalf("invitation with fields: %v", one)
	}
	list := e.must(t, 200, "GET", "/organizations/"+id+"/invitations?fields=id&include_totals=true", nil).obj(t)
	if items := list["invitations"].([]any); len(items) != 1 || len(items[0].(map[string]any)) != 1 || list["total"] != 1.0 {
		t.Fatalf("invitations with fields: %v", list)
	}
	if one := e.must(t, 200, "GET", "/organizations/"+id+"/invitations/"+invID+"?fields=invitee&include_fields=false", nil).obj(t); one["invitee"] != nil || one["id"] != invID {
		t.Fatalf("invitation without invitee: %v", one)
	}
	e.must(t, 400, "GET", "/organizations/"+id+"/invitations?include_fields=sometimes", nil)
	// Another organization's id does not reach it.
	other := e.must(t, 201, "POST", "/organizations", map[string]any{"name": "other"}).obj(t)["id"].(string)
	e.must(t, 404, "GET", "/organizations/"+other+"/invitations/"+invID, nil)
	e.must(t, 404, "POST", "/organizations/"+id+"/invitations", map[string]any{"inviter": map[string]any{"name": "Ann"},
		"invitee": map[string]any{"email": "x@example.com"}, "client_id": app.ClientID, "roles": []string{"rol_nope"}})
	e.must(t, 204, "DELETE", "/organizations/"+id+"/invitations/"+invID, nil)
	e.must(t, 404, "GET", "/organizations/"+id+"/invitations/"+invID, nil)
	e.must(t, 204, "DELETE", "/organizations/"+id+"/enabled_connections/"+conn.ID, nil)
	e.must(t, 404, "GET", "/organizations/"+id+"/enabled_connections/"+conn.ID, nil)
}
