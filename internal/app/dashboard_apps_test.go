package app_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/bootstrap"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/mgmt"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
)

// post submits a dashboard form with the page's CSRF token and returns the status and page.
func post(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.PostForm(u, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

var createdID = regexp.MustCompile(`<code id="client-id">([A-Za-z0-9]+)</code>`)

// The guide's step 1 through the Applications pages, and what each kind of person may do there.
func TestDashboardApplications(t *testing.T) {
	n := startNode(t)
	ctx := context.Background()
	admin := browser(t)
	_, home := dashboardSignIn(t, n, admin, n.tenant.Dashboard.Email, n.tenant.Dashboard.Password)
	csrf := formFields(home).Get("csrf")
	base := n.issuer + "admin/applications"

	// The list holds the seeded apps; a search narrows it.
	if _, page := get(t, admin, base); !strings.Contains(page, ">Your App<") || !strings.Contains(page, "1–4 of 4") {
		t.Fatalf("application list:\n%s", page)
	}
	if _, page := get(t, admin, base+"?q=machine"); !strings.Contains(page, "Your App (machine to machine)") || strings.Contains(page, ">Your App<") {
		t.Errorf("search did not narrow the list:\n%s", page)
	}

	// Without the CSRF token nothing is created.
	if resp, _ := post(t, admin, base+"/new", url.Values{"name": {"Forged"}, "app_type": {"spa"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("create without CSRF: %d", resp.StatusCode)
	}
	// The API's own message for an invalid type.
	if resp, page := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {"X"}, "app_type": {"toaster"}}); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "app_type") {
		t.Errorf("invalid app type: %d\n%s", resp.StatusCode, page)
	}

	// Markup in a name: the API's own refusal, shown inert with the text as typed.
	resp, page := post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {`My <script>alert(1)</script> App`}, "app_type": {"regular_web"}})
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must not contain &lt; or &gt;") ||
		strings.Contains(page, "<script>alert") || !strings.Contains(page, `value="My &lt;script&gt;alert(1)&lt;/script&gt; App"`) {
		t.Errorf("a name with markup: %d\n%s", resp.StatusCode, page)
	}

	// Create the guide's Regular Web App: its secret is shown once, with the .env.local block.
	name := "My App"
	resp, page = post(t, admin, base+"/new", url.Values{"csrf": {csrf}, "name": {name}, "app_type": {"regular_web"}})
	m := createdID.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusCreated || m == nil || !strings.Contains(page, `id="client-secret"`) || !strings.Contains(page, "AUTH0_CLIENT_ID=&#39;"+m[1]) {
		t.Fatalf("create: %d\n%s", resp.StatusCode, page)
	}
	id := m[1]
	settings := base + "/" + id

	guide := url.Values{"csrf": {csrf}, "name": {"Your Next.js App"}, "description": {""},
		"callbacks":                  {"http://localhost:3000/api/auth/callback\r\nhttps://yourapp.com/api/auth/callback\r\n"},
		"allowed_logout_urls":        {"http://localhost:3000\nhttps://yourapp.com"},
		"web_origins":                {"http://localhost:3000\nhttps://yourapp.com"},
		"token_endpoint_auth_method": {"client_secret_post"}, "rotation_type": {"rotating"}, "expiration_type": {"expiring"},
		"token_lifetime": {"2592000"}, "idle_token_lifetime": {"1296000"}, "id_token_lifetime": {"36000"},
		"grant_types": {"authorization_code", "refresh_token"}}

	// Bad input changes nothing: a wildcard (the API's message and the guide's warning), a lifetime
	// that is not a number.
	wild := cloneValues(guide)
	wild.Set("callbacks", "https://*.yourapp.com/api/auth/callback")
	resp, page = post(t, admin, settings, wild)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "contains a wildcard") ||
		!strings.Contains(page, "Attackers can redirect tokens to their own domains") || !strings.Contains(page, "https://*.yourapp.com/api/auth/callback") {
		t.Errorf("wildcard callback: %d\n%s", resp.StatusCode, page)
	}
	nan := cloneValues(guide)
	nan.Set("token_lifetime", "30 days")
	if resp, page = post(t, admin, settings, nan); resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, "must be a whole number of seconds") {
		t.Errorf("non-numeric lifetime: %d", resp.StatusCode)
	}
	if cl, _ := n.Store.GetClient(ctx, id); len(cl.Callbacks) != 0 || cl.Name != name {
		t.Fatalf("refused forms changed the client: %+v", cl)
	}

	// The guide's settings are saved, and logged as the administrator.
	resp, _ = post(t, admin, settings, guide)
	if loc, _ := resp.Location(); resp.StatusCode != http.StatusSeeOther || loc.Query().Get("saved") != "1" {
		t.Fatalf("save: %d %v", resp.StatusCode, loc)
	}
	cl, err := n.Store.GetClient(ctx, id)
	if err != nil || cl.Name != "Your Next.js App" || len(cl.Callbacks) != 2 || cl.TokenEndpointAuthMethod != "client_secret_post" ||
		cl.RefreshToken.RotationType != "rotating" || cl.RefreshToken.TokenLifetime != 2592000 || cl.JWTConfiguration.LifetimeInSeconds != 36000 ||
		cl.HasGrant(domain.GrantImplicit) || !cl.HasGrant(domain.GrantRefreshToken) {
		t.Fatalf("saved client: %+v %v", cl, err)
	}
	if _, page = get(t, admin, settings+"?saved=1"); !strings.Contains(page, "Settings saved.") || !strings.Contains(page, "https://yourapp.com/api/auth/callback</textarea>") {
		t.Errorf("settings after save:\n%s", page)
	}
	admin1, _ := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Dashboard.Email)
	if ev := waitForLog(t, n, admin1.UserID, "PATCH"); ev.ClientID == "" || !strings.Contains(ev.Description, "client") {
		t.Errorf("sapi event: %+v", ev)
	}

	// A read-only administrator sees the settings; the API refuses their change and the page says so.
	hash, _ := password.Hasher{P: password.Fast()}.Hash("Read-Only-Pw1")
	if _, err := bootstrap.CreateAdministrator(ctx, n.Store, bootstrap.Options{ManagementAudience: n.issuer + mgmt.APIPath,
		ManagementScopes: mgmt.Scopes(), Now: time.Now}, bootstrap.Administrator{Email: "viewer@example.com", PasswordHash: hash, ReadOnly: true}); err != nil {
		t.Fatal(err)
	}
	ro := browser(t)
	_, roHome := dashboardSignIn(t, n, ro, "viewer@example.com", "Read-Only-Pw1")
	roCSRF := formFields(roHome).Get("csrf")
	if _, page = get(t, ro, settings); !strings.Contains(page, "Save Changes</button>") || !strings.Contains(page, "disabled>Save Changes") {
		t.Errorf("read-only settings page:\n%s", page)
	}
	change := cloneValues(guide)
	change.Set("csrf", roCSRF)
	change.Set("name", "Renamed by a viewer")
	if resp, page = post(t, ro, settings, change); resp.StatusCode != http.StatusForbidden || !strings.Contains(page, "Insufficient scope") {
		t.Errorf("read-only save: %d\n%s", resp.StatusCode, page)
	}
	if resp, _ = post(t, ro, base+"/new", url.Values{"csrf": {roCSRF}, "name": {"Viewer app"}, "app_type": {"spa"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read-only create: %d", resp.StatusCode)
	}
	if cl, _ := n.Store.GetClient(ctx, id); cl.Name != "Your Next.js App" {
		t.Errorf("a read-only administrator renamed the app to %q", cl.Name)
	}
	if _, total, _ := n.Store.ListClients(ctx, store.ClientFilter{}, store.Page{}); total != 5 {
		t.Errorf("%d clients, want the 4 seeded and the one created", total)
	}

	// Paging: 25 applications are two pages of 20; a search pages its matches too.
	for i := 0; i < 20; i++ {
		c := &domain.Client{Name: fmt.Sprintf("Batch %02d", i), AppType: domain.AppTypeSPA}
		domain.ApplyClientDefaults(c)
		c.ClientID, c.CreatedAt, c.UpdatedAt = domain.NewClientID(), time.Now(), time.Now()
		if err := n.Store.CreateClient(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, page = get(t, admin, base); !strings.Contains(page, "1–20 of 25") || !strings.Contains(page, `href="/admin/applications?page=1"`) {
		t.Errorf("first page of 25:\n%s", page)
	}
	if _, page = get(t, admin, base+"?page=1"); !strings.Contains(page, "21–25 of 25") || !strings.Contains(page, `href="/admin/applications?page=0"`) {
		t.Errorf("second page of 25:\n%s", page)
	}
	if _, page = get(t, admin, base+"?q=batch"); !strings.Contains(page, "1–20 of 20") || strings.Contains(page, "Your App") {
		t.Errorf("search over pages:\n%s", page)
	}

	// Someone without a dashboard role reaches none of it.
	user := browser(t)
	dashboardSignIn(t, n, user, n.tenant.Users[1].Email, n.tenant.Users[1].Password)
	for _, u := range []string{base, settings, base + "/new"} {
		if resp, _ := get(t, user, u); resp.StatusCode != http.StatusForbidden {
			t.Errorf("GET %s by a tenant user: %d", u, resp.StatusCode)
		}
	}
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

// waitForLog waits (bounded) for the sapi event the log writer records in the background.
func waitForLog(t *testing.T, n *node, userID, method string) *domain.LogEvent {
	t.Helper()
	for i := 0; i < 200; i++ {
		list, _, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: audit.TypeManagementAPI, UserID: userID}, store.Page{})
		if err != nil {
			t.Fatal(err)
		}
		for _, ev := range list {
			if req, _ := ev.Details["request"].(map[string]any); strings.EqualFold(req["method"].(string), method) {
				return ev
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no sapi %s event for %s", method, userID)
	return nil
}
