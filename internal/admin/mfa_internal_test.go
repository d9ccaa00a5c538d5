package admin

import (
	"bytes"
	"strings"
	"testing"
)

// The user's Multi-factor tab renders each method with its label and dates, and a read-only
// person gets no live Delete button.
func TestUserMFATabMarkup(t *testing.T) {
	pages, err := loadPages()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	v := &viewer{Name: "Viewer", Scopes: []string{"read:users", "read:authentication_methods"}}
	d := userTab{Base: "/admin/users/auth0%7C1", Tab: "mfa", Methods: []authMethod{
		{ID: "totp|dev_1", Type: "totp", Confirmed: true, CreatedAt: "2026-12-06T10:00:00.000Z"},
		{ID: "webauthn-roaming|dev_2", Type: "webauthn-roaming", Name: "<b>key</b>", Confirmed: true, CreatedAt: "2026-12-06T10:00:00.000Z", LastAuthAt: "2026-12-06T11:00:00.000Z"},
	}}
	d.User.UserID = "auth0|1"
	if err := mustPage(t, pages, "user").ExecuteTemplate(&out, "layout", &layoutData{Title: "u", Viewer: v, Data: d}); err != nil {
		t.Fatal(err)
	}
	page := out.String()
	if !strings.Contains(page, "Authenticator app") || !strings.Contains(page, "Security key") || !strings.Contains(page, "2026-12-06") ||
		strings.Contains(page, "<b>key</b>") || strings.Contains(page, `aria-label="Delete Authenticator app ">Delete`) {
		t.Errorf("MFA tab:\n%s", page)
	}
}
