package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/gatehouse/gatehouse/internal/guard"
)

// TestLinkedDatabaseAccountBlocksAndReset: the address of a database account linked to another
// user is what brute-force protection counts and GET /user-blocks/{primary} lists; its forgotten
// password is reset by mail to its own address, which changes its password (not the primary's),
// lifts the block, and is still its password once unlinked.
func TestLinkedDatabaseAccountBlocksAndReset(t *testing.T) {
	linkedBlocksAndReset(t, startNode(t, noResetFloor))
}

// TestLinkedDatabaseAccountBlocksAndResetPostgres is the same on PostgreSQL. Skips without
// GATEHOUSE_TEST_POSTGRES_URL.
func TestLinkedDatabaseAccountBlocksAndResetPostgres(t *testing.T) {
	linkedBlocksAndReset(t, startPostgresNodes(t, 1, noResetFloor)[0])
}

func linkedBlocksAndReset(t *testing.T, n *node) {
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	admin, other := n.tenant.Users[0], n.tenant.Users[1]
	adminID, otherID := userIDOf(t, m, admin.Email), userIDOf(t, m, other.Email)
	otherRaw := strings.TrimPrefix(otherID, "auth0|")
	if status, out := m.do("POST", "users/"+adminID+"/identities", map[string]any{"provider": "auth0", "user_id": otherRaw}); status != http.StatusCreated {
		t.Fatalf("link: %d %v", status, out)
	}
	provider, err := oidc.NewProvider(context.Background(), n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	authURL := cfg.AuthCodeURL("s1")

	for range guard.DefaultThreshold {
		loginStatus(t, n, authURL, other.Email, "wrong-guess")
	}
	if got := loginStatus(t, n, authURL, other.Email, other.Password); got != http.StatusTooManyRequests {
		t.Fatalf("after %d wrong guesses: %d, want 429", guard.DefaultThreshold, got)
	}
	if got := loginStatus(t, n, authURL, admin.Email, admin.Password); got != http.StatusFound {
		t.Errorf("the primary's own address is not blocked: %d", got)
	}
	_, blocks := m.do("GET", "user-blocks/"+url.PathEscape(adminID), nil)
	if list, _ := blocks["blocked_for"].([]any); len(list) != 1 || list[0].(map[string]any)["identifier"] != other.Email {
		t.Errorf("blocks of the primary: %v", blocks)
	}

	c := browser(t)
	if status, page := requestReset(t, n, c, authURL, other.Email); status != http.StatusOK || !strings.Contains(page, "Check your email") {
		t.Fatalf("reset request: %d %s", status, page)
	}
	msg := waitForMail(t, n, srv, 1)[0]
	if !strings.Contains(msg.Header.Get("To"), other.Email) {
		t.Fatalf("reset mail to %q", msg.Header.Get("To"))
	}
	link := resetLink.FindString(msg.Text)
	_, page := get(t, c, link)
	if !strings.Contains(page, other.Email) {
		t.Errorf("the reset page does not name the linked account's address: %s", page)
	}
	form := formFields(page)
	form.Set("password", "L1nked-New-Pass!")
	form.Set("password_confirm", "L1nked-New-Pass!")
	if resp, body := post(t, c, n.issuer+"u/reset-password", form); resp.StatusCode != http.StatusOK || !strings.Contains(body, "Password changed") {
		t.Fatalf("change: %d %s", resp.StatusCode, body)
	}

	if got := loginStatus(t, n, authURL, other.Email, other.Password); got != http.StatusBadRequest {
		t.Errorf("the linked account's old password: %d, want 400", got)
	}
	if got := signInWithAPI(t, n, other.Email, "L1nked-New-Pass!"); got.id["sub"] != adminID {
		t.Errorf("the new password signs in as %v, want the primary %s", got.id["sub"], adminID)
	}
	if got := loginStatus(t, n, authURL, admin.Email, admin.Password); got != http.StatusFound {
		t.Errorf("the primary's password changed with the linked account's: %d", got)
	}
	// A password-change ticket by the linked address (and the connection) is the linked account's.
	status, ticket := m.do("POST", "tickets/password-change", map[string]any{"email": other.Email, "connection_id": "Username-Password-Authentication"})
	if status != http.StatusCreated {
		t.Fatalf("password-change ticket for the linked address: %d %v", status, ticket)
	}
	if _, page := get(t, browser(t), ticket["ticket"].(string)); !strings.Contains(page, other.Email) {
		t.Errorf("the ticket's page does not name the linked account: %s", page)
	}
	if status, out := m.do("DELETE", "users/"+adminID+"/identities/auth0/"+otherRaw, nil); status != http.StatusOK {
		t.Fatalf("unlink: %d %v", status, out)
	}
	if got := signInWithAPI(t, n, other.Email, "L1nked-New-Pass!"); got.id["sub"] != otherID {
		t.Errorf("after unlinking the new password signs in as %v, want %s", got.id["sub"], otherID)
	}
}
