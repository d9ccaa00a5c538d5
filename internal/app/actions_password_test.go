package app_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// The password triggers through the hosted reset pages and the Management API, with real Actions
// code: password-reset-post-challenge refuses a reset before the new password form (and the form's
// POST is no way around it), post-change-password hears of every change.
func TestPasswordTriggers(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	ctx := context.Background()
	m.bind("password-reset-post-challenge", m.deployAction("reset gate", "password-reset-post-challenge",
		`exports.onExecutePostChallenge = async (event, api) => {
  console.log('challenge ' + event.user.email + ' ' + event.request.method + ' ' + event.authentication.methods[0].name);
  if (event.user.app_metadata.reset_locked) {
    api.access.deny('Password resets for ' + event.user.email + ' go through the help desk.');
  }
};`))
	m.bind("post-change-password", m.deployAction("notify", "post-change-password",
		`exports.onExecutePostChangePassword = async (event, api) => {
  console.log('changed ' + event.user.user_id + ' on ' + event.connection.name + ' by ' + event.request.method);
};`))

	locked, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Users[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	if status, body := m.do("PATCH", "users/"+url.PathEscape(locked.UserID), map[string]any{"app_metadata": map[string]any{"reset_locked": true}}); status != 200 {
		t.Fatalf("lock: %d %v", status, body)
	}
	ticket := func(u *domain.User) string {
		status, body := m.do("POST", "tickets/password-change", map[string]any{"user_id": u.UserID})
		link, _ := body["ticket"].(string)
		if status != 201 || link == "" {
			t.Fatalf("ticket: %d %v", status, body)
		}
		return link
	}

	// Denied: a page that says why, no form; a forged POST (a valid form binding, computed from the
	// browser's own cookie) is refused as well, and the password stays.
	c := browser(t)
	link := ticket(locked)
	resp, page := get(t, c, link)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(htmlUnescape(page), "Password resets for "+locked.Email+" go through the help desk.") ||
		strings.Contains(page, `name="password"`) {
		t.Fatalf("denied page: %d %s", resp.StatusCode, page)
	}
	secret := strings.TrimPrefix(link, n.issuer+"u/reset-password?ticket=")
	var cookie string
	issuerURL, _ := url.Parse(n.issuer)
	for _, ck := range c.Jar.Cookies(issuerURL) {
		if ck.Name == "gh_reset" {
			cookie = ck.Value
		}
	}
	if cookie == "" {
		resp, _ = get(t, c, n.issuer+"u/reset-password") // the request page sets the form secret
		for _, ck := range c.Jar.Cookies(issuerURL) {
			if ck.Name == "gh_reset" {
				cookie = ck.Value
			}
		}
	}
	mac := hmac.New(sha256.New, []byte(cookie))
	mac.Write([]byte("gatehouse reset form\x00change\x00" + secret))
	forged := url.Values{"ticket": {secret}, "csrf": {base64.RawURLEncoding.EncodeToString(mac.Sum(nil))},
		"password": {"Forged-Passw0rd!"}, "password_confirm": {"Forged-Passw0rd!"}}
	if resp, body := post(t, c, n.issuer+"u/reset-password", forged); resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "help desk") {
		t.Fatalf("forged post: %d %s", resp.StatusCode, body)
	}
	if after, _ := n.Store.GetUser(ctx, locked.UserID); after.PasswordHash != locked.PasswordHash {
		t.Fatal("the password changed despite the denial")
	}
	if !logged(t, n, audit.TypeChangePasswordFailed) {
		t.Fatal("no fcp event for the denial")
	}
	fcp, _, _ := n.Store.ListLogs(ctx, store.LogFilter{Type: audit.TypeChangePasswordFailed}, store.Page{PerPage: 1})
	if acts, _ := fcp[0].Details["actions"].(map[string]any); acts == nil || len(acts["executions"].([]any)) != 1 {
		t.Fatalf("fcp details %v, want actions.executions", fcp[0].Details)
	}

	// Allowed: the form, the change, and post-change-password in the background.
	other, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Users[1].Email)
	if err != nil {
		t.Fatal(err)
	}
	c = browser(t)
	otherLink := ticket(other)
	_, _ = get(t, c, otherLink)
	_, page = get(t, c, otherLink) // a reload does not run the trigger again
	form := formFields(page)
	form.Set("password", "Ticket-Passw0rd!")
	form.Set("password_confirm", "Ticket-Passw0rd!")
	if resp, body := post(t, c, n.issuer+"u/reset-password", form); resp.StatusCode != 200 || !strings.Contains(body, "Password changed") {
		t.Fatalf("change: %d %s", resp.StatusCode, body)
	}
	waitActionLine(t, n, "changed "+other.UserID+" on "+domain.DefaultConnection+" by POST")
	// The denied reset ran the trigger at the link and again at the forged POST; the allowed one once.
	for line, want := range map[string]int{"challenge " + locked.Email + " GET email": 1, "challenge " + locked.Email + " POST email": 1,
		"challenge " + other.Email + " GET email": 1, "challenge " + other.Email + " POST email": 0} {
		if got := actionLines(t, n, "password-reset-post-challenge", line); got != want {
			t.Errorf("%q logged %d times, want %d", line, got, want)
		}
	}

	// The Management API's password update.
	if status, body := m.do("PATCH", "users/"+url.PathEscape(other.UserID), map[string]any{"password": "Api-Passw0rd!-2"}); status != 200 {
		t.Fatalf("patch password: %d %v", status, body)
	}
	waitActionLine(t, n, "changed "+other.UserID+" on "+domain.DefaultConnection+" by PATCH")
}

// actionLines counts the tenant log's console lines of trigger that contain line.
func actionLines(t *testing.T, n *node, trigger, line string) int {
	t.Helper()
	list, _, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: audit.TypeActionLog}, store.Page{PerPage: 100})
	if err != nil {
		t.Fatal(err)
	}
	count := 0
	for _, e := range list {
		if e.Details["trigger"] == trigger {
			count += strings.Count(jsonString(t, e.Details["actions"]), line)
		}
	}
	return count
}

// waitActionLine waits (bounded) for a post-change-password console line in the tenant log.
func waitActionLine(t *testing.T, n *node, line string) {
	t.Helper()
	for range 200 {
		list, _, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: audit.TypeActionLog}, store.Page{PerPage: 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range list {
			if e.Details["trigger"] == "post-change-password" && strings.Contains(jsonString(t, e.Details["actions"]), line) {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("no post-change-password line %q in the tenant log", line)
}
