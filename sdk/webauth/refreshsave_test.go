package webauth_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

// abortingStore is a SessionStore whose writes honour the context, as database and Redis
// clients do; onSet runs once at the start of the next Set.
type abortingStore struct {
	*webauth.MemoryStore
	mu    sync.Mutex
	onSet func()
}

func (s *abortingStore) Set(ctx context.Context, id string, data []byte, expiresAt time.Time) error {
	s.mu.Lock()
	hook := s.onSet
	s.onSet = nil
	s.mu.Unlock()
	if hook != nil {
		hook()
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.MemoryStore.Set(ctx, id, data, expiresAt)
}

// Once the issuer has answered a refresh, the session must record the rotated refresh token
// even if the request ends while it is being written: the stored session is what the next
// request reads, and presenting the spent token again is reuse.
func TestAccessTokenRefreshSavedWhenRequestEnds(t *testing.T) {
	store := &abortingStore{MemoryStore: webauth.NewMemoryStore()}
	e := newEnv(t, func(c *webauth.Config) { c.Session.Store = store })
	store.Now = e.clock.Now
	b := newBrowser()
	e.mustLogin(b)
	spent := mustSession(t, e, b).RefreshToken

	req := httptest.NewRequest("GET", "/", nil)
	for _, c := range b.cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	store.mu.Lock()
	store.onSet = cancel // the browser goes away just as the refreshed session is written
	store.mu.Unlock()
	if _, err := e.client.AccessToken(httptest.NewRecorder(), req.WithContext(ctx), webauth.AccessTokenOptions{Refresh: true}); err != nil {
		t.Errorf("refresh: %v", err)
	}
	if s := mustSession(t, e, b); s.RefreshToken == spent || !e.issuer.refreshTokenValid(s.RefreshToken) {
		t.Errorf("stored session keeps refresh token %q: not the issuer's current one", s.RefreshToken)
	}

	e.clock.Advance(recentWindow) // past sharing: the stored session alone decides
	if _, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true}); err != nil {
		t.Fatalf("next refresh: %v", err)
	}
	if n := presented(e, spent); n != 1 {
		t.Errorf("spent refresh token presented %d times, want once", n)
	}
}
