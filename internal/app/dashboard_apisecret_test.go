package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

var signingSecretShown = regexp.MustCompile(`id="signing-secret-value" class="mono" readonly value="([^"]+)"`)

// An HS256 API's Signing Secret tab: the secret is shown only on the answer to a confirmed POST by
// an administrator who signed in within five minutes (else they sign in again first), and rotating
// it sets a new generated secret through the Management API, shown once. A read-only
// administrator and a tenant user get neither; an RS256 API has no such tab.
func TestDashboardAPISigningSecret(t *testing.T) {
	clock := testclock.New(time.Now())
	n := startNode(t, func(o *app.Options) { o.Now = clock.Now }, roomyManagementLimit)
	m := newMgmtClient(t, n)
	status, body := m.do("POST", "resource-servers", map[string]any{"name": "Shared secret API", "identifier": "https://hs.example.test",
		"signing_alg": "HS256"})
	first, _ := body["signing_secret"].(string)
	if status != 201 || len(first) < 32 {
		t.Fatalf("create an HS256 API: %d %v", status, body)
	}
	id := body["id"].(string)
	tab := n.issuer + "admin/apis/" + id + "/signing-secret"
	apiSecret := func() string {
		_, b := m.do("GET", "resource-servers/"+id, nil)
		s, _ := b["signing_secret"].(string)
		return s
	}

	admin := browser(t)
	_, home := dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	_, page := get(t, admin, n.issuer+"admin/apis/"+id)
	if !strings.Contains(page, `href="/admin/apis/`+id+`/signing-secret"`) || strings.Contains(page, first) {
		t.Fatalf("settings tab: no Signing Secret tab, or the secret shown:\n%s", page)
	}
	if _, page = get(t, admin, tab); strings.Contains(page, first) || !strings.Contains(page, `id="reveal"`) || !strings.Contains(page, `id="rotate"`) {
		t.Fatalf("the tab:\n%s", page)
	}
	if _, page = get(t, admin, tab+"?confirm=reveal"); !strings.Contains(page, `id="reveal-confirm"`) || strings.Contains(page, first) {
		t.Fatalf("reveal confirmation:\n%s", page)
	}

	// Freshly signed in: shown on the POST's answer only.
	resp, page := post(t, admin, tab+"/reveal", url.Values{"csrf": {csrf}})
	if s := signingSecretShown.FindStringSubmatch(page); resp.StatusCode != http.StatusOK || s == nil || s[1] != first ||
		resp.Header.Get("Cache-Control") != "no-store" {
		t.Fatalf("reveal: %d %v\n%s", resp.StatusCode, resp.Header, page)
	}
	if _, page = get(t, admin, tab); strings.Contains(page, first) {
		t.Fatal("the secret is shown on a GET")
	}
	// A forged form (no CSRF token) shows nothing.
	if resp, page = post(t, admin, tab+"/reveal", url.Values{}); resp.StatusCode == http.StatusOK || strings.Contains(page, first) {
		t.Fatalf("reveal without the CSRF token: %d", resp.StatusCode)
	}

	// Rotation: a new generated secret, saved through the Management API and shown once.
	resp, page = post(t, admin, tab+"/rotate", url.Values{"csrf": {csrf}})
	s := signingSecretShown.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || s == nil || s[1] == first || len(s[1]) < 32 || apiSecret() != s[1] || !strings.Contains(page, "was rotated") {
		t.Fatalf("rotate: %d\n%s", resp.StatusCode, page)
	}
	second := s[1]

	// Six minutes on, both ask for a fresh sign-in first and change or show nothing until then.
	clock.Advance(6 * time.Minute)
	for _, action := range []string{"reveal", "rotate"} {
		resp, page = post(t, admin, tab+"/"+action, url.Values{"csrf": {csrf}})
		if resp.StatusCode != http.StatusUnauthorized || strings.Contains(page, second) || !strings.Contains(page, "Confirm it&#39;s you") {
			t.Fatalf("a stale session's %s: %d\n%s", action, resp.StatusCode, page)
		}
	}
	if apiSecret() != second {
		t.Fatal("a stale session rotated the secret")
	}
	link := regexp.MustCompile(`id="reauth" href="([^"]+)"`).FindStringSubmatch(page)
	csrf = reauthenticate(t, n, admin, htmlUnescape(link[1]), "/admin/apis/"+id+"/signing-secret?confirm=rotate")
	if resp, page = post(t, admin, tab+"/reveal", url.Values{"csrf": {csrf}}); signingSecretShown.FindStringSubmatch(page) == nil ||
		signingSecretShown.FindStringSubmatch(page)[1] != second {
		t.Fatalf("reveal after signing in again: %d\n%s", resp.StatusCode, page)
	}

	// An RS256 API has no signing secret.
	rs, err := n.Store.GetResourceServerByIdentifier(context.Background(), "https://api.yourapp.com")
	if err != nil {
		t.Fatal(err)
	}
	if resp, _ = get(t, admin, n.issuer+"admin/apis/"+rs.ID+"/signing-secret"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an RS256 API's signing secret tab: %d", resp.StatusCode)
	}

	// A read-only administrator sees the tab without the secret and may neither reveal nor rotate;
	// a tenant user reaches nothing.
	readOnlyAndUserRefused(t, n, []string{tab}, []roPost{{tab + "/reveal", url.Values{}}, {tab + "/rotate", url.Values{}}})
	if apiSecret() != second {
		t.Error("a read-only administrator or a user rotated the secret")
	}
}
