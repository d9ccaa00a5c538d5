package webauth_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

func TestTamperedSessionCookieRejected(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)
	c := b.cookies["appSession"]
	parts := strings.Split(c.Value, ".")
	if len(parts) != 5 {
		t.Fatalf("appSession is not a compact JWE: %d parts", len(parts))
	}
	// Flip one character of the ciphertext: AES-GCM authentication must fail.
	ct := []byte(parts[3])
	if ct[0] == 'A' {
		ct[0] = 'B'
	} else {
		ct[0] = 'A'
	}
	parts[3] = string(ct)
	c.Value = strings.Join(parts, ".")
	if status, _ := e.me(b); status != http.StatusUnauthorized {
		t.Errorf("/me with a tampered cookie: %d", status)
	}
}

func TestSessionSealedWithOtherSecretRejectedUnlessPrevious(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	e.mustLogin(b)

	other := newEnv(t, func(c *webauth.Config) { c.Secret = strings.Repeat("z", 40) })
	if status, _ := other.me(b); status != http.StatusUnauthorized {
		t.Errorf("foreign secret accepted: %d", status)
	}
	rotated := newEnv(t, func(c *webauth.Config) {
		c.Secret = strings.Repeat("z", 40)
		c.PreviousSecrets = []string{testSecret}
	})
	if status, _ := rotated.me(b); status != http.StatusOK {
		t.Errorf("previous secret not accepted: %d", status)
	}
}

func TestSessionChunking(t *testing.T) {
	e := newEnv(t)
	big := strings.Repeat("x", 9000)
	e.issuer.set(func(f *fakeIssuer) { f.extraClaims = map[string]any{"https://yourapp.com/big": big} })
	b := newBrowser()
	rec := e.login(b, "/api/auth/login")
	set := setCookies(rec)
	if _, ok := set["appSession"]; ok {
		t.Error("unchunked appSession written for a large session")
	}
	for _, name := range []string{"appSession.0", "appSession.1", "appSession.2"} {
		if _, ok := set[name]; !ok {
			t.Errorf("%s not written; have %v", name, b.names())
		}
	}
	for _, line := range rec.Header()["Set-Cookie"] {
		if len(line) > 4096 {
			t.Errorf("a Set-Cookie is %d bytes", len(line))
		}
	}
	if _, user := e.me(b); user["https://yourapp.com/big"] != big {
		t.Error("big claim did not survive the chunked round trip")
	}

	// A smaller session replaces the chunks with one cookie and expires every stale chunk.
	e.issuer.set(func(f *fakeIssuer) { f.extraClaims = nil })
	rec = e.login(b, "/api/auth/login")
	set = setCookies(rec)
	if c, ok := set["appSession"]; !ok || c.MaxAge <= 0 {
		t.Errorf("appSession not written: %+v", c)
	}
	for _, name := range []string{"appSession.0", "appSession.1", "appSession.2"} {
		if c, ok := set[name]; !ok || c.MaxAge >= 0 {
			t.Errorf("stale %s not expired: %+v", name, c)
		}
	}
	if status, user := e.me(b); status != 200 || user["https://yourapp.com/big"] != nil {
		t.Errorf("after shrink: %d %v", status, user)
	}
}

func TestRollingAndAbsoluteLifetimes(t *testing.T) {
	e := newEnv(t, func(c *webauth.Config) {
		c.Session.RollingDuration = time.Hour
		c.Session.AbsoluteDuration = 3 * time.Hour
	})
	b := newBrowser()
	e.mustLogin(b)

	// Activity every 50 minutes keeps the session past the rolling hour…
	for i := range 3 {
		e.clock.Advance(50 * time.Minute)
		if status, _ := e.me(b); status != 200 {
			t.Fatalf("step %d: session lost while active (%d)", i, status)
		}
	}
	// …but never past the absolute three hours since login.
	e.clock.Advance(35 * time.Minute) // 3h05m after login, 35 min idle
	if status, _ := e.me(b); status != http.StatusUnauthorized {
		t.Errorf("absolute lifetime not enforced: %d", status)
	}

	// Idle for longer than the rolling duration ends a fresh session.
	b2 := newBrowser()
	e.mustLogin(b2)
	e.clock.Advance(61 * time.Minute)
	if status, _ := e.me(b2); status != http.StatusUnauthorized {
		t.Errorf("rolling lifetime not enforced: %d", status)
	}
}

func TestDisableRolling(t *testing.T) {
	e := newEnv(t, func(c *webauth.Config) {
		c.Session.DisableRolling = true
		c.Session.AbsoluteDuration = time.Hour
	})
	b := newBrowser()
	e.mustLogin(b)
	e.clock.Advance(30 * time.Minute)
	rec := b.get(e.app, "/api/auth/me")
	if rec.Code != 200 || len(rec.Header()["Set-Cookie"]) != 0 {
		t.Errorf("non-rolling session touched or lost: %d %v", rec.Code, rec.Header()["Set-Cookie"])
	}
	e.clock.Advance(31 * time.Minute)
	if status, _ := e.me(b); status != http.StatusUnauthorized {
		t.Errorf("session outlived AbsoluteDuration: %d", status)
	}
}

func TestCookieFlags(t *testing.T) {
	for _, tt := range []struct {
		base       string
		wantSecure bool
	}{{"http://localhost:3000", false}, {"https://yourapp.com", true}} {
		t.Run(tt.base, func(t *testing.T) {
			e := newEnv(t, func(c *webauth.Config) { c.BaseURL = tt.base })
			b := newBrowser()
			login := b.get(e.app, "/api/auth/login")
			cb := e.login(b, "/api/auth/login")
			for _, c := range []*http.Cookie{setCookies(login)[webauth.DefaultTransactionName], setCookies(cb)["appSession"]} {
				if c == nil {
					t.Fatal("cookie missing")
				}
				if !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Secure != tt.wantSecure || c.Path != "/" {
					t.Errorf("%s: HttpOnly=%v SameSite=%v Secure=%v Path=%q", c.Name, c.HttpOnly, c.SameSite, c.Secure, c.Path)
				}
			}
			tx := setCookies(login)[webauth.DefaultTransactionName]
			if tx.MaxAge <= 0 || tx.MaxAge > 600 {
				t.Errorf("transaction cookie Max-Age %d, want ≤ 10 min", tx.MaxAge)
			}
			if s := setCookies(cb)["appSession"]; s.MaxAge != int((24 * time.Hour).Seconds()) {
				t.Errorf("session cookie Max-Age %d, want the rolling day", s.MaxAge)
			}
		})
	}
}

func TestTransactionExpires(t *testing.T) {
	e := newEnv(t)
	b := newBrowser()
	cb := e.authorize(b, "/api/auth/login")
	e.clock.Advance(11 * time.Minute) // the browser still sends the cookie; the sealed expiry must win
	rec := b.do(e.app, "GET", cb, http.Header{"Accept": {"application/json"}})
	if rec.Code != 400 || !strings.Contains(rec.Body.String(), "missing_transaction") {
		t.Errorf("stale transaction accepted: %d %s", rec.Code, rec.Body)
	}
}

func TestServerSideStore(t *testing.T) {
	store := webauth.NewMemoryStore()
	e := newEnv(t, func(c *webauth.Config) { c.Session.Store = store })
	store.Now = e.clock.Now
	e.issuer.set(func(f *fakeIssuer) { f.extraClaims = map[string]any{"big": strings.Repeat("y", 9000)} })
	b := newBrowser()
	e.mustLogin(b)
	if c := b.cookies["appSession"]; c == nil || len(c.Value) > 1000 {
		t.Fatalf("cookie should carry only an id; have %v", b.names())
	}
	if store.Len() != 1 {
		t.Fatalf("store holds %d sessions", store.Len())
	}
	if status, user := e.me(b); status != 200 || user["sub"] != testSub {
		t.Fatalf("/me: %d %v", status, user)
	}
	// A new login replaces the stored session instead of adding one (no fixation).
	e.mustLogin(b)
	if store.Len() != 1 {
		t.Errorf("store holds %d sessions after re-login", store.Len())
	}
	old := b.cookies["appSession"].Value
	b.get(e.app, "/api/auth/logout")
	if store.Len() != 0 {
		t.Errorf("logout left %d stored sessions", store.Len())
	}
	// Replaying the old cookie finds nothing.
	b.cookies["appSession"] = &http.Cookie{Name: "appSession", Value: old}
	if status, _ := e.me(b); status != http.StatusUnauthorized {
		t.Errorf("replayed cookie after logout: %d", status)
	}
}
