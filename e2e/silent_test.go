package e2e_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// spaPage is what an SPA page does in auth0-spa-js's runIframe, made observable: it frames a URL
// and records every message it receives (whatever its origin) and every frame load, in order.
const spaPage = `<!doctype html><html><head><meta charset="utf-8"><title>SPA</title></head>
<body style="font-family:sans-serif"><h1 id="origin"></h1><pre id="log"></pre><script>
document.getElementById("origin").textContent = "Page on " + location.origin;
window.__events = [];
window.addEventListener("message", function (e) {
  window.__events.push({kind: "message", origin: e.origin, data: e.data});
  document.getElementById("log").textContent += "message from " + e.origin + ": " + JSON.stringify(e.data) + "\n";
});
window.frame = function (src) {
  var f = document.createElement("iframe");
  f.width = 520; f.height = 420;
  f.onload = function () { window.__events.push({kind: "load"}); };
  f.src = src;
  document.body.appendChild(f);
};
</script></body></html>`

// mustServeSPAPage serves spaPage on 127.0.0.1 and returns its port.
func mustServeSPAPage(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, spaPage)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

type pageEvent struct {
	Kind   string `json:"kind"`
	Origin string `json:"origin"`
	Data   struct {
		Type     string            `json:"type"`
		Response map[string]string `json:"response"`
	} `json:"data"`
}

// mustFrame frames src in the page and waits (bounded) for the frame's load event; it returns every
// event the page saw by then. The web_message page posts from an inline script that runs while it
// is parsed, so its message is queued before its load event: the allowed case below checks that
// order, and it is what makes "no message by the load event" mean "no message".
func mustFrame(t *testing.T, b *browser, src string) []pageEvent {
	t.Helper()
	b.step("frame "+src, chromedp.Evaluate[chromedp.Void](fmt.Sprintf("window.frame(%q)", src)))
	deadline := time.Now().Add(15 * time.Second)
	for {
		events := run(b, "read events", chromedp.Evaluate[[]pageEvent]("window.__events"))
		for _, e := range events {
			if e.Kind == "load" {
				return events
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the frame did not load within 15 s; events %+v", events)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestSilentAuthenticationInIframe is auth0-spa-js's getTokenSilently without refresh tokens, in
// Chromium: an SPA on http://localhost:PORT (another site than Gatehouse's https://localhost) frames
// /authorize?response_mode=web_message&prompt=none and receives the code by postMessage, thanks to
// the SSO session cookie being SameSite=None (in a browser that allows third-party cookies; those
// that do not need refresh tokens, as with Auth0). A page on another origin receives nothing, whether it
// frames the SPA's request or one naming its own (registered, but not a web origin) callback.
func TestSilentAuthenticationInIframe(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowserAllowingThirdPartyCookies(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")

	spaOrigin := "http://localhost:" + mustServeSPAPage(t)
	otherOrigin := "http://127.0.0.1:" + mustServeSPAPage(t)
	spa := &domain.Client{ClientID: domain.NewClientID(), Name: "Silent SPA", AppType: domain.AppTypeSPA,
		Callbacks: []string{spaOrigin + "/", otherOrigin + "/"}, WebOrigins: []string{spaOrigin}, AllowedLogoutURLs: []string{spaOrigin}}
	domain.ApplyClientDefaults(spa)
	if err := spa.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := g.App.Store.CreateClient(ctx, spa); err != nil {
		t.Fatal(err)
	}
	verifier := strings.Repeat("v", 20) + base64.RawURLEncoding.EncodeToString([]byte(t.Name()))
	sum := sha256.Sum256([]byte(verifier))
	authorize := func(redirectURI, mode, prompt, state string) string {
		q := url.Values{"client_id": {spa.ClientID}, "redirect_uri": {redirectURI}, "response_type": {"code"},
			"scope": {"openid profile email"}, "state": {state}, "nonce": {"n-" + state},
			"code_challenge": {base64.RawURLEncoding.EncodeToString(sum[:])}, "code_challenge_method": {"S256"}}
		if mode != "" {
			q.Set("response_mode", mode)
		}
		if prompt != "" {
			q.Set("prompt", prompt)
		}
		return g.Origin + "/authorize?" + q.Encode()
	}

	// Before any sign-in the iframe answers login_required, to the SPA only.
	b.navigate(spaOrigin + "/")
	events := mustFrame(t, b, authorize(spaOrigin+"/", "web_message", "none", "s0"))
	if len(events) != 2 || events[0].Kind != "message" || events[0].Data.Response["error"] != "login_required" || events[0].Data.Response["state"] != "s0" {
		t.Fatalf("signed out: events %+v, want login_required before the load", events)
	}

	// Sign in once, top level, as loginWithRedirect does.
	b.navigate(authorize(spaOrigin+"/", "", "", "login"))
	mustBeOnLoginPage(t, b, g)
	signIn(t, b, user.Email, user.Password)
	if loc := b.location(); !strings.HasPrefix(loc, spaOrigin+"/?code=") {
		t.Fatalf("after sign-in the browser is at %s", loc)
	}
	if c := b.cookies(g.Origin + "/")["__Host-gh_session"]; c == nil || c.SameSite != "None" || !c.Secure || !c.HTTPOnly {
		t.Fatalf("SSO session cookie %+v, want HttpOnly, Secure, SameSite=None", c)
	}

	// The SPA frames the silent request and receives a code from Gatehouse's origin. The frame is
	// cross-origin (another renderer process), so its message and its load event reach the parent
	// in either order: what counts is one message and one load.
	b.navigate(spaOrigin + "/")
	events = mustFrame(t, b, authorize(spaOrigin+"/", "web_message", "none", "s1"))
	if len(events) != 2 || events[0].Kind == events[1].Kind {
		t.Fatalf("allowed origin: events %+v, want one message and the load", events)
	}
	msg := events[0]
	if msg.Kind != "message" {
		msg = events[1]
	}
	if msg.Origin != g.Origin || msg.Data.Type != "authorization_response" || msg.Data.Response["state"] != "s1" || msg.Data.Response["code"] == "" {
		t.Fatalf("allowed origin: message %+v", msg)
	}
	b.screenshot(shots, "web-message-allowed")
	mustRedeem(t, ctx, g, spa.ClientID, spaOrigin+"/", msg.Data.Response["code"], verifier)

	// Another origin gets nothing: framing the SPA's request (the message is addressed to the SPA's
	// origin, and only the SPA may frame the page), or asking for its own callback, which is
	// registered but not an Allowed Web Origin (Gatehouse's unframeable error page).
	b.navigate(otherOrigin + "/")
	for _, tc := range []struct{ name, src string }{
		{"the SPA's request", authorize(spaOrigin+"/", "web_message", "none", "x1")},
		{"its own callback", authorize(otherOrigin+"/", "web_message", "none", "x2")},
	} {
		events := mustFrame(t, b, tc.src)
		for _, e := range events {
			if e.Kind == "message" {
				t.Errorf("%s: the other origin received %+v", tc.name, e)
			}
		}
		run(b, "reset events", chromedp.Evaluate[chromedp.Void]("window.__events = []"))
	}
	b.screenshot(shots, "web-message-other-origin")
}

// mustRedeem exchanges a code at the token endpoint as auth0-spa-js does (public client, PKCE).
func mustRedeem(t *testing.T, ctx context.Context, g *gatehouse, clientID, redirectURI, code, verifier string) {
	t.Helper()
	form := url.Values{"grant_type": {"authorization_code"}, "client_id": {clientID}, "code": {code},
		"redirect_uri": {redirectURI}, "code_verifier": {verifier}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, g.Origin+"/oauth/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := g.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tok struct {
		IDToken string `json:"id_token"`
		Error   string `json:"error"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK || tok.IDToken == "" {
		t.Fatalf("redeem the silent code: %d %+v %v", resp.StatusCode, tok, err)
	}
}
