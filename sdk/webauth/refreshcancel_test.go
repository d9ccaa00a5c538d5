package webauth_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// heldGrant holds the first refresh grant at the issuer until release is closed; any later
// refresh waits until the first one has been answered (so it sees the rotation).
type heldGrant struct {
	entered, release, answered chan struct{}
}

func holdFirstRefresh(e *env) *heldGrant {
	h := &heldGrant{make(chan struct{}), make(chan struct{}), make(chan struct{})}
	var first atomic.Bool
	var answered sync.Once
	e.issuer.set(func(f *fakeIssuer) {
		f.beforeRefresh = func() {
			if first.CompareAndSwap(false, true) {
				close(h.entered)
				<-h.release
				return
			}
			<-h.answered
		}
		f.afterRefresh = func() { answered.Do(func() { close(h.answered) }) }
	})
	return h
}

// startCancellable begins a forced refresh with the browser's cookies on a context the test
// cancels; the answer written to that request is dropped, as a browser that left would.
func startCancellable(e *env, b *browser) (cancel func(), result <-chan error) {
	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	ctx, cancel := context.WithCancel(context.Background())
	out := make(chan error, 1)
	go func() {
		_, err := e.client.AccessToken(httptest.NewRecorder(), req.WithContext(ctx), webauth.AccessTokenOptions{Refresh: true})
		out <- err
	}()
	return cancel, out
}

// presented counts the refresh grants that presented rt.
func presented(e *env, rt string) int {
	e.issuer.mu.Lock()
	defer e.issuer.mu.Unlock()
	n := 0
	for _, c := range e.issuer.tokenCalls {
		if c.Form.Get("grant_type") == "refresh_token" && c.Form.Get("refresh_token") == rt {
			n++
		}
	}
	return n
}

// The first caller of a shared refresh leaving mid-grant must not fail the others: the issuer
// has already rotated the refresh token, and a session left with the spent one would present
// it again, which the issuer treats as reuse.
func TestAccessTokenRefreshSurvivesFirstCallerCancel(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	spent := mustSession(t, e, b).RefreshToken
	held := holdFirstRefresh(e)

	cancel, first := startCancellable(e, b)
	<-held.entered
	other := b.clone() // another request of the same browser, joining the grant under way
	var tok string
	var errOther error
	done := make(chan struct{})
	go func() {
		defer close(done)
		tok, errOther = accessToken(e, other, webauth.AccessTokenOptions{Refresh: true})
	}()
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	close(held.release)
	<-done
	if errOther != nil {
		t.Fatalf("other caller failed: %v", errOther)
	}
	s := mustSession(t, e, other)
	if s.AccessToken != tok || s.RefreshToken == spent || !e.issuer.refreshTokenValid(s.RefreshToken) {
		t.Fatalf("session keeps refresh token %q (spent %q): not the issuer's current one", s.RefreshToken, spent)
	}

	e.clock.Advance(recentWindow) // past sharing: the next refresh is the session's own
	if _, err := accessToken(e, other, webauth.AccessTokenOptions{Refresh: true}); err != nil {
		t.Fatalf("next refresh: %v", err)
	}
	if n := presented(e, spent); n != 1 {
		t.Errorf("spent refresh token presented %d times, want once", n)
	}
	if got := e.issuer.lastTokenCall().Form.Get("refresh_token"); got != s.RefreshToken {
		t.Errorf("next refresh presented %q, want the rotated %q", got, s.RefreshToken)
	}
}

// recentWindow is past the 30 s for which a refresh answer is shared.
const recentWindow = 31 * time.Second

// A grant the issuer answered after its only caller left is kept for that session's next
// request, even one that comes long after the sharing window: its cookie still carries the
// spent refresh token.
func TestAccessTokenRefreshAnsweredAfterCallerLeft(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	spent := mustSession(t, e, b).RefreshToken
	held := holdFirstRefresh(e)

	cancel, first := startCancellable(e, b)
	<-held.entered
	cancel()
	if err := <-first; !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled caller: %v, want context.Canceled", err)
	}
	close(held.release)
	<-held.answered
	e.client.WaitRefreshes()

	e.clock.Advance(10 * time.Minute)
	if _, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true}); err != nil {
		t.Fatalf("next refresh: %v", err)
	}
	if n := presented(e, spent); n != 1 {
		t.Errorf("spent refresh token presented %d times, want once", n)
	}
	if s := mustSession(t, e, b); s.RefreshToken == spent || !e.issuer.refreshTokenValid(s.RefreshToken) {
		t.Errorf("session keeps refresh token %q: not the issuer's current one", s.RefreshToken)
	}
}
