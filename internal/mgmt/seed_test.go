package mgmt_test

import (
	"net/http"
	"net/url"
	"sort"
	"testing"
)

// TestSeedGuideThroughTheAPI builds the whole configuration the seed guide makes "in the Auth0
// Dashboard" (steps 1 and 8) over the Management API, then reads it back.
func TestSeedGuideThroughTheAPI(t *testing.T) {
	e := newEnv(t)

	// Step 1: a Regular Web App with exact URLs, Post auth, rotating refresh tokens (30 days
	// absolute), 10-hour ID tokens, authorization code + refresh token, no implicit.
	app := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{
		"name": "Your App", "app_type": "regular_web", "oidc_conformant": true,
		"callbacks":                  []string{"http://localhost:3000/api/auth/callback", "https://yourapp.com/api/auth/callback"},
		"allowed_logout_urls":        []string{"http://localhost:3000", "https://yourapp.com"},
		"web_origins":                []string{"http://localhost:3000", "https://yourapp.com"},
		"token_endpoint_auth_method": "client_secret_post",
		"grant_types":                []string{"authorization_code", "refresh_token"},
		"jwt_configuration":          map[string]any{"alg": "RS256", "lifetime_in_seconds": 36000},
		"refresh_token": map[string]any{
			"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 0,
			"token_lifetime": 2592000, "idle_token_lifetime": 1296000,
		},
	}).obj(t)
	clientID := app["client_id"].(string)
	if app["client_secret"] == nil {
		t.Fatal("no secret on create")
	}

	// Step 8: the API and its permissions.
	api := createAPI(t, e)

	// Roles: user (own data) and admin (everything).
	roleIDs := map[string]string{}
	for name, perms := range map[string][]string{
		"user":  {"read:own_data", "write:own_data"},
		"admin": {"read:own_data", "write:own_data", "admin:read", "admin:write"},
	} {
		r := e.must(t, 200, "POST", "/roles", map[string]any{"name": name}).obj(t)
		roleIDs[name] = r["id"].(string)
		var body []map[string]string
		for _, p := range perms {
			body = append(body, map[string]string{"resource_server_identifier": apiID, "permission_name": p})
		}
		e.must(t, http.StatusCreated, "POST", "/roles/"+r["id"].(string)+"/permissions", map[string]any{"permissions": body})
	}

	// Two users, one per role.
	userIDs := map[string]string{}
	for role, email := range map[string]string{"user": "user@yourapp.com", "admin": "admin@yourapp.com"} {
		u := e.must(t, http.StatusCreated, "POST", "/users", map[string]any{
			"connection": conn, "email": email, "password": "Corr3ct-Horse!", "email_verified": true,
		}).obj(t)
		userIDs[role] = u["user_id"].(string)
		e.must(t, http.StatusNoContent, "POST", "/users/"+url.PathEscape(u["user_id"].(string))+"/roles", map[string]any{"roles": []string{roleIDs[role]}})
	}

	// The post-login Action adding roles, deployed and bound.
	act := createAction(t, e, "Add roles to tokens", rolesAction)
	e.must(t, 200, "POST", "/actions/actions/"+act["id"].(string)+"/deploy", nil)
	e.must(t, 200, "PATCH", "/actions/triggers/post-login/bindings", map[string]any{
		"bindings": []map[string]any{{"ref": map[string]string{"type": "action_id", "value": act["id"].(string)}, "display_name": "Add roles"}},
	})

	// Read everything back.
	got := e.must(t, 200, "GET", "/clients/"+clientID, nil).obj(t)
	if len(got["callbacks"].([]any)) != 2 || got["refresh_token"].(map[string]any)["rotation_type"] != "rotating" ||
		got["jwt_configuration"].(map[string]any)["lifetime_in_seconds"] != float64(36000) || got["token_endpoint_auth_method"] != "client_secret_post" {
		t.Errorf("client read back: %v", got)
	}
	for _, g := range got["grant_types"].([]any) {
		if g == "implicit" {
			t.Error("implicit enabled")
		}
	}
	rs := e.must(t, 200, "GET", "/resource-servers/"+url.PathEscape(apiID), nil).obj(t)
	if rs["id"] != api["id"] || rs["signing_alg"] != "RS256" || len(rs["scopes"].([]any)) != 4 {
		t.Errorf("API read back: %v", rs)
	}
	adminPerms := permNames(t, e.must(t, 200, "GET", "/users/"+url.PathEscape(userIDs["admin"])+"/permissions", nil).arr(t))
	userPerms := permNames(t, e.must(t, 200, "GET", "/users/"+url.PathEscape(userIDs["user"])+"/permissions", nil).arr(t))
	if len(adminPerms) != 4 || len(userPerms) != 2 || userPerms[0] != "read:own_data" || userPerms[1] != "write:own_data" {
		t.Errorf("permissions: admin %v, user %v", adminPerms, userPerms)
	}
	for role, id := range userIDs {
		rl := e.must(t, 200, "GET", "/users/"+url.PathEscape(id)+"/roles", nil).arr(t)
		if len(rl) != 1 || rl[0].(map[string]any)["name"] != role {
			t.Errorf("%s roles: %v", role, rl)
		}
	}
	bl := e.must(t, 200, "GET", "/actions/triggers/post-login/bindings", nil).obj(t)
	if bl["total"] != float64(1) {
		t.Errorf("bindings: %v", bl)
	}
	logs := e.must(t, 200, "GET", "/logs?q=type:sapi&include_totals=true&per_page=1", nil).obj(t)
	if logs["total"].(float64) < 12 {
		t.Errorf("sapi events: %v", logs["total"])
	}
}

func permNames(t *testing.T, list []any) []string {
	t.Helper()
	var out []string
	for _, p := range list {
		out = append(out, p.(map[string]any)["permission_name"].(string))
	}
	sort.Strings(out)
	return out
}
