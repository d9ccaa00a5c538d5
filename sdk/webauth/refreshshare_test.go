package webauth_test

import (
	"net/url"
	"sync"
	"testing"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// clone copies the browser's cookies: a second tab, or a request sent before the last answer.
func (b *browser) clone() *browser {
	c := newBrowser()
	for k, v := range b.cookies {
		c.cookies[k] = v
	}
	return c
}

// narrowRefresh asks a refresh for a narrower scope and another API.
var narrowRefresh = webauth.AccessTokenOptions{Refresh: true, RefreshParams: url.Values{
	"scope": {"openid email"}, "audience": {"https://reports.example.com"}}}

// wantNarrow checks that the stale browser got, and keeps, a token for its own request, made
// with the refresh token the default refresh rotated to (presenting the spent one is reuse).
func wantNarrow(t *testing.T, e *env, fresh, stale *browser, tok string) {
	t.Helper()
	if got, want := e.issuer.accessTokenFor(tok), (issued{"openid email", "https://reports.example.com"}); got != want {
		t.Errorf("token issued for %+v, want %+v", got, want)
	}
	s := mustSession(t, e, stale)
	if s.AccessToken != tok || s.AccessTokenScope != "openid email" {
		t.Errorf("session keeps %q (scope %q), want the narrow token", s.AccessToken, s.AccessTokenScope)
	}
	if n := e.issuer.refreshCount(); n != 2 {
		t.Errorf("refresh grants = %d, want 2 (one per distinct request)", n)
	}
	if got, want := e.issuer.lastTokenCall().Form.Get("refresh_token"), mustSession(t, e, fresh).RefreshToken; got != want {
		t.Errorf("narrow refresh presented %q, want the rotated %q", got, want)
	}
	if !e.issuer.refreshTokenValid(s.RefreshToken) {
		t.Error("session keeps a refresh token the issuer no longer accepts")
	}
}

// A refresh asking for its own scope and audience must not be handed the result of a default
// refresh of the same refresh token, neither a recent one nor one still in flight.
func TestAccessTokenRefreshSharedOnlyForSameParams(t *testing.T) {
	t.Run("recent", func(t *testing.T) {
		e := newEnv(t)
		b := newBrowser()
		e.mustLogin(b)
		stale := b.clone()
		if _, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true}); err != nil {
			t.Fatal(err)
		}
		tok, err := accessToken(e, stale, narrowRefresh)
		if err != nil {
			t.Fatal(err)
		}
		wantNarrow(t, e, b, stale, tok)
	})
	t.Run("in flight", func(t *testing.T) {
		e := newEnv(t)
		b := newBrowser()
		e.mustLogin(b)
		stale := b.clone()
		entered, release := make(chan struct{}), make(chan struct{})
		var hold sync.Once // holds the first grant at the issuer; later ones queue behind it
		e.issuer.set(func(f *fakeIssuer) { f.beforeRefresh = func() { hold.Do(func() { close(entered); <-release }) } })

		var wg sync.WaitGroup
		var errDefault, errNarrow error
		var tok string
		wg.Add(2)
		go func() {
			defer wg.Done()
			_, errDefault = accessToken(e, b, webauth.AccessTokenOptions{Refresh: true})
		}()
		<-entered
		go func() {
			defer wg.Done()
			tok, errNarrow = accessToken(e, stale, narrowRefresh)
		}()
		close(release)
		wg.Wait()
		if errDefault != nil || errNarrow != nil {
			t.Fatalf("default refresh: %v; narrow refresh: %v", errDefault, errNarrow)
		}
		wantNarrow(t, e, b, stale, tok)
	})
}
