package app_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"
)

// TestCreateUserWithBcryptHash: POST /api/v2/users takes a bcrypt password_hash; the user signs in
// with the password behind it through the password grant, after which the stored hash is argon2id;
// a hash of another kind is refused, and PATCH does not take one.
func TestCreateUserWithBcryptHash(t *testing.T) {
	n := startNode(t)
	m := enablePasswordGrant(t, n)
	bc, err := bcrypt.GenerateFromPassword([]byte("Moved-In-From-1"), 4)
	if err != nil {
		t.Fatal(err)
	}
	status, body := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "moved@example.com", "password_hash": string(bc), "user_id": "legacy-7"})
	if status != http.StatusCreated || body["user_id"] != "auth0|legacy-7" {
		t.Fatalf("create with password_hash: %d %v", status, body)
	}
	for k := range body {
		if strings.Contains(k, "password") {
			t.Errorf("the user view shows %s", k)
		}
	}
	if status, e, _ := passwordGrant(t, n, "moved@example.com", "Moved-In-From-2"); status != http.StatusForbidden {
		t.Fatalf("wrong password: %d %s", status, e)
	}
	if status, e, _ := passwordGrant(t, n, "moved@example.com", "Moved-In-From-1"); status != http.StatusOK {
		t.Fatalf("sign in with the imported password: %d %s", status, e)
	}
	u, err := n.Store.GetUser(context.Background(), "auth0|legacy-7")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Fatalf("after the first sign-in the hash is %.10s…, want argon2id", u.PasswordHash)
	}
	if status, e, _ := passwordGrant(t, n, "moved@example.com", "Moved-In-From-1"); status != http.StatusOK {
		t.Fatalf("sign in after the upgrade: %d %s", status, e)
	}

	for _, bad := range []map[string]any{
		{"password_hash": "$1$abc$md5crypt"},
		{"password_hash": string(bc), "password": "Str0ng!pass-1"},
	} {
		bad["connection"], bad["email"] = "Username-Password-Authentication", "bad@example.com"
		if status, body := m.do("POST", "users", bad); status != http.StatusBadRequest {
			t.Errorf("%v: %d %v, want 400", bad, status, body)
		}
	}
	if _, err := n.Store.GetUserByEmail(context.Background(), "Username-Password-Authentication", "bad@example.com"); err == nil {
		t.Error("a refused create left a user behind")
	}
	if status, body := m.do("PATCH", "users/auth0%7Clegacy-7", map[string]any{"password_hash": string(bc)}); status != http.StatusBadRequest {
		t.Errorf("PATCH password_hash: %d %v, want 400", status, body)
	}
}
