package oauth_test

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"testing"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// codeSpec is an authorization code as the /authorize flow would store it.
type codeSpec struct {
	client, user, redirect, scope, audience, nonce, session string
	verifier                                                string // S256 challenge stored when set
	method                                                  string // overrides the challenge method
	includeAuthTime                                         bool
	jkt                                                     string // the DPoP key the code is bound to
	idClaims, atClaims                                      map[string]any
}

func pkceChallenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

const verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk-0123456789"

// mintCode stores a code directly, standing in for the browser part of the flow.
func (e *env) mintCode(tb testing.TB, s codeSpec) string {
	tb.Helper()
	if s.client == "" {
		s.client = webID
	}
	if s.user == "" {
		s.user = userID
	}
	if s.redirect == "" {
		s.redirect = webCB
	}
	if s.session == "" {
		s.session = "sess_" + domain.RandomToken(8)
	}
	code := domain.RandomToken(32)
	now := e.Clock.Now()
	if e.realNow {
		now = time.Now()
	}
	c := &domain.AuthorizationCode{
		CodeHash: domain.HashSecret(code), ClientID: s.client, UserID: s.user, SessionID: s.session,
		RedirectURI: s.redirect, Scope: s.scope, Audience: s.audience, Nonce: s.nonce,
		AuthTime: now.Add(-time.Minute), IncludeAuthTime: s.includeAuthTime,
		IDTokenClaims: s.idClaims, AccessTokenClaims: s.atClaims,
		CreatedAt: now, ExpiresAt: now.Add(domain.AuthorizationCodeLifetime), DPoPJKT: s.jkt,
	}
	if s.verifier != "" {
		c.CodeChallenge, c.CodeChallengeMethod = pkceChallenge(s.verifier), "S256"
	}
	if s.method != "" {
		c.CodeChallengeMethod = s.method
		if s.method == "plain" {
			c.CodeChallenge = s.verifier
		}
	}
	must(tb, e.Store.CreateAuthorizationCode(context.Background(), c))
	return code
}

// exchange redeems a code with client_secret_post (or client_id only for the SPA).
func (e *env) exchange(tb testing.TB, clientID, code, redirect, codeVerifier string) tokenAnswer {
	tb.Helper()
	kv := []string{"grant_type", "authorization_code", "client_id", clientID, "code", code, "redirect_uri", redirect}
	if clientID != spaID {
		kv = append(kv, "client_secret", webSecret)
	}
	if codeVerifier != "" {
		kv = append(kv, "code_verifier", codeVerifier)
	}
	return e.call(tb, "oauth/token", tokenCall{body: form(kv...)})
}

// refresh exchanges a refresh token.
func (e *env) refresh(tb testing.TB, clientID, rt string, extra ...string) tokenAnswer {
	tb.Helper()
	kv := append([]string{"grant_type", "refresh_token", "client_id", clientID, "refresh_token", rt}, extra...)
	if clientID != spaID {
		kv = append(kv, "client_secret", webSecret)
	}
	return e.call(tb, "oauth/token", tokenCall{body: form(kv...)})
}
