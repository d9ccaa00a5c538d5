package mgmt_test

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// fieldCase is one body field of a scoped PATCH: a value that changes something, the record keys that
// value changes, and the status an allowed caller gets (200 unless the field is refused on its own).
type fieldCase struct {
	field   string
	value   any
	changes []string
	status  int
}

// checkFieldMatrix sends every field alone with a token holding only one scope, for every scope the
// route accepts: a scope that may change the field gets the field's status and exactly its changes;
// any other gets 403 insufficient_scope and nothing changes. fresh makes a new record and returns its
// path; snap reads it back as flat keys.
func checkFieldMatrix(t *testing.T, e *env, scopes []string, allowed map[string][]string, cases []fieldCase,
	fresh func(t *testing.T) string, snap func(t *testing.T, path string) map[string]any) {
	t.Helper()
	for _, scope := range scopes {
		for _, fc := range cases {
			t.Run(scope+"/"+fc.field, func(t *testing.T) {
				path := fresh(t)
				before := snap(t, path)
				r := e.call(t, "scopes:"+scope, "PATCH", path, map[string]any{fc.field: fc.value})
				after := snap(t, path)
				changed := changedKeys(before, after)
				if !slices.Contains(allowed[fc.field], scope) {
					wantError(t, r, http.StatusForbidden, "insufficient_scope", "Insufficient scope, expected any of: ", false)
					if !strings.Contains(string(r.raw), fc.field) {
						t.Errorf("the 403 does not name %s: %s", fc.field, r.raw)
					}
					if len(changed) > 0 {
						t.Errorf("refused, yet %v changed", changed)
					}
					return
				}
				want := fc.status
				if want == 0 {
					want = http.StatusOK
				}
				if r.status != want {
					t.Fatalf("status %d, want %d: %s", r.status, want, r.raw)
				}
				if !slices.Equal(changed, sortedCopy(fc.changes)) {
					t.Errorf("changed %v, want exactly %v", changed, fc.changes)
				}
			})
		}
	}
}

func changedKeys(before, after map[string]any) []string {
	keys := map[string]bool{}
	for k := range before {
		keys[k] = true
	}
	for k := range after {
		keys[k] = true
	}
	var out []string
	for k := range keys {
		b, _ := json.Marshal(before[k])
		a, _ := json.Marshal(after[k])
		if string(a) != string(b) {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}

func sortedCopy(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return out
}

// flatten turns v's JSON into top-level keys.
func flatten(t *testing.T, v any) map[string]any {
	t.Helper()
	raw, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// Auth0: update:users_app_metadata changes app_metadata and nothing else; update:users changes any field.
func TestUserPatchFieldScopes(t *testing.T) {
	e := newEnv(t)
	both := []string{"update:users", "update:users_app_metadata"}
	broad := []string{"update:users"}
	allowed := map[string][]string{"app_metadata": both}
	cases := []fieldCase{
		{field: "app_metadata", value: map[string]any{"plan": "pro"}, changes: []string{"app_metadata"}},
		{field: "user_metadata", value: map[string]any{"color": "blue"}, changes: []string{"user_metadata"}},
		{field: "password", value: "N3w-Passw0rd-456!", changes: []string{"password_hash", "last_password_reset"}},
		{field: "email", value: "changed@example.org", changes: []string{"email"}},
		{field: "email_verified", value: true, changes: []string{"email_verified"}},
		{field: "blocked", value: true, changes: []string{"blocked"}},
		{field: "username", value: "renamed", changes: []string{"username"}},
		{field: "phone_number", value: "+15555550100", changes: []string{"phone_number"}},
		{field: "name", value: "New Name", changes: []string{"name"}},
		{field: "nickname", value: "newnick", changes: []string{"nickname"}},
		{field: "given_name", value: "Given", changes: []string{"given_name"}},
		{field: "family_name", value: "Family", changes: []string{"family_name"}},
		{field: "picture", value: "https://example.org/p.png", changes: []string{"picture"}},
		// Accepted and stored nowhere, or refused on their own: they still need update:users.
		{field: "phone_verified", value: true},
		{field: "verify_email", value: false},
		{field: "connection", value: "Username-Password-Authentication"},
		{field: "client_id", value: "someclient"},
		{field: "user_id", value: "auth0|other", status: http.StatusBadRequest},
	}
	for _, fc := range cases {
		if allowed[fc.field] == nil {
			allowed[fc.field] = broad
		}
	}
	n := 0
	fresh := func(t *testing.T) string {
		n++
		u := e.must(t, http.StatusCreated, "POST", "/users", map[string]any{
			"connection": "Username-Password-Authentication", "email": fmt.Sprintf("field%d@example.org", n),
			"password": "0ld-Passw0rd-123!", "user_metadata": map[string]any{"color": "red"}, "app_metadata": map[string]any{"plan": "free"},
		}).obj(t)
		return "/users/" + url.PathEscape(u["user_id"].(string))
	}
	snap := func(t *testing.T, path string) map[string]any {
		id, _ := url.PathUnescape(strings.TrimPrefix(path, "/users/"))
		u, err := e.st.GetUser(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		m := flatten(t, u)
		m["password_hash"] = u.PasswordHash
		m["last_password_reset"] = u.LastPasswordReset
		return m
	}
	checkFieldMatrix(t, e, both, allowed, cases, fresh, snap)

	t.Run("a narrow scope with one field it may not change changes nothing", func(t *testing.T) {
		path := fresh(t)
		before := snap(t, path)
		r := e.call(t, "scopes:update:users_app_metadata", "PATCH", path, map[string]any{
			"app_metadata": map[string]any{"plan": "pro"}, "password": "N3w-Passw0rd-456!", "blocked": true,
		})
		wantError(t, r, http.StatusForbidden, "insufficient_scope",
			"Insufficient scope, expected any of: update:users (to change blocked, password)", true)
		if changed := changedKeys(before, snap(t, path)); len(changed) > 0 {
			t.Errorf("refused, yet %v changed", changed)
		}
	})
	t.Run("both scopes change everything", func(t *testing.T) {
		path := fresh(t)
		r := e.call(t, "scopes:update:users_app_metadata,update:users", "PATCH", path, map[string]any{
			"app_metadata": map[string]any{"plan": "pro"}, "blocked": true,
		})
		if r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		if m := r.obj(t); m["blocked"] != true || !maps.Equal(m["app_metadata"].(map[string]any), map[string]any{"plan": "pro"}) {
			t.Errorf("patched: %s", r.raw)
		}
	})
}

// Auth0: update:client_keys changes only a client's keys, which Gatehouse's PATCH does not take, so
// with that scope alone every field is refused; update:clients changes any field.
func TestClientPatchFieldScopes(t *testing.T) {
	e := newEnv(t)
	broad := []string{"update:clients"}
	cases := []fieldCase{
		{field: "name", value: "Renamed", changes: []string{"name"}},
		{field: "description", value: "changed", changes: []string{"description"}},
		{field: "app_type", value: "non_interactive", changes: []string{"app_type"}},
		{field: "is_first_party", value: false, changes: []string{"is_first_party"}},
		{field: "callbacks", value: []string{"https://elsewhere.example/cb"}, changes: []string{"callbacks"}},
		{field: "allowed_logout_urls", value: []string{"https://elsewhere.example/"}, changes: []string{"allowed_logout_urls"}},
		{field: "web_origins", value: []string{"https://elsewhere.example"}, changes: []string{"web_origins"}},
		{field: "allowed_origins", value: []string{"https://elsewhere.example"}, changes: []string{"allowed_origins"}},
		{field: "grant_types", value: []string{"authorization_code"}, changes: []string{"grant_types"}},
		{field: "token_endpoint_auth_method", value: "client_secret_basic", changes: []string{"token_endpoint_auth_method"}},
		{field: "jwt_configuration", value: map[string]any{"alg": "RS256", "lifetime_in_seconds": 600}, changes: []string{"jwt_configuration"}},
		{field: "refresh_token", value: map[string]any{"rotation_type": "rotating", "expiration_type": "expiring",
			"token_lifetime": 86400, "idle_token_lifetime": 3600}, changes: []string{"refresh_token"}},
		{field: "sso_disabled", value: true, changes: []string{"sso_disabled"}},
		{field: "cross_origin_authentication", value: true, changes: []string{"cross_origin_authentication"}},
		{field: "custom_login_page_on", value: false, changes: []string{"custom_login_page_on"}},
		{field: "client_metadata", value: map[string]string{"team": "blue"}, changes: []string{"client_metadata"}},
		{field: "initiate_login_uri", value: "https://app.example.org/login", changes: []string{"initiate_login_uri"}},
		{field: "logo_uri", value: "https://app.example.org/logo.png", changes: []string{"logo_uri"}},
		{field: "is_token_endpoint_ip_header_trusted", value: true, changes: []string{"is_token_endpoint_ip_header_trusted"}},
		{field: "organization_usage", value: "allow", changes: []string{"organization_usage"}},
		{field: "organization_require_behavior", value: "pre_login_prompt", changes: []string{"organization_require_behavior"}},
		// Accepted for compatibility and stored nowhere: they still need update:clients.
		{field: "oidc_conformant", value: true},
		{field: "sso", value: true},
	}
	allowed := map[string][]string{}
	for _, fc := range cases {
		allowed[fc.field] = broad
	}
	fresh := func(t *testing.T) string {
		cl := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{
			"name": "Field App", "app_type": "regular_web", "callbacks": []string{"https://app.example.org/cb"},
		}).obj(t)
		return "/clients/" + cl["client_id"].(string)
	}
	snap := func(t *testing.T, path string) map[string]any {
		cl, err := e.st.GetClient(context.Background(), strings.TrimPrefix(path, "/clients/"))
		if err != nil {
			t.Fatal(err)
		}
		m := flatten(t, cl)
		m["secret_hash"] = cl.SecretHash
		return m
	}
	checkFieldMatrix(t, e, []string{"update:clients", "update:client_keys"}, allowed, cases, fresh, snap)

	t.Run("update:client_keys with nothing to change is no change", func(t *testing.T) {
		path := fresh(t)
		before := snap(t, path)
		if r := e.call(t, "scopes:update:client_keys", "PATCH", path, map[string]any{}); r.status != http.StatusOK {
			t.Fatalf("status %d: %s", r.status, r.raw)
		}
		if changed := changedKeys(before, snap(t, path)); len(changed) > 0 {
			t.Errorf("%v changed", changed)
		}
	})
}

// Auth0: read:client_summary sees client_id, app_type, name and description; read:clients and
// read:client_keys see the whole client.
func TestClientReadFieldScopes(t *testing.T) {
	e := newEnv(t)
	cl := e.must(t, http.StatusCreated, "POST", "/clients", map[string]any{
		"name": "Read App", "description": "to read", "app_type": "regular_web",
		"callbacks": []string{"https://app.example.org/cb"}, "client_metadata": map[string]string{"team": "blue"},
	}).obj(t)
	id := cl["client_id"].(string)
	full := e.must(t, http.StatusOK, "GET", "/clients/"+id, nil).obj(t)
	summary := []string{"client_id", "app_type", "name", "description"}
	for _, scope := range []string{"read:clients", "read:client_keys", "read:client_summary"} {
		one := e.call(t, "scopes:"+scope, "GET", "/clients/"+id, nil)
		list := e.call(t, "scopes:"+scope, "GET", "/clients", nil)
		if one.status != http.StatusOK || list.status != http.StatusOK {
			t.Fatalf("%s: status %d and %d: %s %s", scope, one.status, list.status, one.raw, list.raw)
		}
		items := list.arr(t)
		if len(items) != 1 {
			t.Fatalf("%s: list %s", scope, list.raw)
		}
		for what, got := range map[string]map[string]any{"get": one.obj(t), "list": items[0].(map[string]any)} {
			for field, want := range full {
				seen, present := got[field]
				visible := scope != "read:client_summary" || slices.Contains(summary, field)
				switch {
				case visible && !present:
					t.Errorf("%s %s: %s missing", scope, what, field)
				case visible && !reflectEqualJSON(seen, want):
					t.Errorf("%s %s: %s = %v, want %v", scope, what, field, seen, want)
				case !visible && present:
					t.Errorf("%s %s: %s shown to a summary reader", scope, what, field)
				}
			}
		}
	}
	// fields= narrows further and cannot widen a summary.
	r := e.call(t, "scopes:read:client_summary", "GET", "/clients/"+id+"?fields=name,callbacks&include_fields=true", nil)
	if got := r.obj(t); len(got) != 1 || got["name"] != "Read App" {
		t.Errorf("projected summary: %s", r.raw)
	}
}

func reflectEqualJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
