package app_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

var newSecret = regexp.MustCompile(`id="client-secret-value" class="mono" readonly value="([^"]+)"`)

// An application's Credentials tab: the secret is rotated after a confirmation step and shown
// once; deleting it or rotating its secret asks for a fresh sign-in once the session's sign-in is
// more than five minutes old, then comes back to confirm.
func TestDashboardCredentialsAndReauthentication(t *testing.T) {
	clock := testclock.New(time.Now())
	n := startNode(t, func(o *app.Options) { o.Now = clock.Now }, roomyManagementLimit)
	ctx := context.Background()
	admin := browser(t)
	_, home := dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	_, page := post(t, admin, n.issuer+"admin/applications/new", url.Values{"csrf": {csrf}, "name": {"Rotating App"}, "app_type": {"regular_web"}})
	m := createdID.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("create:\n%s", page)
	}
	id := m[1]
	appPage := n.issuer + "admin/applications/" + id
	before, _ := n.Store.GetClient(ctx, id)

	// The tab shows no secret; the rotation asks for confirmation first.
	_, page = get(t, admin, appPage+"/credentials")
	if !strings.Contains(page, "Client Secret (Post)") && !strings.Contains(page, "Client Secret (Basic)") || strings.Contains(page, "rotate-confirm") || !strings.Contains(page, `href="/admin/applications/`+id+`/credentials?confirm=rotate"`) {
		t.Errorf("credentials tab:\n%s", page)
	}
	if _, page = get(t, admin, appPage+"/credentials?confirm=rotate"); !strings.Contains(page, "stops working at once") || !strings.Contains(page, `id="rotate-confirm"`) {
		t.Errorf("confirmation step:\n%s", page)
	}
	if _, page = get(t, admin, appPage+"/quickstart"); !strings.Contains(page, "AUTH0_CLIENT_ID=&#39;"+id+"&#39;") || !strings.Contains(page, "AUTH0_ISSUER_BASE_URL=&#39;"+strings.TrimSuffix(n.issuer, "/")) {
		t.Errorf("quickstart:\n%s", page)
	}

	// Freshly signed in: the rotation happens, and the new secret is shown once.
	resp, page := post(t, admin, appPage+"/rotate-secret", url.Values{"csrf": {csrf}})
	s := newSecret.FindStringSubmatch(page)
	after, _ := n.Store.GetClient(ctx, id)
	if resp.StatusCode != http.StatusOK || s == nil || !bytes.Equal(after.SecretHash, domain.HashSecret(s[1])) || bytes.Equal(after.SecretHash, before.SecretHash) ||
		!strings.Contains(page, "AUTH0_CLIENT_SECRET=&#39;"+s[1]+"&#39;") {
		t.Fatalf("rotation: %d\n%s", resp.StatusCode, page)
	}
	if _, page = get(t, admin, appPage+"/credentials"); strings.Contains(page, s[1]) {
		t.Errorf("the secret is shown again")
	}

	// Six minutes later, the rotation first asks to sign in again; nothing changes until then.
	clock.Advance(6 * time.Minute)
	resp, page = post(t, admin, appPage+"/rotate-secret", url.Values{"csrf": {csrf}})
	link := regexp.MustCompile(`id="reauth" href="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusUnauthorized || link == nil || !strings.Contains(page, "Confirm it&#39;s you") {
		t.Fatalf("a stale session's rotation: %d\n%s", resp.StatusCode, page)
	}
	if c, _ := n.Store.GetClient(ctx, id); !bytes.Equal(c.SecretHash, after.SecretHash) {
		t.Fatalf("a stale session rotated the secret")
	}
	csrf = reauthenticate(t, n, admin, htmlUnescape(link[1]), "/admin/applications/"+id+"/credentials?confirm=rotate")
	if resp, page = post(t, admin, appPage+"/rotate-secret", url.Values{"csrf": {csrf}}); resp.StatusCode != http.StatusOK || newSecret.FindStringSubmatch(page) == nil {
		t.Fatalf("rotation after signing in again: %d\n%s", resp.StatusCode, page)
	}

	// Deleting: a confirmation page, then the same rule.
	if _, page = get(t, admin, appPage+"/delete"); !strings.Contains(page, `id="delete-confirm"`) || !strings.Contains(page, "Rotating App") {
		t.Errorf("delete confirmation:\n%s", page)
	}
	clock.Advance(6 * time.Minute)
	resp, page = post(t, admin, appPage+"/delete", url.Values{"csrf": {csrf}})
	link = regexp.MustCompile(`id="reauth" href="([^"]+)"`).FindStringSubmatch(page)
	if resp.StatusCode != http.StatusUnauthorized || link == nil {
		t.Fatalf("a stale session's delete: %d", resp.StatusCode)
	}
	if _, err := n.Store.GetClient(ctx, id); err != nil {
		t.Fatalf("a stale session deleted the app: %v", err)
	}
	// Taking an application's access to an API away is a deletion too.
	rs, _ := n.Store.GetResourceServerByIdentifier(ctx, "https://api.yourapp.com")
	if resp, _ = post(t, admin, n.issuer+"admin/apis/"+rs.ID+"/m2m", url.Values{"csrf": {csrf}, "client_id": {n.tenant.M2MApp.ClientID}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a stale session's grant removal: %d", resp.StatusCode)
	}
	if _, err := n.Store.FindClientGrant(ctx, n.tenant.M2MApp.ClientID, "https://api.yourapp.com"); err != nil {
		t.Errorf("a stale session removed a grant: %v", err)
	}
	csrf = reauthenticate(t, n, admin, htmlUnescape(link[1]), "/admin/applications/"+id+"/delete")
	resp, _ = post(t, admin, appPage+"/delete", url.Values{"csrf": {csrf}})
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc.Path != "/admin/applications" {
		t.Fatalf("delete: %d %v", resp.StatusCode, loc)
	}
	if _, err := n.Store.GetClient(ctx, id); err == nil {
		t.Errorf("the app outlived its deletion")
	}

	// The rest of the tenant, and who may do what: a read-only administrator's rotation and
	// deletion are the API's refusals; a tenant user reaches nothing.
	web := n.issuer + "admin/applications/" + n.tenant.WebApp.ClientID
	webBefore, _ := n.Store.GetClient(ctx, n.tenant.WebApp.ClientID)
	readOnlyAndUserRefused(t, n, []string{web + "/credentials", web + "/quickstart", web + "/delete"}, []roPost{
		{web + "/rotate-secret", url.Values{}},
		{web + "/delete", url.Values{}},
	})
	if c, err := n.Store.GetClient(ctx, n.tenant.WebApp.ClientID); err != nil || !bytes.Equal(c.SecretHash, webBefore.SecretHash) {
		t.Errorf("a read-only administrator changed the guide's app: %v", err)
	}
}

// reauthenticate follows the "Sign in again" link: /authorize must show the login form even though
// the SSO session is alive (prompt=login, max_age=0), and the callback lands on back. It returns
// the new session's CSRF token.
func reauthenticate(t *testing.T, n *node, c *http.Client, link, back string) string {
	t.Helper()
	resp, _ := get(t, c, n.issuer+strings.TrimPrefix(link, "/"))
	authorize, _ := resp.Location()
	if resp.StatusCode != http.StatusFound || authorize.Path != "/authorize" || authorize.Query().Get("prompt") != "login" || authorize.Query().Get("max_age") != "0" {
		t.Fatalf("re-authentication start: %d %v", resp.StatusCode, authorize)
	}
	resp, _ = get(t, c, authorize.String())
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || !strings.HasPrefix(loc.Path, "/u/login") {
		t.Fatalf("prompt=login skipped the login form: %d %v", resp.StatusCode, loc)
	}
	cb := signIn(t, c, authorize.String(), n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	resp, _ = get(t, c, cb.String())
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusFound || loc.RequestURI() != back {
		t.Fatalf("after signing in again: %d %v, want %s", resp.StatusCode, loc, back)
	}
	_, page := get(t, c, n.issuer+strings.TrimPrefix(back, "/"))
	return formFields(page).Get("csrf")
}
