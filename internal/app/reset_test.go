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

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/mail"
	"github.com/gatehouse/gatehouse/internal/mail/mailtest"
	"github.com/gatehouse/gatehouse/internal/store"
)

// noResetFloor skips the request floor where a test does not measure timing.
func noResetFloor(o *app.Options) { o.ResetRequestFloor = -1 }

// withSMTP points the node's mail at a real SMTP server on loopback.
func withSMTP(t *testing.T, n *node) *mailtest.Server {
	t.Helper()
	srv := mailtest.Start(t, mailtest.Options{})
	p := &domain.EmailProvider{Name: "smtp", Enabled: true, DefaultFromAddress: "Gatehouse <no-reply@example.com>",
		Credentials: domain.EmailCredentials{SMTPHost: srv.Host, SMTPPort: srv.Port}}
	if err := mail.CheckProvider(p); err != nil {
		t.Fatal(err)
	}
	if err := n.Store.PutEmailProvider(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	return srv
}

// waitForMail runs the worker until the server holds want messages.
func waitForMail(t *testing.T, n *node, srv *mailtest.Server, want int) []mailtest.Message {
	t.Helper()
	for range 500 {
		if _, err := n.Mail.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := srv.Messages(); len(got) >= want {
			return got
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("server has %d messages, want %d", len(srv.Messages()), want)
	return nil
}

var (
	resetLink  = regexp.MustCompile(`https?://\S+/u/reset-password\?ticket=[A-Za-z0-9_-]+`)
	stateParam = regexp.MustCompile(`state=[A-Za-z0-9_-]+`)
	forgotHref = regexp.MustCompile(`href="(/u/reset-password\?state=[^"]+)"`)
)

// loginStatus submits the hosted login form in a fresh browser and returns the submission's status
// (302 on success, 400 on a wrong password).
func loginStatus(t *testing.T, n *node, authURL, email, pw string) int {
	t.Helper()
	c := browser(t)
	resp, _ := get(t, c, authURL)
	loc, _ := resp.Location()
	_, page := get(t, c, loc.String())
	form := formFields(page)
	form.Set("username", email)
	form.Set("password", pw)
	resp, _ = post(t, c, loc.String(), form)
	return resp.StatusCode
}

// requestReset walks from the login page's "Forgot password?" link through the request form.
func requestReset(t *testing.T, n *node, c *http.Client, authURL, email string) (int, string) {
	t.Helper()
	resp, _ := get(t, c, authURL)
	loc, _ := resp.Location()
	_, login := get(t, c, loc.String())
	for _, name := range []string{`name="username"`, `name="password"`, `name="state"`, `name="csrf"`} {
		if !strings.Contains(login, name) {
			t.Fatalf("login page lost its field %s", name)
		}
	}
	m := forgotHref.FindStringSubmatch(login)
	if m == nil {
		t.Fatalf("login page has no Forgot password link: %s", login)
	}
	if !strings.Contains(m[1], url.QueryEscape(loc.Query().Get("state"))) {
		t.Fatalf("forgot link %s does not carry the login state %s", m[1], loc.Query().Get("state"))
	}
	_, page := get(t, c, n.issuer+strings.TrimPrefix(htmlUnescape(m[1]), "/"))
	form := formFields(page)
	form.Set("email", email)
	resp, body := post(t, c, n.issuer+"u/reset-password?state="+url.QueryEscape(form.Get("state")), form)
	return resp.StatusCode, body
}

func logged(t *testing.T, n *node, typ string) bool {
	t.Helper()
	for range 100 {
		list, _, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: typ}, store.Page{PerPage: 10})
		if err != nil {
			t.Fatal(err)
		}
		if len(list) > 0 {
			return true
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

// TestPasswordReset: forgot password → mail over SMTP → link → new password; the old password is
// refused at once, the refresh token is refused, the SSO session is over and a brute-force block
// on the account is lifted.
func TestPasswordReset(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	ctx := context.Background()
	provider, err := oidc.NewProvider(ctx, n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	cfg := oauthConfig(n, provider)
	user := n.tenant.Users[0]
	authURL := cfg.AuthCodeURL("s1", oauth2.SetAuthURLParam("audience", n.tenant.API.Identifier))

	// Signed in, with a refresh token and an SSO session.
	signedIn := browser(t)
	cb := signIn(t, signedIn, authURL, user.Email, user.Password)
	tok, err := cfg.Exchange(ctx, cb.Query().Get("code"))
	if err != nil || tok.RefreshToken == "" {
		t.Fatalf("exchange: %v (refresh token %q)", err, tok.RefreshToken)
	}

	// Someone guessing blocks the account from this address; the reset will lift it.
	for range guard.DefaultThreshold {
		loginStatus(t, n, authURL, user.Email, "wrong-guess")
	}
	if got := loginStatus(t, n, authURL, user.Email, user.Password); got != http.StatusTooManyRequests {
		t.Fatalf("after %d wrong guesses: status %d, want 429", guard.DefaultThreshold, got)
	}

	c := browser(t)
	status, page := requestReset(t, n, c, authURL, strings.ToUpper(user.Email))
	if status != 200 || !strings.Contains(page, "Check your email") || !strings.Contains(page, "Back to log in") {
		t.Fatalf("request: %d %s", status, page)
	}
	msgs := waitForMail(t, n, srv, 1)
	msg := msgs[0]
	if msg.Subject != "Reset your password" || msg.Header.Get("To") == "" || !strings.Contains(msg.Header.Get("To"), user.Email) {
		t.Fatalf("mail: subject %q to %q", msg.Subject, msg.Header.Get("To"))
	}
	link := resetLink.FindString(msg.Text)
	if link == "" || !strings.Contains(msg.HTML, link) {
		t.Fatalf("no reset link in both parts:\n%s\n%s", msg.Text, msg.HTML)
	}
	if !logged(t, n, audit.TypeChangePasswordRequest) {
		t.Error("no scpr event")
	}

	_, page = get(t, c, link)
	form := formFields(page)
	if form.Get("csrf") == "" || !form.Has("password_confirm") {
		t.Fatalf("new-password page: %s", page)
	}
	// The policy and the confirmation are enforced without spending the ticket.
	form.Set("password", "short")
	form.Set("password_confirm", "short")
	if resp, body := post(t, c, n.issuer+"u/reset-password", form); resp.StatusCode != 400 || !strings.Contains(body, "too weak") {
		t.Fatalf("weak password: %d %s", resp.StatusCode, body)
	}
	form.Set("password", "N3w-Passw0rd!")
	form.Set("password_confirm", "N3w-Passw0rd?")
	if resp, body := post(t, c, n.issuer+"u/reset-password", form); resp.StatusCode != 400 || !strings.Contains(body, "do not match") {
		t.Fatalf("mismatch: %d %s", resp.StatusCode, body)
	}
	form.Set("password_confirm", "N3w-Passw0rd!")
	// A form posted without this browser's cookie is refused.
	if resp, _ := post(t, browser(t), n.issuer+"u/reset-password", form); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("cross-site post: %d", resp.StatusCode)
	}
	resp, body := post(t, c, n.issuer+"u/reset-password", form)
	if resp.StatusCode != 200 || !strings.Contains(body, "Password changed") {
		t.Fatalf("change: %d %s", resp.StatusCode, body)
	}

	if got := loginStatus(t, n, authURL, user.Email, user.Password); got != http.StatusBadRequest {
		t.Errorf("old password: status %d, want 400", got)
	}
	if got := loginStatus(t, n, authURL, user.Email, "N3w-Passw0rd!"); got != http.StatusFound {
		t.Errorf("new password: status %d, want 302", got)
	}
	old := &oauth2.Token{RefreshToken: tok.RefreshToken, Expiry: time.Now().Add(-time.Hour)}
	if _, err := cfg.TokenSource(ctx, old).Token(); err == nil {
		t.Error("refresh token still works after the reset")
	}
	resp, _ = get(t, signedIn, authURL)
	if loc, _ := resp.Location(); loc == nil || !strings.HasPrefix(loc.Path, "/u/login") {
		t.Errorf("SSO session survived the reset: /authorize went to %v", loc)
	}
	if !logged(t, n, audit.TypeChangePassword) {
		t.Error("no scp event")
	}
	// The link is spent.
	if resp, body := get(t, c, link); resp.StatusCode != 400 || !strings.Contains(body, "no longer valid") {
		t.Errorf("link reused: %d", resp.StatusCode)
	}
}

// TestPasswordResetUnknownAddress: the same answer, and nothing queued.
func TestPasswordResetUnknownAddress(t *testing.T) {
	n := startNode(t, noResetFloor)
	srv := withSMTP(t, n)
	cfg := oauth2.Config{ClientID: n.tenant.WebApp.ClientID, RedirectURL: n.tenant.WebApp.Callback,
		Endpoint: oauth2.Endpoint{AuthURL: n.issuer + "authorize"}, Scopes: []string{"openid"}}
	authURL := cfg.AuthCodeURL("s1")
	known, unknown := n.tenant.Users[0].Email, "nobody-here@example.com"
	s1, known1 := requestReset(t, n, browser(t), authURL, known)
	s2, unknown1 := requestReset(t, n, browser(t), authURL, unknown)
	same := func(page, email string) string {
		return stateParam.ReplaceAllString(strings.ReplaceAll(page, email, "X"), "state=S")
	}
	if s1 != s2 || same(known1, known) != same(unknown1, unknown) {
		t.Fatalf("answers differ:\n%d %s\n%d %s", s1, known1, s2, unknown1)
	}
	waitForMail(t, n, srv, 1)
	for range 5 {
		if _, err := n.Mail.RunOnce(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	if got := srv.Messages(); len(got) != 1 || !strings.Contains(got[0].Header.Get("To"), known) {
		t.Fatalf("%d messages; want only the known address's", len(got))
	}

	// auth0-js's call answers the same text for both.
	for _, email := range []string{known, unknown} {
		resp, err := http.Post(n.issuer+"dbconnections/change_password", "application/json",
			strings.NewReader(`{"client_id":"`+n.tenant.WebApp.ClientID+`","email":"`+email+`","connection":"Username-Password-Authentication"}`))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(b) != "We've just sent you an email to reset your password." {
			t.Fatalf("%s: %d %s", email, resp.StatusCode, b)
		}
	}
	if got := waitForMail(t, n, srv, 2); len(got) != 2 || !strings.Contains(got[1].Header.Get("To"), known) {
		t.Fatalf("dbconnections: %d messages", len(got))
	}
}

// TestResetTicketRefused: a link that is replayed, expired, tampered with or meant for something
// else gets the "no longer valid" page, on the form and on its submission, and changes nothing.
func TestResetTicketRefused(t *testing.T) {
	n := startNode(t, noResetFloor)
	ctx := context.Background()
	u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Users[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	issue := func(kind string, expires time.Time, used bool) string {
		secret, hash := domain.NewTicket()
		tk := &domain.Ticket{Hash: hash, Kind: kind, UserID: u.UserID, ExpiresAt: expires}
		if err := n.Store.CreateTicket(ctx, tk); err != nil {
			t.Fatal(err)
		}
		if used {
			if _, err := n.Store.RedeemTicket(ctx, hash, kind, now); err != nil {
				t.Fatal(err)
			}
		}
		return secret
	}
	live := issue(domain.TicketPasswordReset, now.Add(time.Hour), false)
	flip := []byte(live)
	flip[10] ^= 1
	cases := []struct{ name, ticket string }{
		{"replayed", issue(domain.TicketPasswordReset, now.Add(time.Hour), true)},
		{"expired", issue(domain.TicketPasswordReset, now.Add(-time.Second), false)},
		{"tampered", string(flip)},
		{"truncated", live[:30]},
		{"extended", live + "A"},
		{"other kind", issue(domain.TicketEmailVerification, now.Add(time.Hour), false)},
		{"markup", `<script>alert(1)</script>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := browser(t)
			resp, body := get(t, c, n.issuer+"u/reset-password?ticket="+url.QueryEscape(tc.ticket))
			if resp.StatusCode != 400 || !strings.Contains(body, "This link is no longer valid") || strings.Contains(body, "<script>alert") {
				t.Fatalf("GET: %d %s", resp.StatusCode, body)
			}
			// A valid form for another ticket gives this browser its cookie and a token.
			_, page := get(t, c, n.issuer+"u/reset-password?ticket="+live)
			form := formFields(page)
			form.Set("ticket", tc.ticket)
			form.Set("password", "N3w-Passw0rd!")
			form.Set("password_confirm", "N3w-Passw0rd!")
			resp, body = post(t, c, n.issuer+"u/reset-password", form)
			if resp.StatusCode != 400 || !strings.Contains(body, "This link is no longer valid") {
				t.Fatalf("POST: %d %s", resp.StatusCode, body)
			}
			after, err := n.Store.GetUser(ctx, u.UserID)
			if err != nil {
				t.Fatal(err)
			}
			if after.PasswordHash != u.PasswordHash || after.LastPasswordReset != nil {
				t.Fatal("the user changed")
			}
		})
	}
	if !logged(t, n, audit.TypeChangePasswordFailed) {
		t.Error("no fcp event")
	}
	// The live ticket was never spent by any of it.
	if tk, err := n.Store.GetTicket(ctx, domain.HashSecret(live)); err != nil || tk.UsedAt != nil {
		t.Fatalf("live ticket: %+v %v", tk, err)
	}
}

// TestPasswordChangeTicketFromManagementAPI: an administrator's ticket opens the same form; the
// done page goes on to result_url (with the email when asked) and mark_email_as_verified is honoured.
func TestPasswordChangeTicketFromManagementAPI(t *testing.T) {
	n := startNode(t, noResetFloor)
	ctx := context.Background()
	m := newMgmtClient(t, n)
	u, err := n.Store.GetUserByEmail(ctx, domain.DefaultConnection, n.tenant.Users[0].Email)
	if err != nil {
		t.Fatal(err)
	}
	u.EmailVerified = false
	if err := n.Store.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	status, body := m.do("POST", "tickets/password-change", map[string]any{"user_id": u.UserID,
		"result_url": "https://app.example.com/welcome-back", "mark_email_as_verified": true, "includeEmailInRedirect": true})
	link, _ := body["ticket"].(string)
	if status != 201 || !strings.HasPrefix(link, n.issuer+"u/reset-password?ticket=") {
		t.Fatalf("ticket: %d %v", status, body)
	}
	c := browser(t)
	_, page := get(t, c, link)
	form := formFields(page)
	form.Set("password", "Ticket-Passw0rd!")
	form.Set("password_confirm", "Ticket-Passw0rd!")
	resp, done := post(t, c, n.issuer+"u/reset-password", form)
	want := `href="https://app.example.com/welcome-back?email=` + url.QueryEscape(u.Email) + `"`
	if resp.StatusCode != 200 || !strings.Contains(htmlUnescape(done), want) {
		t.Fatalf("done page: %d, want %s in %s", resp.StatusCode, want, done)
	}
	after, err := n.Store.GetUser(ctx, u.UserID)
	if err != nil || !after.EmailVerified || after.LastPasswordReset == nil || after.PasswordHash == u.PasswordHash {
		t.Fatalf("user after the ticket: %+v, %v", after, err)
	}
}
