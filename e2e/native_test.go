package e2e_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// loopbackApp is the receiving half of a native app (RFC 8252 §7.3): a one-shot HTTP listener on a
// port the operating system picks, whose /callback hands the authorization response to the app and
// tells the person to go back to it.
type loopbackApp struct {
	redirectURI string
	responses   chan url.Values
}

func mustStartLoopbackApp(t *testing.T) *loopbackApp {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := &loopbackApp{redirectURI: "http://" + ln.Addr().String() + "/callback", responses: make(chan url.Values, 1)}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/callback" {
			http.NotFound(w, r)
			return
		}
		select {
		case a.responses <- r.URL.Query():
		default:
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = io.WriteString(w, `<!doctype html><html><head><meta charset="utf-8"><title>Signed in</title></head>
<body style="font-family:sans-serif;margin:3em"><h1>You are signed in</h1>
<p>You can close this window and go back to the app.</p></body></html>`)
	}), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close() })
	return a
}

func (a *loopbackApp) mustReceive(t *testing.T, ctx context.Context) url.Values {
	t.Helper()
	select {
	case q := <-a.responses:
		return q
	case <-ctx.Done():
		t.Fatalf("no authorization response reached %s", a.redirectURI)
		return nil
	}
}

// TestNativeAppOnLoopbackPort is a native app written with golang.org/x/oauth2 as RFC 8252 asks:
// the system browser signs in on the hosted page and comes back to a listener on a random port of
// 127.0.0.1; the client is registered with http://127.0.0.1/callback, no port, as Auth0 allows for
// native apps; PKCE (S256) and no secret. A second run of the app gets another port and, with the
// browser's SSO session, no login page. The refresh token rotates through oauth2.TokenSource, and
// a request without PKCE is refused.
func TestNativeAppOnLoopbackPort(t *testing.T) {
	chromiumPath(t)
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	g := MustStartGatehouse(t, ctx)
	b := MustStartBrowser(t, ctx)
	shots := artifactsDir(t)
	user := g.User(t, "user")

	native := &domain.Client{ClientID: domain.NewClientID(), Name: "Native CLI", AppType: domain.AppTypeNative,
		Callbacks: []string{"http://127.0.0.1/callback"}}
	domain.ApplyClientDefaults(native)
	if err := native.Validate(); err != nil {
		t.Fatal(err)
	}
	if err := g.App.Store.CreateClient(ctx, native); err != nil {
		t.Fatal(err)
	}
	httpCtx := context.WithValue(ctx, oauth2.HTTPClient, g.HTTP)
	audience := g.Tenant.API.Identifier

	var first *oauth2.Token
	ports := map[string]bool{}
	for run := 1; run <= 2; run++ {
		app := mustStartLoopbackApp(t)
		ports[app.redirectURI] = true
		conf := &oauth2.Config{
			ClientID:    native.ClientID,
			Endpoint:    oauth2.Endpoint{AuthURL: g.Origin + "/authorize", TokenURL: g.Origin + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams},
			RedirectURL: app.redirectURI,
			Scopes:      []string{"openid", "profile", "email", "offline_access"},
		}
		verifier := oauth2.GenerateVerifier()
		state := randomState(t)
		b.navigate(conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("audience", audience)))
		if run == 1 {
			mustBeOnLoginPage(t, b, g)
			signIn(t, b, user.Email, user.Password)
		}
		q := app.mustReceive(t, ctx)
		if q.Get("state") != state || q.Get("code") == "" || q.Get("error") != "" {
			t.Fatalf("run %d: authorization response %v", run, q)
		}
		if loc := b.location(); !strings.HasPrefix(loc, app.redirectURI+"?") {
			t.Fatalf("run %d: the browser is at %s, want %s", run, loc, app.redirectURI)
		}
		if run == 1 {
			b.screenshot(shots, "native-loopback-signed-in")
		}

		tok, err := conf.Exchange(httpCtx, q.Get("code"), oauth2.VerifierOption(verifier))
		if err != nil {
			t.Fatalf("run %d: exchange the code: %v", run, err)
		}
		if idt, _ := tok.Extra("id_token").(string); idt == "" || tok.RefreshToken == "" || tok.AccessToken == "" {
			t.Fatalf("run %d: token response without id_token, refresh_token or access_token: %+v", run, tok)
		}
		if claims := jwtClaims(t, tok.AccessToken); !slices.Contains(audiences(claims["aud"]), audience) || claims["azp"] != native.ClientID {
			t.Fatalf("run %d: access token claims %v", run, claims)
		}
		if first == nil {
			first = tok
		}
	}
	if len(ports) != 2 {
		t.Fatalf("the two runs listened on %v, want two ports", ports)
	}

	// The app's token source refreshes an expired token; the refresh token rotates.
	conf := &oauth2.Config{ClientID: native.ClientID, Endpoint: oauth2.Endpoint{TokenURL: g.Origin + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams}}
	expired := &oauth2.Token{AccessToken: first.AccessToken, RefreshToken: first.RefreshToken, Expiry: time.Now().Add(-time.Minute)}
	fresh, err := conf.TokenSource(httpCtx, expired).Token()
	if err != nil {
		t.Fatalf("refresh: %v", err)
	}
	if fresh.AccessToken == first.AccessToken || fresh.RefreshToken == "" || fresh.RefreshToken == first.RefreshToken {
		t.Fatalf("refresh gave the same tokens back or no new refresh token")
	}

	// Without PKCE a native app's request is refused, back to its own loopback listener.
	app := mustStartLoopbackApp(t)
	plain := &oauth2.Config{ClientID: native.ClientID, Endpoint: oauth2.Endpoint{AuthURL: g.Origin + "/authorize"},
		RedirectURL: app.redirectURI, Scopes: []string{"openid"}}
	b.navigate(plain.AuthCodeURL("no-pkce"))
	q := app.mustReceive(t, ctx)
	if q.Get("code") != "" || q.Get("error") != "invalid_request" || q.Get("state") != "no-pkce" {
		t.Fatalf("without PKCE: %v", q)
	}
}

func randomState(t *testing.T) string {
	t.Helper()
	b := make([]byte, 16)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// jwtClaims decodes a JWT's payload without checking it (the token came straight from the token
// endpoint over TLS; other tests check signatures).
func jwtClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	return claims
}

func audiences(aud any) []string {
	switch v := aud.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, a := range v {
			if s, ok := a.(string); ok {
				out = append(out, s)
			}
		}
		return out
	}
	return nil
}
