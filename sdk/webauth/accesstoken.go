package webauth

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Access token error codes, as nextjs-auth0's AccessTokenErrorCode.
const (
	ErrCodeMissingSession      = "ERR_MISSING_SESSION"
	ErrCodeMissingAccessToken  = "ERR_MISSING_ACCESS_TOKEN"
	ErrCodeExpiredAccessToken  = "ERR_EXPIRED_ACCESS_TOKEN"
	ErrCodeMissingRefreshToken = "ERR_MISSING_REFRESH_TOKEN"
	ErrCodeFailedRefreshGrant  = "ERR_FAILED_REFRESH_GRANT"
	ErrCodeInsufficientScope   = "ERR_INSUFFICIENT_SCOPE"
)

// refreshLeeway: a token expiring within this window is refreshed before use (nextjs-auth0: 60 s).
const refreshLeeway = 60 * time.Second

// refreshSaveTimeout bounds writing a refreshed session, which the request's end does not.
const refreshSaveTimeout = 10 * time.Second

// AccessTokenError says why AccessToken could not return a token. Code is one of the ErrCode
// constants; Err (for ERR_FAILED_REFRESH_GRANT) is the cause, often a *TokenError.
type AccessTokenError struct {
	Code string
	Err  error
}

var accessTokenMessages = map[string]string{
	ErrCodeMissingSession:      "The user does not have a valid session.",
	ErrCodeMissingAccessToken:  "The user does not have a valid access token.",
	ErrCodeExpiredAccessToken:  "The access token expired and a refresh token is not available. The user will need to login again.",
	ErrCodeMissingRefreshToken: "A refresh token is required to refresh the access token, but none is present.",
	ErrCodeFailedRefreshGrant:  "The request to refresh the access token failed.",
	ErrCodeInsufficientScope:   "The access token does not have the requested scopes. The user will need to login again.",
}

func (e *AccessTokenError) Error() string {
	msg := "webauth: " + e.Code + ": " + accessTokenMessages[e.Code]
	if e.Err != nil {
		msg += " (" + e.Err.Error() + ")"
	}
	return msg
}

func (e *AccessTokenError) Unwrap() error { return e.Err }

// AccessTokenOptions are the options of AccessToken.
type AccessTokenOptions struct {
	// Refresh forces a refresh even when the token is still valid.
	Refresh bool
	// Scopes the token must carry; ERR_INSUFFICIENT_SCOPE otherwise.
	Scopes []string
	// RefreshParams are extra refresh_token grant parameters (e.g. a narrower scope).
	RefreshParams url.Values
}

// AccessToken returns the session's access token, refreshing it first when it expires within
// 60 s or when opts.Refresh is set (RFC 6749 §6). A refreshed token, a rotated refresh token
// (the old one is kept when the issuer sends none) and a new ID token are written back to the
// session, so call it before writing the response body. Errors are *AccessTokenError.
func (c *Client) AccessToken(w http.ResponseWriter, r *http.Request, opts AccessTokenOptions) (string, error) {
	h := holderFrom(r.Context(), c)
	var sess *Session
	var meta sessionMeta
	if h != nil {
		sess, meta = h.get()
	} else {
		var err error
		if sess, meta, err = c.sessions.load(r.Context(), r); err != nil {
			return "", &AccessTokenError{Code: ErrCodeMissingSession, Err: err}
		}
	}
	if sess == nil {
		return "", &AccessTokenError{Code: ErrCodeMissingSession}
	}
	if len(opts.Scopes) > 0 && !hasAllScopes(sess.AccessTokenScope, opts.Scopes) {
		return "", &AccessTokenError{Code: ErrCodeInsufficientScope}
	}
	if sess.AccessToken == "" {
		return "", &AccessTokenError{Code: ErrCodeMissingAccessToken}
	}
	now := c.cfg.Now()
	expired := sess.AccessTokenExpiresAt.IsZero() || !now.Before(sess.AccessTokenExpiresAt)
	if expired && sess.RefreshToken == "" {
		return "", &AccessTokenError{Code: ErrCodeExpiredAccessToken}
	}
	if opts.Refresh && sess.RefreshToken == "" {
		return "", &AccessTokenError{Code: ErrCodeMissingRefreshToken}
	}
	expiring := sess.AccessTokenExpiresAt.IsZero() || !now.Add(refreshLeeway).Before(sess.AccessTokenExpiresAt)
	if sess.RefreshToken == "" || (!expiring && !opts.Refresh) {
		return sess.AccessToken, nil
	}

	params := refreshParams(opts.RefreshParams)
	sub := sess.User.Sub()
	res, err := c.refreshes.do(r.Context(), sess.RefreshToken, params, func(ctx context.Context, rt string) (*refreshResult, error) {
		return c.refresh(ctx, rt, sub, params)
	})
	if err != nil {
		return "", &AccessTokenError{Code: ErrCodeFailedRefreshGrant, Err: err}
	}
	next := sess.clone()
	next.AccessToken = res.tr.AccessToken
	if res.tr.Scope != "" {
		next.AccessTokenScope = res.tr.Scope
	}
	next.AccessTokenExpiresAt = time.Time{}
	if res.tr.ExpiresIn > 0 {
		next.AccessTokenExpiresAt = now.Add(time.Duration(res.tr.ExpiresIn) * time.Second).Truncate(time.Second)
	}
	next.RefreshToken = res.refreshToken
	if res.tr.IDToken != "" {
		next.IDToken = res.tr.IDToken
		for k, v := range userFromClaims(res.claims) {
			next.User[k] = v
		}
	}
	// The issuer has spent the old refresh token: the write that records the new one must not
	// be abandoned because the request ended, or a server-side session keeps the spent token.
	saveCtx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), refreshSaveTimeout)
	defer cancel()
	if meta, err = c.sessions.save(saveCtx, w, r, next, meta); err != nil {
		return "", &AccessTokenError{Code: ErrCodeFailedRefreshGrant, Err: err}
	}
	if h != nil {
		h.set(next, meta)
	}
	return next.AccessToken, nil
}

type refreshResult struct {
	tr     *tokenResponse
	claims map[string]any
	// refreshToken is the one to keep: the rotated token, or the one presented when the issuer
	// sent none.
	refreshToken string
}

// refreshParams are the grant parameters sent besides grant_type, refresh_token and client
// authentication, one value each: exactly what distinguishes one refresh request from another.
func refreshParams(extra url.Values) url.Values {
	form := url.Values{}
	for k, vs := range extra {
		if k != "grant_type" && k != "refresh_token" && k != "client_id" && k != "client_secret" && len(vs) > 0 {
			form.Set(k, vs[0])
		}
	}
	return form
}

// refresh runs the refresh_token grant with rt and params and verifies a returned ID token:
// same issuer and audience checks, and the session's subject sub (OpenID Connect Core 1.0
// §12.2).
func (c *Client) refresh(ctx context.Context, rt, sub string, params url.Values) (*refreshResult, error) {
	p, err := c.discover(ctx)
	if err != nil {
		return nil, err
	}
	form := url.Values{}
	for k, vs := range params {
		form[k] = vs
	}
	form.Set("grant_type", "refresh_token")
	form.Set("refresh_token", rt)
	tr, err := c.tokenRequest(ctx, p, form)
	if err != nil {
		return nil, err
	}
	res := &refreshResult{tr: tr, refreshToken: rt}
	if tr.RefreshToken != "" {
		res.refreshToken = tr.RefreshToken
	}
	if tr.IDToken != "" {
		claims, err := c.verifyIDToken(ctx, p, tr.IDToken, idTokenChecks{})
		if err != nil {
			return nil, err
		}
		if got, _ := claims["sub"].(string); got != sub {
			return nil, errors.New("webauth: refreshed ID token is for another subject")
		}
		res.claims = claims
	}
	return res, nil
}

// hasAllScopes reports whether scope (space-separated) includes every wanted scope.
func hasAllScopes(scope string, want []string) bool {
	have := strings.Fields(scope)
	for _, w := range want {
		if !contains(have, w) {
			return false
		}
	}
	return true
}
