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
		{"GET", "/users/" + self, nil, http.StatusOK},
	} {
		if r := e.call(t, tok, c.method, c.path, c.body); r.status != c.want {
			t.Errorf("%s %s with a user's token: %d %s, want %d", c.method, c.path, r.status, r.raw, c.want)
		}
	}
	// Nothing changed: the other user is still there.
	e.must(t, http.StatusOK, "GET", "/users/"+other, nil)
}
