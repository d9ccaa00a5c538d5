package app_test

import (
	"net/http"
	"testing"

	"github.com/gatehouse/gatehouse/internal/app"
)

// TestUpstreamUsersWithoutEmail: a provider that shares no address (an oauth2 connection whose
// profile has no email) signs in one user per identity; their ID tokens carry no email.
func TestUpstreamUsersWithoutEmail(t *testing.T) {
	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	g := newGitHub(t)
	status, out := m.do("POST", "connections", map[string]any{"name": "custom", "strategy": "oauth2",
		"enabled_clients": []string{n.tenant.WebApp.ClientID},
		"options": map[string]any{"client_id": "gh-id", "client_secret": "gh-secret",
			"authorizationURL": g.srv.URL + "/login/oauth/authorize", "tokenURL": g.srv.URL + "/login/oauth/access_token",
			"profileURL": g.srv.URL + "/user", "attribute_map": map[string]any{"attributes": map[string]string{"nickname": "login"}}}})
	if status != http.StatusCreated {
		t.Fatalf("oauth2 connection: %d %v", status, out)
	}
	appl := newBrokerApp(t, n)
	for _, id := range []int{501, 502} {
		g.mu.Lock()
		g.profile["id"] = id
		g.mu.Unlock()
		c := browser(t)
		resp, _ := get(t, c, appl.authorize(c, "custom").String())
		back, _ := resp.Location()
		claims := appl.idToken(appl.finish(c, back.String()))
		if claims["email"] != nil || claims["nickname"] != "octo" {
			t.Errorf("ID token of a user without email: %v", claims)
		}
		status, u := m.do("GET", "users/"+"oauth2%7Ccustom%7C"+itoa(id), nil)
		if status != http.StatusOK || u["email"] != nil {
			t.Errorf("user %d: %d %v", id, status, u)
		}
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{digits[i%10]}, b...)
	}
	return string(b)
}
