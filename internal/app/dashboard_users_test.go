package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mail/mailtest"
	"github.com/gatehouse/gatehouse/internal/store"
)

// User Management through the dashboard: users (search, create, block, verify, password reset,
// roles, permissions) and roles (create, permissions from an API, members).
func TestDashboardUsersAndRoles(t *testing.T) {
	n := startNode(t, noResetFloor, roomyManagementLimit)
	srv := withSMTP(t, n)
	ctx := context.Background()
	admin := browser(t)
	_, home := dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	users, roles := n.issuer+"admin/users", n.issuer+"admin/roles"

	// The list, and a search by email (a prefix), and the API's own message for a query it refuses.
	if _, page := get(t, admin, users); !strings.Contains(page, "admin@example.com") || !strings.Contains(page, "user@example.com") || !strings.Contains(page, "1–3 of 3") {
		t.Fatalf("user list:\n%s", page)
	}
	if _, page := get(t, admin, users+"?q=uma"); strings.Contains(page, "admin@example.com") || strings.Contains(page, ">user@example.com<") {
		t.Errorf("a search for a name prefix matched by email: \n%s", page)
	}
	if _, page := get(t, admin, users+"?q=user%40ex"); !strings.Contains(page, ">user@example.com<") || strings.Contains(page, "admin@example.com") || !strings.Contains(page, "1–1 of 1") {
		t.Errorf("search by email:\n%s", page)
	}
	if resp, page := get(t, admin, users+"?q=a+OR+b"); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "OR is not supported") {
		t.Errorf("a refused query: %d\n%s", resp.StatusCode, page)
	}

	// Create: the API's own refusals (a weak password, markup shown inert), then a user.
	if resp, page := post(t, admin, users+"/new", url.Values{"csrf": {csrf}, "email": {"new@example.com"}, "password": {"short"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "too weak") {
		t.Errorf("weak password: %d\n%s", resp.StatusCode, page)
	}
	resp, page := post(t, admin, users+"/new", url.Values{"csrf": {csrf}, "email": {"new@example.com"}, "password": {"Correct-Horse-9-Battery"}, "name": {`<script>alert("x")</script>`}})
	if strings.Contains(page, `<script>alert("x")`) {
		t.Fatalf("markup in a name rendered live:\n%s", page)
	}
	if resp.StatusCode == http.StatusBadRequest {
		resp, _ = post(t, admin, users+"/new", url.Values{"csrf": {csrf}, "email": {"new@example.com"}, "password": {"Correct-Horse-9-Battery"}, "name": {"New Person"}})
	}
	loc, _ := resp.Location()
	if resp.StatusCode != http.StatusSeeOther || loc == nil {
		t.Fatalf("create user: %d", resp.StatusCode)
	}
	u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, "new@example.com")
	if err != nil || u.EmailVerified {
		t.Fatalf("created user: %+v %v", u, err)
	}
	if _, page = get(t, admin, loc.String()); !strings.Contains(page, "new@example.com") || strings.Contains(page, "<script>alert") {
		t.Errorf("user page:\n%s", page)
	}
	user := users + "/" + url.PathEscape(u.UserID)

	// Block, unblock, verify.
	for _, step := range []struct {
		path string
		form url.Values
		want func(*domain.User) bool
	}{
		{"/blocked", url.Values{"blocked": {"true"}}, func(u *domain.User) bool { return u.Blocked }},
		{"/blocked", url.Values{"blocked": {"false"}}, func(u *domain.User) bool { return !u.Blocked }},
		{"/verify", url.Values{}, func(u *domain.User) bool { return u.EmailVerified }},
	} {
		step.form.Set("csrf", csrf)
		if resp, _ := post(t, admin, user+step.path, step.form); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("%s %v: %d", step.path, step.form, resp.StatusCode)
		}
		if u, _ = n.Store.GetUser(ctx, u.UserID); !step.want(u) {
			t.Errorf("after %s %v: %+v", step.path, step.form, u)
		}
	}
	// The profile: name and nickname change; the email is left alone (and verified) unless changed.
	if resp, _ = post(t, admin, user+"/profile", url.Values{"csrf": {csrf}, "email": {"New@Example.com"}, "name": {"Renamed Person"}, "nickname": {"renamed"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("save profile: %d", resp.StatusCode)
	}
	if u, _ = n.Store.GetUser(ctx, u.UserID); u.Name != "Renamed Person" || u.Nickname != "renamed" || !u.EmailVerified || u.Email != "new@example.com" {
		t.Errorf("after saving the profile: %+v", u)
	}
	if resp, page = post(t, admin, user+"/profile", url.Values{"csrf": {csrf}, "email": {"not an address"}, "name": {"Typed"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, `value="not an address"`) || !strings.Contains(page, `value="Typed"`) {
		t.Errorf("an invalid email: %d\n%s", resp.StatusCode, page)
	}
	if u, _ = n.Store.GetUser(ctx, u.UserID); u.Email != "new@example.com" || u.Name != "Renamed Person" {
		t.Errorf("a refused profile changed the user: %+v", u)
	}
	if resp, _ = post(t, admin, user+"/sessions", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("sign out everywhere: %d", resp.StatusCode)
	}
	if _, page = get(t, admin, user+"?done=blocked"); !strings.Contains(page, "User blocked") {
		t.Errorf("flash after block")
	}
	if _, page = get(t, admin, user+"?done=%3Cb%3Ehi"); strings.Contains(page, "<b>hi") || strings.Contains(page, `class="flash"`) {
		t.Errorf("a crafted flash was shown")
	}

	// A reset link, shown once; a reset email, delivered.
	resp, page = post(t, admin, user+"/reset-link", url.Values{"csrf": {csrf}})
	if link := regexp.MustCompile(`value="(https?://[^"]+/u/reset-password\?ticket=[^"]+)"`).FindStringSubmatch(page); resp.StatusCode != http.StatusOK || link == nil {
		t.Errorf("reset link: %d\n%s", resp.StatusCode, page)
	}
	// (A user created unverified is sent a verification mail first: deliver what is queued.)
	before := len(waitForMail(t, n, srv, 0))
	if resp, _ = post(t, admin, user+"/reset-email", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("reset email: %d", resp.StatusCode)
	}
	if msgs := waitForMail(t, n, srv, before+1); len(resetMails(msgs)) != 1 || resetMails(msgs)[0].To != "new@example.com" {
		t.Errorf("reset mails: %d of %d messages", len(resetMails(msgs)), len(msgs))
	}

	// Roles: the guide's user role is found by a search; a new role gets permissions from the
	// guide's API and a member.
	if _, page = get(t, admin, roles+"?q=user"); !strings.Contains(page, ">user</a>") || strings.Contains(page, ">admin</a>") {
		t.Errorf("role search:\n%s", page)
	}
	if resp, page = post(t, admin, roles+"/new", url.Values{"csrf": {csrf}, "name": {"user"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("a duplicate role: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = post(t, admin, roles+"/new", url.Values{"csrf": {csrf}, "name": {"auditor"}, "description": {"Reads everything"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create role: %d", resp.StatusCode)
	}
	list, _, _ := n.Store.ListRoles(ctx, "auditor", store.Page{})
	if len(list) != 1 {
		t.Fatalf("roles named auditor: %d", len(list))
	}
	rl := list[0]
	role := roles + "/" + rl.ID
	rs, _ := n.Store.GetResourceServerByIdentifier(ctx, "https://api.yourapp.com")
	if _, page = get(t, admin, role+"/permissions"); !strings.Contains(page, `value="https://api.yourapp.com admin:read"`) {
		t.Errorf("the role's permission picker does not offer the guide's API first:\n%s", page)
	}
	if resp, _ = post(t, admin, role+"/permissions", url.Values{"csrf": {csrf}, "api": {rs.ID}, "permission": {"https://api.yourapp.com read:own_data", "https://api.yourapp.com admin:read"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add role permissions: %d", resp.StatusCode)
	}
	if resp, page = post(t, admin, role+"/permissions", url.Values{"csrf": {csrf}, "permission": {"https://api.yourapp.com launch:missiles"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "launch:missiles") {
		t.Errorf("a permission the API lacks: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ = post(t, admin, role+"/permissions/remove", url.Values{"csrf": {csrf}, "permission": {"https://api.yourapp.com read:own_data"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove role permission: %d", resp.StatusCode)
	}
	if perms, _, _ := n.Store.ListRolePermissions(ctx, rl.ID, store.Page{}); len(perms) != 1 || perms[0].PermissionName != "admin:read" {
		t.Errorf("role permissions: %+v", perms)
	}
	if resp, page = post(t, admin, role+"/users", url.Values{"csrf": {csrf}, "email": {"nobody@example.com"}}); resp.StatusCode != http.StatusNotFound || !strings.Contains(page, "No user has the email address") {
		t.Errorf("an unknown member: %d", resp.StatusCode)
	}
	if resp, _ = post(t, admin, role+"/users", url.Values{"csrf": {csrf}, "email": {"new@example.com"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add member: %d", resp.StatusCode)
	}
	if _, page = get(t, admin, role+"/users"); !strings.Contains(page, "new@example.com") {
		t.Errorf("role members:\n%s", page)
	}

	// The user's Roles and Permissions tabs show it; a role and a direct permission are assigned
	// and removed there.
	if _, page = get(t, admin, user+"/roles"); !strings.Contains(page, ">auditor<") {
		t.Errorf("user roles tab:\n%s", page)
	}
	if _, page = get(t, admin, user+"/permissions"); !strings.Contains(page, "Role: auditor") || !strings.Contains(page, "<code>admin:read</code>") {
		t.Errorf("user permissions tab:\n%s", page)
	}
	userRole, _, _ := n.Store.ListRoles(ctx, "user", store.Page{})
	if resp, _ = post(t, admin, user+"/roles", url.Values{"csrf": {csrf}, "role_id": {userRole[0].ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("assign role: %d", resp.StatusCode)
	}
	if resp, _ = post(t, admin, user+"/roles/remove", url.Values{"csrf": {csrf}, "role_id": {rl.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove role: %d", resp.StatusCode)
	}
	if got, _, _ := n.Store.ListUserRoles(ctx, u.UserID, store.Page{}); len(got) != 1 || got[0].Name != "user" {
		t.Errorf("user roles: %+v", got)
	}
	if resp, _ = post(t, admin, user+"/permissions", url.Values{"csrf": {csrf}, "permission": {"https://api.yourapp.com admin:write"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("add direct permission: %d", resp.StatusCode)
	}
	if _, page = get(t, admin, user+"/permissions"); !strings.Contains(page, `<span class="tag">Direct</span>`) {
		t.Errorf("direct permission not shown:\n%s", page)
	}
	if resp, _ = post(t, admin, user+"/permissions/remove", url.Values{"csrf": {csrf}, "permission": {"https://api.yourapp.com admin:write"}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("remove direct permission: %d", resp.StatusCode)
	}
	if perms, _, _ := n.Store.ListUserPermissions(ctx, u.UserID, store.Page{}); len(perms) != 2 {
		t.Errorf("user permissions after removal (the user role's two): %+v", perms)
	}

	// Markup in a role's description is text wherever it is shown.
	if resp, _ = post(t, admin, role, url.Values{"csrf": {csrf}, "name": {"auditor"}, "description": {`<img src=x onerror=alert(1)>`}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("save role: %d", resp.StatusCode)
	}
	if resp, _ = post(t, admin, user+"/roles", url.Values{"csrf": {csrf}, "role_id": {rl.ID}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("assign role again: %d", resp.StatusCode)
	}
	for _, u := range []string{roles, role, user + "/roles"} {
		if _, page = get(t, admin, u); strings.Contains(page, "<img src=x") || !strings.Contains(page, "&lt;img src=x onerror=alert(1)&gt;") {
			t.Errorf("%s shows the description's markup live or not at all", u)
		}
	}

	readOnlyAndUserRefused(t, n, []string{users, user, user + "/roles", user + "/permissions", users + "/new", roles, role, role + "/permissions", role + "/users", roles + "/new", user + "/delete", role + "/delete"}, []roPost{
		{user + "/delete", url.Values{}},
		{role + "/delete", url.Values{}},
		{users + "/new", url.Values{"email": {"ro@example.com"}, "password": {"Correct-Horse-9-Battery"}}},
		{user + "/blocked", url.Values{"blocked": {"true"}}},
		{user + "/profile", url.Values{"email": {"new@example.com"}, "name": {"By a viewer"}}},
		{user + "/verify", url.Values{}},
		{user + "/sessions", url.Values{}},
		{user + "/reset-link", url.Values{}},
		{user + "/reset-email", url.Values{}},
		{user + "/roles", url.Values{"role_id": {rl.ID}}},
		{user + "/permissions", url.Values{"permission": {"https://api.yourapp.com admin:write"}}},
		{roles + "/new", url.Values{"name": {"ro-role"}}},
		{role, url.Values{"name": {"renamed"}}},
		{role + "/permissions", url.Values{"permission": {"https://api.yourapp.com read:own_data"}}},
		{role + "/users", url.Values{"email": {"admin@example.com"}}},
		{role + "/users/remove", url.Values{"user_id": {u.UserID}}},
	})
	if u2, _ := n.Store.GetUser(ctx, u.UserID); u2.Blocked {
		t.Errorf("a read-only administrator blocked the user")
	}
	if r2, _ := n.Store.GetRole(ctx, rl.ID); r2.Name != "auditor" {
		t.Errorf("a read-only administrator renamed the role")
	}
	if got := resetMails(waitForMail(t, n, srv, 0)); len(got) != 1 {
		t.Errorf("%d reset mails: a read-only administrator sent one", len(got))
	}
}

// resetMails are the messages carrying a password reset link.
func resetMails(msgs []mailtest.Message) []mailtest.Message {
	var out []mailtest.Message
	for _, m := range msgs {
		if resetLink.MatchString(m.Text) {
			out = append(out, m)
		}
	}
	return out
}
