package webauth

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"
)

// handleCallback completes the authorization code flow: it checks the transaction cookie and
// state (RFC 6749 §10.12), surfaces the issuer's error, exchanges the code with the PKCE
// verifier (RFC 7636 §4.5), verifies the ID token, runs AfterCallback, saves the session and
// redirects to returnTo. Errors never echo tokens.
func (c *Client) handleCallback(w http.ResponseWriter, r *http.Request) {
	params := r.URL.Query()
	if r.Method == http.MethodPost {
		r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
		if err := r.ParseForm(); err != nil {
			c.fail(w, r, badRequest("invalid_request", "The callback request could not be parsed.", err))
			return
		}
		params = r.PostForm
	}

	tx, err := c.readTransaction(r)
	// A transaction is single use, whatever happens next.
	setCookie(w, c.txAttrs.expired(DefaultTransactionName))
	if err != nil {
		c.fail(w, r, badRequest("missing_transaction",
			"The login transaction was not found or has expired (cookies blocked, or the login took too long). Start the login again.", err))
		return
	}
	if subtle.ConstantTimeCompare([]byte(params.Get("state")), []byte(tx.State)) != 1 {
		c.fail(w, r, badRequest("state_mismatch", "The state returned by the identity provider does not match this login.", nil))
		return
	}
	if code := params.Get("error"); code != "" {
		desc := params.Get("error_description")
		if desc == "" {
			desc = "The identity provider returned an error."
		}
		c.fail(w, r, badRequest(truncate(code, 100), truncate(desc, 500), nil))
		return
	}
	code := params.Get("code")
	if code == "" {
		c.fail(w, r, badRequest("invalid_request", "The callback has no authorization code.", nil))
		return
	}

	ctx := r.Context()
	p, err := c.discover(ctx)
	if err != nil {
		c.fail(w, r, errDiscovery(err))
		return
	}
	// RFC 9207 §2.4: when the issuer identifies itself, it must be the one we started with.
	if iss := params.Get("iss"); iss != "" && iss != p.Issuer {
		c.fail(w, r, badRequest("issuer_mismatch", "The authorization response came from an unexpected issuer.", nil))
		return
	}
	tr, err := c.tokenRequest(ctx, p, url.Values{
		"grant_type":    {"authorization_code"},
		"code":          {code},
		"redirect_uri":  {tx.RedirectURI},
		"code_verifier": {tx.CodeVerifier},
	})
	if err != nil {
		var te *TokenError
		if errors.As(err, &te) {
			c.fail(w, r, badRequest(truncate(te.Code, 100), truncate("The code exchange failed: "+te.Description, 500), err))
			return
		}
		c.fail(w, r, &HandlerError{Status: http.StatusBadGateway, Code: "token_exchange_failed",
			Description: "The identity provider's token endpoint could not be used.", Err: err})
		return
	}
	if tr.IDToken == "" {
		c.fail(w, r, badRequest("invalid_id_token", "The token response has no ID token (the scope must include openid).", nil))
		return
	}
	claims, err := c.verifyIDToken(ctx, p, tr.IDToken, idTokenChecks{nonce: tx.Nonce, maxAge: tx.MaxAge})
	if err != nil {
		var ie *idTokenError
		desc := "ID token validation failed."
		if errors.As(err, &ie) {
			desc = ie.Error()
		}
		c.fail(w, r, badRequest("invalid_id_token", desc, err))
		return
	}
	if problem := organizationProblem(claims, tx.Organization); problem != "" {
		c.fail(w, r, badRequest("invalid_id_token", problem, nil))
		return
	}

	sess := c.sessionFromTokens(tr, claims)
	if c.cfg.AfterCallback != nil {
		sess, err = c.cfg.AfterCallback(ctx, sess, r)
		if err != nil {
			c.fail(w, r, badRequest("callback_rejected", "The login could not be completed.", err))
			return
		}
	}
	// A nil session from the hook means "do not log in" (nextjs-auth0 does the same).
	if sess != nil {
		if _, err := c.sessions.save(ctx, w, r, sess, sessionMeta{}); err != nil {
			c.fail(w, r, errInternal(err))
			return
		}
	}
	http.Redirect(w, r, tx.ReturnTo, http.StatusFound)
}

// sessionFromTokens builds a session from a token response and verified ID token claims.
func (c *Client) sessionFromTokens(tr *tokenResponse, claims map[string]any) *Session {
	s := &Session{
		User:             userFromClaims(claims),
		IDToken:          tr.IDToken,
		AccessToken:      tr.AccessToken,
		AccessTokenScope: tr.Scope,
		RefreshToken:     tr.RefreshToken,
	}
	if tr.ExpiresIn > 0 {
		s.AccessTokenExpiresAt = c.cfg.Now().Add(time.Duration(tr.ExpiresIn) * time.Second).Truncate(time.Second)
	}
	return s
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
