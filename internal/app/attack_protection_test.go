package app_test

import (
	"bufio"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
)

// breachedPassword passes the password policy and is on the built-in list.
const breachedPassword = "Password1"

// hostedForm starts a sign-in at node n and returns the browser, the /u/login URL and its form.
func hostedForm(t *testing.T, n *node) (*http.Client, *url.URL, url.Values) {
	t.Helper()
	c := browser(t)
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	resp, _ := get(t, c, cfg.AuthCodeURL("x", oauth2.S256ChallengeOption(oauth2.GenerateVerifier())))
	loginURL, err := resp.Location()
	if err != nil {
		t.Fatalf("authorize did not redirect to the login page: %v", err)
	}
	_, page := get(t, c, loginURL.String())
	return c, loginURL, formFields(page)
}

func postPage(t *testing.T, c *http.Client, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	resp, err := c.Post(u, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, html.UnescapeString(string(b))
}

// TestBreachedPasswordDetection: off by default (Auth0's default); turned on, the right but
// breached password is refused at the token endpoint (password_leaked) and on /u/login with
// Auth0's message, a wrong password still gets the usual answer, sign-up refuses a breached
// password, and each detection is logged.
func TestBreachedPasswordDetection(t *testing.T) {
	n := startNode(t)
	m := enablePasswordGrant(t, n)
	if status, body := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "leaky@example.com", "password": breachedPassword}); status != 201 {
		t.Fatalf("create user: %d %v", status, body)
	}
	if status, e, _ := passwordGrant(t, n, "leaky@example.com", breachedPassword); status != 200 {
		t.Fatalf("detection off: %d %s", status, e)
	}
	if status, body := m.do("PATCH", "attack-protection/breached-password-detection", map[string]any{
		"enabled": true, "shields": []string{"block", "admin_notification"},
		"stage": map[string]any{"pre-user-registration": map[string]any{"shields": []string{"block"}}}}); status != 200 {
		t.Fatalf("enable detection: %d %v", status, body)
	}
	status, e, _ := passwordGrant(t, n, "leaky@example.com", breachedPassword)
	if status != http.StatusForbidden || e != "password_leaked: "+guard.MsgPasswordLeaked {
		t.Fatalf("breached password at the token endpoint: %d %s", status, e)
	}
	if status, e, _ := passwordGrant(t, n, "leaky@example.com", "Not-the-Passw0rd"); status != http.StatusForbidden || !strings.HasPrefix(e, "invalid_grant") {
		t.Fatalf("wrong password: %d %s; the answer must not depend on the list", status, e)
	}

	c, loginURL, form := hostedForm(t, n)
	form.Set("username", "leaky@example.com")
	form.Set("password", breachedPassword)
	resp, page := postPage(t, c, loginURL.String(), form)
	if resp.StatusCode != http.StatusForbidden || !strings.Contains(page, guard.MsgPasswordLeaked) {
		t.Fatalf("/u/login with a breached password: %d", resp.StatusCode)
	}

	signupURL := *loginURL
	signupURL.Path = "/u/signup"
	_, signupPage := get(t, c, signupURL.String())
	sf := formFields(signupPage)
	sf.Set("email", "newcomer@example.com")
	sf.Set("password", breachedPassword)
	resp, page = postPage(t, c, signupURL.String(), sf)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(page, guard.MsgChoosePasswordLeaked) {
		t.Fatalf("/u/signup with a breached password: %d", resp.StatusCode)
	}
	// auth0-js's /dbconnections/signup refuses it the same way, and creates no user.
	dbResp, dbBody := post(t, browser(t), n.issuer+"dbconnections/signup", url.Values{
		"client_id": {n.tenant.WebApp.ClientID}, "connection": {"Username-Password-Authentication"},
		"email": {"db.newcomer@example.com"}, "password": {breachedPassword}})
	if dbResp.StatusCode != http.StatusBadRequest || !strings.Contains(dbBody, `"code":"password_leaked"`) {
		t.Fatalf("/dbconnections/signup with a breached password: %d %s", dbResp.StatusCode, dbBody)
	}
	if _, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, "db.newcomer@example.com"); err == nil {
		t.Fatal("/dbconnections/signup created the user it refused")
	}
	for _, typ := range []string{"pwd_leak", "signup_pwd_leak"} {
		waitLogCount(t, n, typ, 1) // the tenant log is written in batches, just after the answer
		if status, logs := m.do("GET", "logs?q=type:"+typ, nil); status != 200 || len(logs["list"].([]any)) == 0 {
			t.Errorf("no %s event: %d %v", typ, status, logs)
		}
	}
}

// TestSuspiciousIPOnHostedPages: the pre-login bucket refuses /u/login and
// /dbconnections/change_password from a throttled address with 429 and Retry-After; the
// pre-user-registration bucket refuses /u/signup.
func TestSuspiciousIPOnHostedPages(t *testing.T) {
	n := startNode(t)
	m := newMgmtClient(t, n)
	if status, body := m.do("PATCH", "attack-protection/suspicious-ip-throttling", map[string]any{
		"stage": map[string]any{"pre-login": map[string]any{"max_attempts": 2, "rate": 3_600_000},
			"pre-user-registration": map[string]any{"max_attempts": 1, "rate": 3_600_000}}}); status != 200 {
		t.Fatalf("configure: %d %v", status, body)
	}
	c, loginURL, form := hostedForm(t, n)
	for i, want := range []int{http.StatusBadRequest, http.StatusBadRequest, http.StatusTooManyRequests} {
		form.Set("username", "someone-"+string(rune('a'+i))+"@example.com")
		form.Set("password", "Wrong-passw0rd")
		resp, page := postPage(t, c, loginURL.String(), form)
		if resp.StatusCode != want {
			t.Fatalf("sign-in %d: %d, want %d", i+1, resp.StatusCode, want)
		}
		if want == http.StatusTooManyRequests && (resp.Header.Get("Retry-After") == "" || !strings.Contains(page, guard.MsgSuspiciousIP)) {
			t.Fatalf("throttled sign-in: Retry-After %q", resp.Header.Get("Retry-After"))
		}
	}
	resp, err := http.PostForm(n.issuer+"dbconnections/change_password", url.Values{"email": {"ada@example.com"},
		"connection": {"Username-Password-Authentication"}, "client_id": {n.tenant.WebApp.ClientID}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("change_password from a throttled address: %d", resp.StatusCode)
	}

	for i, want := range []int{http.StatusFound, http.StatusTooManyRequests} {
		c, loginURL, _ := hostedForm(t, n)
		su := *loginURL
		su.Path = "/u/signup"
		_, page := get(t, c, su.String())
		sf := formFields(page)
		sf.Set("email", "new-"+string(rune('a'+i))+"@example.com")
		sf.Set("password", "Fresh-Passw0rd-9!")
		resp, _ := postPage(t, c, su.String(), sf)
		if resp.StatusCode != want {
			t.Fatalf("sign-up %d: %d, want %d", i+1, resp.StatusCode, want)
		}
	}
}

// TestLogStreamThroughManagementAPI: a stream created with the Management API receives the tenant
// log on a loopback receiver (a development node), never shows its Authorization header, and a
// production node refuses a loopback endpoint.
func TestLogStreamThroughManagementAPI(t *testing.T) {
	var (
		mu    sync.Mutex
		types []string
		auth  string
	)
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		auth = r.Header.Get("Authorization")
		sc := bufio.NewScanner(r.Body)
		for sc.Scan() {
			var it struct {
				Data struct {
					Type string `json:"type"`
				} `json:"data"`
			}
			_ = json.Unmarshal(sc.Bytes(), &it)
			types = append(types, it.Data.Type)
		}
	}))
	defer recv.Close()

	prod := startNode(t)
	status, body := newMgmtClient(t, prod).do("POST", "log-streams", map[string]any{"name": "siem", "type": "http",
		"sink": map[string]any{"httpEndpoint": recv.URL, "httpContentFormat": "JSONLINES"}})
	if status != 400 || !strings.Contains(body["message"].(string), "private, loopback or reserved") {
		t.Fatalf("a loopback endpoint outside development: %d %v", status, body)
	}

	n := startNode(t, func(o *app.Options) { o.AllowPrivateDestinations = true })
	m := newMgmtClient(t, n)
	status, body = m.do("POST", "log-streams", map[string]any{"name": "siem", "type": "http",
		"filters": []map[string]string{{"type": "category", "name": "auth.token_exchange.success"}},
		"sink": map[string]any{"httpEndpoint": recv.URL + "/in", "httpAuthorization": "Bearer stream-secret",
			"httpContentFormat": "JSONLINES", "httpContentType": "application/json"}})
	if status != 200 || body["status"] != "active" || !strings.HasPrefix(body["id"].(string), "lst_") {
		t.Fatalf("create: %d %v", status, body)
	}
	raw, _ := json.Marshal(body)
	if strings.Contains(string(raw), "stream-secret") {
		t.Fatalf("the Authorization header was returned: %s", raw)
	}
	id := body["id"].(string)
	for range 3 {
		newMgmtClient(t, n) // a client credentials exchange each: seccft events
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		mu.Lock()
		got := len(types)
		mu.Unlock()
		if got >= 3 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(types) < 3 || auth != "Bearer stream-secret" {
		t.Fatalf("received %v with Authorization %q", types, auth)
	}
	for _, typ := range types {
		if typ != "seccft" {
			t.Errorf("the filter let %q through", typ)
		}
	}
	if status, body := m.do("PATCH", "log-streams/"+id, map[string]any{"status": "paused"}); status != 200 || body["status"] != "paused" {
		t.Fatalf("pause: %d %v", status, body)
	}
	if status, _ := m.do("DELETE", "log-streams/"+id, nil); status != 204 {
		t.Fatalf("delete: %d", status)
	}
}

// TestTooManySignInsForOneAccount: the 21st successful sign-in in a minute for one account from one
// address is refused with 429 and Retry-After, and logged once as limit_sul; another account is not.
func TestTooManySignInsForOneAccount(t *testing.T) {
	n := startNode(t)
	m := enablePasswordGrant(t, n)
	u, other := n.tenant.Users[0], n.tenant.Users[1]
	for i := 1; i <= guard.DefaultLoginsPerMinute; i++ {
		if status, e, _ := passwordGrant(t, n, u.Email, u.Password); status != 200 {
			t.Fatalf("sign-in %d: %d %s", i, status, e)
		}
	}
	for range 2 {
		status, e, retry := passwordGrant(t, n, u.Email, u.Password)
		if status != http.StatusTooManyRequests || e != "too_many_attempts: "+guard.MsgTooManyLogins || retry == "" {
			t.Fatalf("sign-in past the limit: %d %s Retry-After %q", status, e, retry)
		}
	}
	if status, e, _ := passwordGrant(t, n, other.Email, other.Password); status != 200 {
		t.Fatalf("another account: %d %s", status, e)
	}
	waitLogCount(t, n, "limit_sul", 1) // the tenant log is written in batches, just after the answer
	if status, logs := m.do("GET", "logs?q=type:limit_sul", nil); status != 200 || len(logs["list"].([]any)) != 1 {
		t.Errorf("limit_sul events: %d %v, want one", status, logs)
	}
}

// TestUserNotifications: with the user_notification shields, the user is mailed (through a real
// SMTP server on loopback) when brute-force protection blocks their account and when they sign in
// with a breached password, once a day per kind however often it happens, with the way to a new
// password.
func TestUserNotifications(t *testing.T) {
	n := startNode(t)
	srv := withSMTP(t, n)
	m := enablePasswordGrant(t, n)
	if status, body := m.do("PATCH", "attack-protection/brute-force-protection", map[string]any{
		"max_attempts": 3, "shields": []string{"block", "user_notification"}}); status != 200 {
		t.Fatalf("brute force: %d %v", status, body)
	}
	if status, body := m.do("PATCH", "attack-protection/breached-password-detection", map[string]any{
		"enabled": true, "shields": []string{"user_notification"}}); status != 200 {
		t.Fatalf("breached: %d %v", status, body)
	}
	// email_verified: a created user is otherwise mailed a verification link, which is not what this
	// test counts.
	if status, body := m.do("POST", "users", map[string]any{"connection": "Username-Password-Authentication",
		"email": "leaky@example.com", "password": breachedPassword, "email_verified": true}); status != 201 {
		t.Fatalf("create user: %d %v", status, body)
	}
	u := n.tenant.Users[1]
	for range 5 { // the block starts at the third; the later ones mail nobody again
		passwordGrant(t, n, u.Email, "Wrong-passw0rd")
	}
	// Detected but not blocked (no block shield): the sign-in goes on, the user is told, once.
	for range 2 {
		if status, e, _ := passwordGrant(t, n, "leaky@example.com", breachedPassword); status != 200 {
			t.Fatalf("breached password without the block shield: %d %s", status, e)
		}
	}
	msgs := waitForMail(t, n, srv, 2)
	time.Sleep(200 * time.Millisecond)
	if _, err := n.Mail.RunOnce(t.Context()); err != nil {
		t.Fatal(err)
	}
	if msgs = srv.Messages(); len(msgs) != 2 {
		t.Fatalf("%d messages, want 2 (one per user and kind)", len(msgs))
	}
	got := map[string]string{}
	for _, msg := range msgs {
		got[msg.To] = msg.Subject + "\n" + msg.Text
	}
	if b := got[u.Email]; !strings.Contains(b, "too many failed attempts from 127.0.0.1") || !strings.Contains(b, "/u/unblock?ticket=") {
		t.Errorf("block notice: %q", b)
	}
	if b := got["leaky@example.com"]; !strings.Contains(b, "data breach") || !strings.Contains(b, "/u/reset-password") {
		t.Errorf("breach notice: %q", b)
	}
}
