package app_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
)

// TestDashboardMFA: an administrator turns factors on and sets the policy from Security ›
// Multi-factor authentication (a factor the server lacks is refused with the API's message), and
// on a user's Multi-factor tab sees and deletes their methods and forgets their remembered
// browsers. A read-only administrator sees the same pages with nothing to press, and the API
// refuses what they post anyway.
func TestDashboardMFA(t *testing.T) {
	n := startNode(t, roomyManagementLimit)
	ctx := context.Background()
	admin := browser(t)
	_, home := dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	settingsURL := n.issuer + "admin/security/mfa"
	// The read-only administrator signs in before the policy asks for a second factor.
	hash, _ := password.Hasher{P: password.Fast()}.Hash("Read-Only-Pw1")
	if _, err := bootstrap.CreateAdministrator(ctx, n.Store, bootstrap.Options{ManagementAudience: n.issuer + mgmt.APIPath,
		ManagementScopes: mgmt.Scopes(), Now: time.Now}, bootstrap.Administrator{Email: "viewer@example.com", PasswordHash: hash, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	ro := browser(t)
	_, roHome := dashboardSignIn(t, n, ro, "viewer@example.com", "Read-Only-Pw1")
	roCSRF := formFields(roHome).Get("csrf")

	resp, page := get(t, admin, settingsURL)
	if resp.StatusCode != 200 || !strings.Contains(page, `name="factor_otp" id="factor-otp" checked`) || !strings.Contains(page, `name="factor_sms" id="factor-sms" disabled`) ||
		!strings.Contains(page, `value="never" checked`) {
		t.Fatalf("settings page: %d\n%s", resp.StatusCode, page)
	}
	resp, _ = post(t, admin, settingsURL, url.Values{"csrf": {csrf}, "factor_otp": {"on"}, "factor_email": {"on"}, "factor_recovery-code": {"on"}, "policy": {"all-applications"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	g, err := n.Store.GetGuardianSettings(ctx)
	if err != nil || !g.Enabled[domain.FactorEmail] || !g.Enabled[domain.FactorOTP] || !g.AlwaysMFA() {
		t.Fatalf("after save: %+v %v", g, err)
	}
	if resp, page := post(t, admin, settingsURL, url.Values{"csrf": {csrf}, "factor_otp": {"on"}, "factor_email": {"on"}, "factor_recovery-code": {"on"}, "factor_sms": {"on"}, "policy": {"all-applications"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "not supported") {
		t.Fatalf("enabling sms: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := post(t, admin, settingsURL, url.Values{"factor_otp": {"on"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("without the CSRF token: %d", resp.StatusCode)
	}

	// A user's methods.
	u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Users[1].Email)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	for _, a := range []*domain.MFAAuthenticator{
		{ID: "totp|dev_dash1", UserID: u.UserID, Type: domain.MethodTOTP, Secret: []byte{1}, Confirmed: true, CreatedAt: now},
		{ID: "recovery-code|dev_dash2", UserID: u.UserID, Type: domain.MethodRecoveryCode, Secret: []byte{2}, Confirmed: true, CreatedAt: now},
	} {
		if err := n.Store.CreateMFAAuthenticator(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	tab := n.issuer + "admin/users/" + url.PathEscape(u.UserID) + "/mfa"
	if resp, page := get(t, admin, tab); resp.StatusCode != 200 || !strings.Contains(page, "Authenticator app") || !strings.Contains(page, "Recovery code") {
		t.Fatalf("MFA tab: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ := post(t, admin, tab+"/forget-browsers", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("forget browsers: %d", resp.StatusCode)
	}

	// Read-only: nothing to press, and the API refuses a post.
	if _, page := get(t, ro, settingsURL); !strings.Contains(page, `id="save-mfa" disabled`) {
		t.Errorf("read-only settings page has a live Save:\n%s", page)
	}
	if _, page := get(t, ro, tab); !strings.Contains(page, `id="delete-all-methods" disabled`) || strings.Contains(page, `aria-label="Delete Authenticator app "`+">") {
		t.Errorf("read-only MFA tab has live buttons:\n%s", page)
	}
	if resp, _ := post(t, ro, tab+"/delete", url.Values{"csrf": {roCSRF}, "method_id": {"totp|dev_dash1"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("read-only delete: %d", resp.StatusCode)
	}
	if resp, _ := post(t, ro, settingsURL, url.Values{"csrf": {roCSRF}, "policy": {"never"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("read-only policy change: %d", resp.StatusCode)
	}

	// The admin deletes the app; with it goes the recovery code that stood in for it.
	if resp, _ := post(t, admin, tab+"/delete", url.Values{"csrf": {csrf}, "method_id": {"totp|dev_dash1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("delete: %d", resp.StatusCode)
	}
	if list, _ := n.Store.ListMFAAuthenticators(ctx, u.UserID); len(list) != 0 {
		t.Fatalf("after delete: %d methods left", len(list))
	}
	if _, page := get(t, admin, tab+"?done=method-deleted"); !strings.Contains(page, "Authentication method deleted.") || !strings.Contains(page, "No second factor") {
		t.Errorf("after delete:\n%s", page)
	}
}
