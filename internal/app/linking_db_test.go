package app_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// userIDOf is the user id of the database user with that address.
func userIDOf(t *testing.T, m *mgmtClient, email string) string {
	t.Helper()
	_, list := m.do("GET", "users?q=email:"+url.QueryEscape(email)+"&connection=Username-Password-Authentication", nil)
	l, _ := list["list"].([]any)
	if len(l) != 1 {
		t.Fatalf("users with email %s: %v", email, list)
	}
	return l[0].(map[string]any)["user_id"].(string)
}

// TestLinkDatabaseAccountAsSecondary: a database account linked to another user (Auth0 allows a
// database secondary) loses its user row, keeps its profile as profileData and its password with
// the identity: that address and password sign in as the primary, on the hosted login page and
// with the password grant, a wrong password still fails, and neither a signup (the Management
// API's or /dbconnections/signup) nor an address change can take the address while it is linked. Unlinking gives the account back with its
// password.
func TestLinkDatabaseAccountAsSecondary(t *testing.T) { linkDatabaseAccount(t, startNode(t)) }

// TestLinkDatabaseAccountAsSecondaryPostgres is the same on PostgreSQL (the linked account's
// address is read from its JSON document there too). Skips without GATEHOUSE_TEST_POSTGRES_URL.
func TestLinkDatabaseAccountAsSecondaryPostgres(t *testing.T) {
	linkDatabaseAccount(t, startPostgresNodes(t, 1)[0])
}

func linkDatabaseAccount(t *testing.T, n *node) {
	m := enablePasswordGrant(t, n)
	admin, other := n.tenant.Users[0], n.tenant.Users[1]
	adminID, otherID := userIDOf(t, m, admin.Email), userIDOf(t, m, other.Email)
	otherRaw := strings.TrimPrefix(otherID, "auth0|")

	status, out := m.do("POST", "users/"+adminID+"/identities", map[string]any{"provider": "auth0", "user_id": otherRaw})
	ids := identitiesOf(t, out)
	if status != http.StatusCreated || len(ids) != 2 || ids[1]["provider"] != "auth0" || ids[1]["user_id"] != otherRaw ||
		ids[1]["connection"] != "Username-Password-Authentication" || ids[1]["isSocial"] != false {
		t.Fatalf("link a database account: %d %v", status, out)
	}
	pd, _ := ids[1]["profileData"].(map[string]any)
	if pd["email"] != other.Email {
		t.Errorf("profileData: %v", pd)
	}
	for k := range pd {
		if strings.Contains(k, "password") {
			t.Errorf("profileData shows %q", k)
		}
	}
	if status, _ := m.do("GET", "users/"+url.PathEscape(otherID), nil); status != http.StatusNotFound {
		t.Errorf("the secondary user still exists: %d", status)
	}

	// The secondary's address and password sign in as the primary.
	if got := signInWithAPI(t, n, other.Email, other.Password); got.id["sub"] != adminID {
		t.Errorf("hosted sign-in with the linked account: sub %v, want %s", got.id["sub"], adminID)
	}
	if status, msg, _ := passwordGrant(t, n, other.Email, other.Password); status != http.StatusOK {
		t.Errorf("password grant with the linked account: %d %s", status, msg)
	}
	if status, msg, _ := passwordGrant(t, n, other.Email, admin.Password); status != http.StatusForbidden {
		t.Errorf("the primary's password for the linked address: %d %s", status, msg)
	}
	if status := postLogin(t, n, other.Email, "Wrong-password-1"); status != http.StatusBadRequest {
		t.Errorf("wrong password for the linked account: %d", status)
	}
	if got := signInWithAPI(t, n, admin.Email, admin.Password); got.id["sub"] != adminID {
		t.Errorf("the primary's own sign-in: sub %v", got.id["sub"])
	}

	// The address stays taken while linked: a new user, or another user moving to it, is refused.
	if status, out := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": strings.ToUpper(other.Email), "password": "An0ther-Password!"}); status != http.StatusConflict {
		t.Errorf("create a user with the linked address: %d %v", status, out)
	}
	if resp, body := post(t, browser(t), n.issuer+"dbconnections/signup", url.Values{
		"client_id": {n.tenant.WebApp.ClientID}, "connection": {"Username-Password-Authentication"},
		"email": {other.Email}, "password": {"Correct-Horse-9-Battery"}}); resp.StatusCode != http.StatusBadRequest ||
		!strings.Contains(body, `"code":"invalid_signup"`) { // Auth0's answer for an address in use
		t.Errorf("/dbconnections/signup with the linked address: %d %s", resp.StatusCode, body)
	}
	status, third := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "third@example.com", "password": "Th1rd-Password!"})
	if status != http.StatusCreated {
		t.Fatalf("create a third user: %d %v", status, third)
	}
	thirdID := third["user_id"].(string)
	if status, out := m.do("PATCH", "users/"+url.PathEscape(thirdID), map[string]any{"email": other.Email}); status != http.StatusConflict {
		t.Errorf("move a user to the linked address: %d %v", status, out)
	}

	// Unlinking gives the account back, with its password.
	status, out = m.do("DELETE", "users/"+adminID+"/identities/auth0/"+otherRaw, nil)
	if ids := identitiesOf(t, out); status != http.StatusOK || len(ids) != 1 {
		t.Fatalf("unlink: %d %v", status, out)
	}
	status, back := m.do("GET", "users/"+url.PathEscape(otherID), nil)
	if status != http.StatusOK || back["email"] != other.Email {
		t.Fatalf("the unlinked account: %d %v", status, back)
	}
	if got := signInWithAPI(t, n, other.Email, other.Password); got.id["sub"] != otherID {
		t.Errorf("sign-in after unlinking: sub %v, want %s", got.id["sub"], otherID)
	}
}
