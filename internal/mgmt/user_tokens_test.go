package mgmt_test

import (
	"net/http"
	"testing"
)

// TestUserTokensActOnlyOnTheirOwnRecord: a token a user obtained is worth its *:current_user*
// scopes alone, whatever else it claims, and those reach the user's own record only.
func TestUserTokensActOnlyOnTheirOwnRecord(t *testing.T) {
	e := newEnv(t)
	mk := func(email string) string {
		r := e.must(t, http.StatusCreated, "POST", "/users", map[string]any{
			"connection": "Username-Password-Authentication", "email": email, "password": "Str0ng!pass-123"})
		return r.obj(t)["user_id"].(string)
	}
	self, other := mk("self@example.com"), mk("other@example.com")
	tok := "user:" + self // claims every Management API scope

	for _, c := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/users", nil, http.StatusForbidden},
		{"GET", "/users/" + other, nil, http.StatusForbidden},
		{"PATCH", "/users/" + other, map[string]any{"password": "Taken-Over-1234!"}, http.StatusForbidden},
		{"PATCH", "/users/" + self, map[string]any{"email_verified": false}, http.StatusForbidden},
		{"DELETE", "/users/" + other, nil, http.StatusForbidden},
		{"GET", "/clients", nil, http.StatusForbidden},
		{"POST", "/roles", map[string]any{"name": "x"}, http.StatusForbidden},
		{"PATCH", "/users/" + self, map[string]any{"user_metadata": map[string]any{"theme": "dark"}, "app_metadata": map[string]any{"plan": "pro"}}, http.StatusForbidden},
		{"PATCH", "/users/" + other, map[string]any{"user_metadata": map[string]any{"theme": "dark"}}, http.StatusForbidden},
		{"GET", "/emails/provider", nil, http.StatusForbidden},
		{"POST", "/emails/provider", map[string]any{"name": "smtp", "credentials": map[string]any{"smtp_host": "127.0.0.1", "smtp_port": 25}}, http.StatusForbidden},
		{"POST", "/tickets/password-change", map[string]any{"user_id": other}, http.StatusForbidden},
		{"POST", "/tickets/password-change", map[string]any{"user_id": self}, http.StatusForbidden},
		{"POST", "/clients", map[string]any{"name": "mine"}, http.StatusForbidden},
		{"GET", "/logs", nil, http.StatusForbidden},
		{"GET", "/users/" + self, nil, http.StatusOK},
		{"PATCH", "/users/" + self, map[string]any{"user_metadata": map[string]any{"theme": "dark"}}, http.StatusOK},
	} {
		if r := e.call(t, tok, c.method, c.path, c.body); r.status != c.want {
			t.Errorf("%s %s with a user's token: %d %s, want %d", c.method, c.path, r.status, r.raw, c.want)
		}
	}
	// Only the own record's user_metadata changed.
	if u := e.must(t, http.StatusOK, "GET", "/users/"+other, nil).obj(t); u["user_metadata"] != nil {
		t.Errorf("the other user's metadata changed: %v", u["user_metadata"])
	}
	u := e.must(t, http.StatusOK, "GET", "/users/"+self, nil).obj(t)
	if md, _ := u["user_metadata"].(map[string]any); md["theme"] != "dark" || u["app_metadata"] != nil {
		t.Errorf("own record: user_metadata %v app_metadata %v", u["user_metadata"], u["app_metadata"])
	}
}
