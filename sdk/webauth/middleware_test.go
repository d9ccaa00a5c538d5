package webauth_test

import (
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
	"github.com/golang-jwt/jwt/v5"
)

func TestWithSessionAndUpdateSession(t *testing.T) {
	e := newEnv(t)
	var seen *webauth.Session
	h := e.client.WithSession(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s, ok := webauth.SessionFrom(r.Context())
		if !ok {
			if err := e.client.UpdateSession(w, r, &webauth.Session{}); !errors.Is(err, webauth.ErrNoSession) {
				t.Errorf("UpdateSession without a session: %v", err)
			}
			return
		}
		s.User["theme"] = "dark"
		if err := e.client.UpdateSession(w, r, s); err != nil {
			t.Error(err)
		}
		seen, _ = webauth.SessionFrom(r.Context())
	}))
	b := newBrowser()
	b.get(h, "/") // anonymous: passes through
	e.mustLogin(b)
	b.get(h, "/")
	if seen == nil || seen.User["theme"] != "dark" {
		t.Fatalf("context session = %+v", seen)
	}
	if _, user := e.me(b); user["theme"] != "dark" {
		t.Errorf("updated session not persisted: %v", user)
	}
}

func TestMaxAgeRequiresFreshAuthTime(t *testing.T) {
	for _, tt := range []struct {
		name     string
		authTime func(now time.Time) any
		wantOK   bool
	}{
		{"recent auth_time", func(now time.Time) any { return now.Add(-time.Minute).Unix() }, true},
		{"old auth_time", func(now time.Time) any { return now.Add(-time.Hour).Unix() }, false},
		{"missing auth_time", func(time.Time) any { return nil }, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, func(c *webauth.Config) { c.AuthorizationParams = url.Values{"max_age": {"300"}} })
			e.issuer.set(func(f *fakeIssuer) {
				f.mutateIDToken = func(c jwt.MapClaims) {
					if v := tt.authTime(f.clock.Now()); v != nil {
						c["auth_time"] = v
					}
				}
			})
			b := newBrowser()
			rec := e.login(b, "/api/auth/login")
			if got := rec.Code == http.StatusFound; got != tt.wantOK {
				t.Errorf("status %d, body %s", rec.Code, rec.Body)
			}
		})
	}
}

func TestRefreshWithAnotherSubjectFails(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	e.issuer.set(func(f *fakeIssuer) { f.mutateIDToken = func(c jwt.MapClaims) { c["sub"] = "auth0|someone-else" } })
	_, err := accessToken(e, b, webauth.AccessTokenOptions{Refresh: true})
	wantCode(t, err, webauth.ErrCodeFailedRefreshGrant)
	if s := mustSession(t, e, b); s.User.Sub() != testSub {
		t.Errorf("session subject changed to %q", s.User.Sub())
	}
}
