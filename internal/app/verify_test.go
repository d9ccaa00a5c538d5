package app_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
)

var verifyLink = regexp.MustCompile(`https?://[^\s"<>]+/u/email-verification\?ticket=[A-Za-z0-9_-]+`)

// signUp walks /authorize?screen_hint=signup through the hosted signup form.
func signUp(t *testing.T, n *node, email, pw string) {
	t.Helper()
	c := browser(t)
	q := url.Values{"client_id": {n.tenant.WebApp.ClientID}, "redirect_uri": {n.tenant.WebApp.Callback},
		"response_type": {"code"}, "scope": {"openid email"}, "state": {"s"}, "screen_hint": {"signup"}}
	resp, _ := get(t, c, n.issuer+"authorize?"+q.Encode())
	loc, _ := resp.Location()
	if loc == nil || loc.Path != "/u/signup" {
		t.Fatalf("signup: /authorize went to %v", loc)
	}
	_, page := get(t, c, loc.String())
	form := formFields(page)
	form.Set("email", email)
	form.Set("password", pw)
	resp, body := post(t, c, loc.String(), form)
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("signup submit: %d %s", resp.StatusCode, body)
	}
}

// TestSignupVerification: signup → verification mail over SMTP → link → verified, as the
// store, the tenant log, a post-login Action's event.user.email_verified and the welcome mail
// see it; the link is single-use and a HEAD request (a mail scanner) spends nothing.
func TestSignupVerification(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	m.bind("post-login", m.deployAction("Verified claim", "post-login", `exports.onExecutePostLogin = async (event, api) => {
  api.idToken.setCustomClaim("https://gatehouse.test/email_verified", event.user.email_verified);
};`))
	if status, out := m.do("PUT", "email-templates/welcome_email", map[string]any{"template": "welcome_email",
		"syntax": "liquid", "subject": "Welcome aboard, {{ user.email }}", "body": "<p>Hello {{ user.email }}</p>", "enabled": true}); status != 200 {
		t.Fatalf("welcome template: %d %v", status, out)
	}

	email, pw := "new.user@example.com", "Sign-up-Passw0rd!"
	signUp(t, n, email, pw)
	msgs := waitForMail(t, n, srv, 1)
	msg := msgs[0]
	if msg.Subject != "Verify your email address" || !strings.Contains(msg.Header.Get("To"), email) {
		t.Fatalf("mail: %q to %q", msg.Subject, msg.Header.Get("To"))
	}
	link := verifyLink.FindString(msg.Text)
	if link == "" || !strings.Contains(msg.HTML, link) || !strings.Contains(msg.Text, "5 days") {
		t.Fatalf("no verification link in both parts:\n%s\n%s", msg.Text, msg.HTML)
	}
	if r := signInWithAPI(t, n, email, pw); r.id["https://gatehouse.test/email_verified"] != false {
		t.Fatalf("before verification the Action saw email_verified = %v", r.id["https://gatehouse.test/email_verified"])
	}

	c := browser(t)
	if resp, err := c.Head(link); err != nil || resp.StatusCode != 200 {
		t.Fatalf("HEAD: %v %v", resp, err)
	}
	u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, email)
	if err != nil || u.EmailVerified {
		t.Fatalf("after HEAD: %+v %v", u, err)
	}
	resp, page := get(t, c, link)
	if resp.StatusCode != 200 || !strings.Contains(page, "Email verified") || !strings.Contains(page, email) {
		t.Fatalf("verify: %d %s", resp.StatusCode, page)
	}
	if resp.Header.Get("Cache-Control") != "no-store" || resp.Header.Get("Referrer-Policy") != "no-referrer" {
		t.Errorf("headers: %v", resp.Header)
	}
	u, _ = n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, email)
	if !u.EmailVerified {
		t.Fatal("email_verified not set")
	}
	if !logged(t, n, audit.TypeVerificationEmail) {
		t.Error("no sv event")
	}
	if r := signInWithAPI(t, n, email, pw); r.id["https://gatehouse.test/email_verified"] != true || r.id["email_verified"] != true {
		t.Fatalf("after verification: Action saw %v, ID token email_verified %v", r.id["https://gatehouse.test/email_verified"], r.id["email_verified"])
	}
	msgs = waitForMail(t, n, srv, 2)
	if msgs[1].Subject != "Welcome aboard, "+email || !strings.Contains(msgs[1].HTML, "Hello "+email) {
		t.Fatalf("welcome mail: %q %s", msgs[1].Subject, msgs[1].HTML)
	}

	// The link is spent: refused, logged, nothing changed.
	resp, page = get(t, c, link)
	if resp.StatusCode != 400 || !strings.Contains(page, "already been used") {
		t.Fatalf("reused link: %d %s", resp.StatusCode, page)
	}
	if !logged(t, n, audit.TypeVerificationEmailFailed) {
		t.Error("no fv event")
	}
	// A tampered or truncated ticket is the same invalid page.
	// The tampered link changes the last character to one it is not (a ticket may end in "A").
	swap := "A"
	if strings.HasSuffix(link, "A") {
		swap = "B"
	}
	for _, bad := range []string{link[:len(link)-1] + swap, link[:len(link)-3], n.issuer + "u/email-verification"} {
		if resp, page := get(t, c, bad); resp.StatusCode != 400 || !strings.Contains(page, "no longer valid") {
			t.Fatalf("%s: %d %s", bad, resp.StatusCode, page)
		}
	}
	for range 5 {
		_, _ = n.Mail.RunOnce(context.Background())
	}
	if got := len(srv.Messages()); got != 2 {
		t.Fatalf("%d messages; the reused link must not send another welcome", got)
	}
}

// TestSignupWithoutVerification: with verify_email disabled, a signup sends no verification
// mail, only the welcome mail when that is enabled.
func TestSignupWithoutVerification(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	for _, tpl := range []map[string]any{
		{"template": "verify_email", "syntax": "liquid", "subject": "Verify", "body": "<a href=\"{{ url }}\">verify</a>", "enabled": false},
		{"template": "welcome_email", "syntax": "liquid", "subject": "Welcome", "body": "<p>Hi</p>", "enabled": true},
	} {
		if status, out := m.do("POST", "email-templates", tpl); status != 201 {
			t.Fatalf("create %v: %d %v", tpl["template"], status, out)
		}
	}
	signUp(t, n, "quiet@example.com", "Sign-up-Passw0rd!")
	msgs := waitForMail(t, n, srv, 1)
	for range 5 {
		_, _ = n.Mail.RunOnce(context.Background())
	}
	if len(srv.Messages()) != 1 || msgs[0].Subject != "Welcome" {
		t.Fatalf("messages: %d, first %q", len(srv.Messages()), msgs[0].Subject)
	}
}

// TestVerificationTicketsAndJobs: the Management API's verification ticket and job. A ticket
// goes to result_url with Auth0's parameters, expires, and verifies only the address it was
// issued for; a job's status follows its mail.
func TestVerificationTicketsAndJobs(t *testing.T) {
	var (
		mu    sync.Mutex
		clock = time.Now()
	)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	advance := func(d time.Duration) { mu.Lock(); clock = clock.Add(d); mu.Unlock() }
	n := startNode(t, noResetFloor, func(o *app.Options) { o.Now = now })
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	ctx := context.Background()
	user := n.tenant.Users[0]
	u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, user.Email)
	if err != nil {
		t.Fatal(err)
	}
	u.EmailVerified = false
	if err := n.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	c := browser(t)

	// Bad requests change nothing.
	for body, want := range map[string]int{
		`{}`: 400, `{"user_id":"auth0|nobody"}`: 404, `{"user_id":"` + u.UserID + `","ttl_sec":-1}`: 400,
		`{"user_id":"` + u.UserID + `","result_url":"javascript:alert(1)"}`:            400,
		`{"user_id":"` + u.UserID + `","result_url":"https://a.test","client_id":"x"}`: 400,
		`{"user_id":"` + u.UserID + `","organization_id":"org_1"}`:                     400,
		`{"user_id":"` + u.UserID + `","surprise":true}`:                               400,
	} {
		if status, out := m.do("POST", "tickets/email-verification", rawJSON(body)); status != want {
			t.Errorf("%s: %d %v, want %d", body, status, out, want)
		}
	}

	ticket := func(body map[string]any) string {
		t.Helper()
		body["user_id"] = u.UserID
		status, out := m.do("POST", "tickets/email-verification", body)
		link, _ := out["ticket"].(string)
		if status != 201 || !verifyLink.MatchString(link) {
			t.Fatalf("ticket: %d %v", status, out)
		}
		return link
	}
	expiring := ticket(map[string]any{"result_url": "https://app.example/verified", "ttl_sec": 60})
	advance(2 * time.Minute)
	resp, _ := get(t, c, expiring)
	loc, _ := resp.Location()
	if resp.StatusCode != 302 || loc == nil || loc.Host != "app.example" || loc.Query().Get("success") != "false" || loc.Query().Get("code") != "expired" {
		t.Fatalf("expired ticket: %d %v", resp.StatusCode, loc)
	}
	if got, _ := n.Store.GetUser(ctx, u.UserID); got.EmailVerified {
		t.Fatal("an expired ticket verified the address")
	}

	// A ticket issued before the address changed does not verify the new one.
	stale := ticket(map[string]any{})
	u.Email = "changed@example.com"
	if err := n.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if resp, _ := get(t, c, stale); resp.StatusCode != 400 {
		t.Fatalf("stale ticket: %d", resp.StatusCode)
	}
	if got, _ := n.Store.GetUser(ctx, u.UserID); got.EmailVerified {
		t.Fatal("a ticket for the old address verified the new one")
	}

	good := ticket(map[string]any{"result_url": "https://app.example/verified?from=mail", "includeEmailInRedirect": true})
	resp, _ = get(t, c, good)
	loc, _ = resp.Location()
	if resp.StatusCode != 302 || loc == nil || loc.Query().Get("success") != "true" || loc.Query().Get("email") != u.Email ||
		loc.Query().Get("from") != "mail" || loc.Query().Get("message") != "Your email was verified. You can continue using the application." {
		t.Fatalf("ticket: %d %v", resp.StatusCode, loc)
	}
	if got, _ := n.Store.GetUser(ctx, u.UserID); !got.EmailVerified {
		t.Fatal("not verified")
	}
	if resp, _ := get(t, c, good); resp.StatusCode != 302 {
		t.Fatalf("reuse: %d", resp.StatusCode)
	} else if l, _ := resp.Location(); l.Query().Get("code") != "already-used" {
		t.Fatalf("reuse went to %v", l)
	}

	// A ticket naming an application offers its login route on the hosted page.
	if status, out := m.do("PATCH", "clients/"+n.tenant.WebApp.ClientID, map[string]any{"initiate_login_uri": "https://app.example/login"}); status != 200 {
		t.Fatalf("client: %d %v", status, out)
	}
	withClient := ticket(map[string]any{"client_id": n.tenant.WebApp.ClientID})
	if resp, page := get(t, c, withClient); resp.StatusCode != 200 || !strings.Contains(page, `href="https://app.example/login"`) ||
		!strings.Contains(page, "Continue to "+devtenant.WebAppName) {
		t.Fatalf("ticket with client: %d %s", resp.StatusCode, page)
	}

	// A job: 201 pending, then completed once its mail is delivered; the mail uses the
	// tenant's template, with the user's values escaped in HTML.
	if status, out := m.do("PUT", "email-templates/verify_email", map[string]any{"template": "verify_email", "syntax": "liquid",
		"from": "Acme <hello@acme.test>", "subject": "Confirm {{ user.name }} for {{ application.name }}",
		"body": `<p>Hi {{ user.name }}, <a href="{{ url }}">confirm</a> ({{ user.name | escape }})</p>`, "enabled": true}); status != 200 {
		t.Fatalf("template: %d %v", status, out)
	}
	u.Name = `<img src=x> Jane`
	if err := n.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for body, want := range map[string]int{`{}`: 400, `{"user_id":"auth0|nobody"}`: 404,
		`{"user_id":"` + u.UserID + `","client_id":"nope"}`: 404, `{"user_id":"` + u.UserID + `","identity":{"user_id":"1","provider":"google-oauth2"}}`: 400} {
		if status, out := m.do("POST", "jobs/verification-email", rawJSON(body)); status != want {
			t.Errorf("job %s: %d %v, want %d", body, status, out, want)
		}
	}
	status, job := m.do("POST", "jobs/verification-email", map[string]any{"user_id": u.UserID, "client_id": n.tenant.WebApp.ClientID})
	id, _ := job["id"].(string)
	if status != 201 || !strings.HasPrefix(id, "job_") || job["type"] != "verification_email" || job["status"] != "pending" || job["created_at"] == nil {
		t.Fatalf("job: %d %v", status, job)
	}
	// The node's own worker may already have delivered it.
	if status, got := m.do("GET", "jobs/"+id, nil); status != 200 || (got["status"] != "pending" && got["status"] != "completed") {
		t.Fatalf("job right after: %d %v", status, got)
	}
	msgs := waitForMail(t, n, srv, 1)
	if status, got := m.do("GET", "jobs/"+id, nil); status != 200 || got["status"] != "completed" || got["id"] != id {
		t.Fatalf("job after delivery: %d %v", status, got)
	}
	if status, _ := m.do("GET", "jobs/job_nope", nil); status != 404 {
		t.Fatalf("unknown job: %d", status)
	}
	msg := msgs[0]
	if msg.Subject != "Confirm <img src=x> Jane for "+devtenant.WebAppName || !strings.Contains(msg.Header.Get("From"), "hello@acme.test") {
		t.Fatalf("job mail: %q from %q", msg.Subject, msg.Header.Get("From"))
	}
	if strings.Contains(msg.HTML, "<img") || !strings.Contains(msg.HTML, "Hi &lt;img src=x&gt; Jane") ||
		!strings.Contains(msg.HTML, "(&lt;img src=x&gt; Jane)") || !verifyLink.MatchString(msg.HTML) {
		t.Fatalf("job mail HTML: %s", msg.HTML)
	}
}

// rawJSON sends a literal body through mgmtClient.do.
type rawJSON string

func (r rawJSON) MarshalJSON() ([]byte, error) { return []byte(r), nil }

// TestCreatedUserVerification: POST /api/v2/users mails a verification link as Auth0 does —
// unless the address is verified or verify_email is false — in the transaction that creates
// the user.
func TestCreatedUserVerification(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	m := newMgmtClient(t, n)
	for email, extra := range map[string]map[string]any{
		"mailed@example.com":       {},
		"asked-not@example.com":    {"verify_email": false},
		"verified@example.com":     {"email_verified": true},
		"verified-but@example.com": {"email_verified": true, "verify_email": true},
	} {
		body := map[string]any{"connection": "Username-Password-Authentication", "email": email, "password": "Created-Passw0rd!"}
		for k, v := range extra {
			body[k] = v
		}
		if status, out := m.do("POST", "users", body); status != 201 {
			t.Fatalf("create %s: %d %v", email, status, out)
		}
	}
	waitForMail(t, n, srv, 2)
	for range 5 {
		_, _ = n.Mail.RunOnce(context.Background())
	}
	got := map[string]bool{}
	for _, msg := range srv.Messages() {
		if msg.Subject != "Verify your email address" || !verifyLink.MatchString(msg.Text) {
			t.Fatalf("unexpected mail %q", msg.Subject)
		}
		got[strings.Trim(msg.Header.Get("To"), "<>")] = true
	}
	if len(got) != 2 || !got["mailed@example.com"] || !got["verified-but@example.com"] {
		t.Fatalf("mailed %v; want mailed@ and verified-but@", got)
	}

	// An email change with verify_email mails the new address; without it, nothing is sent.
	u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, "verified@example.com")
	if err != nil {
		t.Fatal(err)
	}
	if status, out := m.do("PATCH", "users/"+url.PathEscape(u.UserID), map[string]any{"email": "quietly-moved@example.com", "connection": "Username-Password-Authentication"}); status != 200 || out["email_verified"] != false {
		t.Fatalf("patch: %d %v", status, out)
	}
	if status, out := m.do("PATCH", "users/"+url.PathEscape(u.UserID), map[string]any{"email": "moved@example.com", "verify_email": true, "connection": "Username-Password-Authentication"}); status != 200 {
		t.Fatalf("patch: %d %v", status, out)
	}
	msgs := waitForMail(t, n, srv, 3)
	for range 5 {
		_, _ = n.Mail.RunOnce(context.Background())
	}
	if len(srv.Messages()) != 3 || !strings.Contains(msgs[2].Header.Get("To"), "moved@example.com") || !verifyLink.MatchString(msgs[2].Text) {
		t.Fatalf("%d messages; the third to %q", len(srv.Messages()), msgs[2].Header.Get("To"))
	}
}

// TestDBConnectionsSignupVerification: auth0-js's POST /dbconnections/signup causes the same
// verification mail as the hosted signup page, and its link verifies the address.
func TestDBConnectionsSignupVerification(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	email := "db.signup@example.com"
	resp, body := post(t, browser(t), n.issuer+"dbconnections/signup", url.Values{
		"client_id": {n.tenant.WebApp.ClientID}, "connection": {"Username-Password-Authentication"},
		"email": {email}, "password": {"Db-Sign-up-Passw0rd!"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("signup: %d %s", resp.StatusCode, body)
	}
	msg := waitForMail(t, n, srv, 1)[0]
	link := verifyLink.FindString(msg.Text)
	if msg.Subject != "Verify your email address" || !strings.Contains(msg.Header.Get("To"), email) || link == "" {
		t.Fatalf("mail %q to %q, link %q", msg.Subject, msg.Header.Get("To"), link)
	}
	if resp, page := get(t, browser(t), link); resp.StatusCode != 200 || !strings.Contains(page, "Email verified") {
		t.Fatalf("verify: %d %s", resp.StatusCode, page)
	}
	if u, err := n.Store.GetUserByEmail(context.Background(), domain.DefaultConnection, email); err != nil || !u.EmailVerified {
		t.Fatalf("after the link: %+v %v", u, err)
	}
}
