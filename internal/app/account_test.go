package app_test

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
)

var (
	accountCSRF = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	accountID   = regexp.MustCompile(`name="id" value="([^"]+)"`)
)

// TestAccountPage: the signed-in user's /u/account lists their factors; a removal or a new
// recovery code is refused without the session's cookie token, sent to /u/account/verify when
// the last second factor is older than the step-up window (and nothing changes), and done after a
// code there (a wrong one refused); each is in the tenant log (gd_unenroll for the removal). A
// browser without a session is told to sign in.
func TestAccountPage(t *testing.T) {
	mfaEngines(t, func(t *testing.T, n mfaNode) {
		ctx := context.Background()
		setMFAPolicy(t, n.node, domain.PolicyAllApplications)
		client := newMFAClient(t, n.node)
		user := n.tenant.Users[0]
		b := newMFABrowser(t, n)
		authURL, _ := client.authURL()
		b.start(authURL, user.Email, user.Password)
		secret, _ := b.enroll()
		b.finish()
		account := n.issuer + "u/account"

		if resp, _ := get(t, browser(t), account); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("without a session: %d", resp.StatusCode)
		}
		resp, page := get(t, b.c, account)
		if resp.StatusCode != 200 || !strings.Contains(page, "Authenticator app") || !strings.Contains(page, "You have a recovery code") {
			t.Fatalf("account page: %d %s", resp.StatusCode, page)
		}
		csrf, id := accountCSRF.FindStringSubmatch(page)[1], accountID.FindStringSubmatch(page)[1]
		post := func(path string, v url.Values) (int, string, string) {
			t.Helper()
			resp, err := b.c.PostForm(n.issuer+strings.TrimPrefix(path, "/"), v)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			return resp.StatusCode, resp.Header.Get("Location"), string(body)
		}
		factorCount := func() int {
			list, err := n.Store.ListMFAAuthenticators(ctx, mustUserID(t, n, user.Email))
			if err != nil {
				t.Fatal(err)
			}
			return len(list)
		}

		if status, _, _ := post("/u/account", url.Values{"csrf": {"forged"}, "op": {"remove"}, "id": {id}}); status != http.StatusForbidden {
			t.Fatalf("a forged token: %d", status)
		}
		// The factor passed at sign-in is older than the step-up window: a second factor first.
		n.clock.Advance(6 * time.Minute)
		if status, loc, _ := post("/u/account", url.Values{"csrf": {csrf}, "op": {"remove"}, "id": {id}}); status != http.StatusSeeOther || loc != "/u/account/verify" {
			t.Fatalf("a removal without a fresh factor: %d %s", status, loc)
		}
		if factorCount() != 2 {
			t.Fatal("the factor changed before the step-up")
		}
		b.loc = mustParse(t, "/u/account/verify")
		b.open()
		if b.code != 200 || !strings.Contains(b.page, `name="code"`) {
			t.Fatalf("verify page: %d %s", b.code, b.page)
		}
		b.submit(url.Values{"code": {"000000"}})
		if b.code != http.StatusBadRequest || !strings.Contains(b.page, "Invalid code") {
			t.Fatalf("a wrong code: %d", b.code)
		}
		b.submit(url.Values{"code": {totpCode(t, secret, n.clock.Now())}})
		if b.code != http.StatusSeeOther || b.loc.Path != "/u/account" {
			t.Fatalf("the right code: %d %s", b.code, b.loc)
		}

		status, _, page := post("/u/account", url.Values{"csrf": {csrf}, "op": {"recovery-code"}})
		if status != 200 || !recoveryText.MatchString(page) {
			t.Fatalf("new recovery code: %d %s", status, page)
		}
		status, _, page = post("/u/account", url.Values{"csrf": {csrf}, "op": {"remove"}, "id": {id}})
		if status != 200 || !strings.Contains(page, "Authenticator app removed") || !strings.Contains(page, "You have no second factor") {
			t.Fatalf("removal: %d %s", status, page)
		}
		if factorCount() != 0 {
			t.Fatal("the factor (and the recovery code with it) is still there")
		}
		if status, _, _ := post("/u/account", url.Values{"csrf": {csrf}, "op": {"remove"}, "id": {id}}); status != http.StatusNotFound {
			t.Fatalf("removing it again: %d", status)
		}
		if waitLogCount(t, n.node, audit.TypeMFAUnenroll, 1) != 1 {
			t.Error("no gd_unenroll logged")
		}
		// Too late: the fresh factor ends after the window.
		n.clock.Advance(6 * time.Minute)
		if status, loc, _ := post("/u/account", url.Values{"csrf": {csrf}, "op": {"recovery-code"}}); status != http.StatusSeeOther || loc != "/u/account/verify" {
			t.Fatalf("after the window: %d %s", status, loc)
		}
	})
}

func mustUserID(t *testing.T, n mfaNode, email string) string {
	t.Helper()
	u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, email)
	if err != nil {
		t.Fatal(err)
	}
	return u.UserID
}
