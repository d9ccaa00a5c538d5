package app_test

// Helpers of the MFA tests: a node on each engine with its own clock, a browser that walks the
// second-factor pages, and an application that checks amr and acr with go-oidc.

import (
	"context"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/pquerna/otp/totp"
	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/app"
	"github.com/gatehouse/gatehouse/internal/devtenant"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/testclock"
)

// mfaNode is a node with a clock the test moves, on either engine.
type mfaNode struct {
	*node
	clock *testclock.Clock
}

func mfaEngines(t *testing.T, fn func(t *testing.T, n mfaNode)) {
	t.Run("sqlite", func(t *testing.T) {
		clk := testclock.New(time.Now().Truncate(time.Second))
		fn(t, mfaNode{startNodeAt(t, clk.Now), clk})
	})
	t.Run("postgres", func(t *testing.T) {
		clk := testclock.New(time.Now().Truncate(time.Second))
		fn(t, mfaNode{startPostgresNodes(t, 1, func(o *app.Options) { o.Now = clk.Now })[0], clk})
	})
}

func setMFAPolicy(t *testing.T, n *node, policies ...string) {
	t.Helper()
	g := domain.DefaultGuardianSettings()
	g.Policies = append([]string{}, policies...)
	if err := n.Store.PutGuardianSettings(context.Background(), g); err != nil {
		t.Fatal(err)
	}
}

// mfaBrowser walks one browser through a sign-in, page by page.
type mfaBrowser struct {
	t    *testing.T
	n    mfaNode
	c    *http.Client
	loc  *url.URL // where the last answer sent the browser
	page string   // the last page's body
	code int      // the last page's status
}

func newMFABrowser(t *testing.T, n mfaNode) *mfaBrowser {
	return &mfaBrowser{t: t, n: n, c: browser(t)}
}

// start signs in with the password and returns where the flow then sends the browser.
func (b *mfaBrowser) start(authURL, email, pw string) *url.URL {
	b.t.Helper()
	b.loc = signIn(b.t, b.c, authURL, email, pw)
	return b.loc
}

// open GETs the page the browser was sent to (relative to the issuer).
func (b *mfaBrowser) open() {
	b.t.Helper()
	u := b.loc
	if !u.IsAbs() {
		u = mustParse(b.t, b.n.issuer).ResolveReference(u)
	}
	resp, body := get(b.t, b.c, u.String())
	b.code, b.page = resp.StatusCode, body
	b.loc = u
}

// submit posts the page's form with the values set, and follows nothing: a redirect is in loc.
func (b *mfaBrowser) submit(set url.Values) {
	b.t.Helper()
	form := formFields(b.page)
	for k, v := range set {
		form[k] = v
	}
	action := regexp.MustCompile(`<form method="post" action="([^"]*)"`).FindStringSubmatch(b.page)
	if action == nil {
		b.t.Fatalf("no form on %s: %s", b.loc, b.page)
	}
	target := mustParse(b.t, b.n.issuer).ResolveReference(mustParse(b.t, htmlUnescape(action[1])))
	resp, err := b.c.PostForm(target.String(), form)
	if err != nil {
		b.t.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.code, b.page = resp.StatusCode, string(raw)
	if loc, err := resp.Location(); err == nil {
		b.loc = loc
	}
}

func mustParse(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

var (
	secretText   = regexp.MustCompile(`<p class="secret"[^>]*>([^<]*)</p>`)
	recoveryText = regexp.MustCompile(`<p class="user-code recovery-code"[^>]*>([^<]*)</p>`)
)

func totpCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// enroll completes the enrollment page the browser is on; it returns the TOTP key and the recovery code.
func (b *mfaBrowser) enroll() (secret, recovery string) {
	b.t.Helper()
	if b.loc.Path != "/u/mfa-otp-enrollment-qr" {
		b.t.Fatalf("sent to %s, want the enrollment page", b.loc)
	}
	b.open()
	m := secretText.FindStringSubmatch(b.page)
	if b.code != 200 || m == nil || !strings.Contains(b.page, `src="data:image/png;base64,`) || !strings.Contains(b.page, `href="otpauth://totp/`) {
		b.t.Fatalf("enrollment page %d: %s", b.code, b.page)
	}
	secret = strings.ReplaceAll(m[1], " ", "")
	b.submit(url.Values{"code": {"000000"}})
	if b.code != http.StatusBadRequest || !strings.Contains(b.page, "Invalid code") {
		b.t.Fatalf("a wrong first code: %d", b.code)
	}
	b.submit(url.Values{"code": {totpCode(b.t, secret, b.n.clock.Now())}})
	r := recoveryText.FindStringSubmatch(b.page)
	if b.code != 200 || r == nil {
		b.t.Fatalf("after enrollment %d: %s", b.code, b.page)
	}
	return secret, r[1]
}

// finish posts the page's form (the recovery code's Continue) and returns the app's callback.
func (b *mfaBrowser) finish() *url.URL {
	b.t.Helper()
	b.submit(url.Values{"saved": {"1"}})
	if b.code != http.StatusFound {
		b.t.Fatalf("continue: %d %s", b.code, b.page)
	}
	return b.loc
}

type mfaClient struct {
	cfg      oauth2.Config
	provider *oidc.Provider
}

func newMFAClient(t *testing.T, n *node) mfaClient {
	p, err := oidc.NewProvider(context.Background(), n.issuer)
	if err != nil {
		t.Fatal(err)
	}
	return mfaClient{cfg: oauthConfig(n, p), provider: p}
}

func (m mfaClient) authURL(extra ...oauth2.AuthCodeOption) (string, string) {
	v := oauth2.GenerateVerifier()
	opts := append([]oauth2.AuthCodeOption{oauth2.S256ChallengeOption(v), oidc.Nonce("n"),
		oauth2.SetAuthURLParam("audience", devtenant.APIIdentifier)}, extra...)
	return m.cfg.AuthCodeURL("s", opts...), v
}

// idToken exchanges the callback's code and returns the verified ID token's claims and the tokens.
func (m mfaClient) idToken(t *testing.T, cb *url.URL, verifier string) (map[string]any, *oauth2.Token) {
	t.Helper()
	ctx := context.Background()
	if cb.Query().Get("code") == "" {
		t.Fatalf("no code: %s", cb)
	}
	tok, err := m.cfg.Exchange(ctx, cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	return m.verify(t, tok), tok
}

func (m mfaClient) verify(t *testing.T, tok *oauth2.Token) map[string]any {
	t.Helper()
	raw, _ := tok.Extra("id_token").(string)
	idt, err := m.provider.Verifier(&oidc.Config{ClientID: m.cfg.ClientID}).Verify(context.Background(), raw)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	var claims map[string]any
	_ = idt.Claims(&claims)
	return claims
}

func wantMFAClaims(t *testing.T, claims map[string]any, amr ...string) {
	t.Helper()
	got := []string{}
	for _, v := range asList(claims["amr"]) {
		got = append(got, v.(string))
	}
	if !slices.Equal(got, amr) {
		t.Errorf("amr = %v, want %v", claims["amr"], amr)
	}
	wantACR := ""
	if len(amr) > 0 {
		wantACR = domain.ACRMultiFactor
	}
	if acr, _ := claims["acr"].(string); acr != wantACR {
		t.Errorf("acr = %q, want %q", acr, wantACR)
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

func logCount(t *testing.T, n *node, typ string) int {
	t.Helper()
	_, total, err := n.Store.ListLogs(context.Background(), store.LogFilter{Type: typ}, store.Page{PerPage: 1})
	if err != nil {
		t.Fatal(err)
	}
	return total
}
