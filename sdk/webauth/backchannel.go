package webauth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
)

// BackchannelLogoutConfig turns on OpenID Connect Back-Channel Logout 1.0, as nextjs-auth0's
// backchannelLogout option does: the issuer POSTs a signed logout token to
// Routes.BackchannelLogout (default /api/auth/backchannel-logout; register
// <BaseURL><route> as the application's back-channel logout URL), and every session of that
// sid, or of that sub signed in before the token, ends at its next request. The sessions
// themselves may live in cookies: what Store keeps is the record of the logout, shared by every
// instance of the app when Store is.
type BackchannelLogoutConfig struct {
	// Store keeps the logout records ("logout:sid:…", "logout:sub:…") for as long as a session
	// could live. nil leaves back-channel logout off.
	Store SessionStore
}

// backchannelEvent is the events member a logout token must carry (§2.4).
const backchannelEvent = "http://schemas.openid.net/event/backchannel-logout"

// maxLogoutTokenAge bounds how old a logout token's iat may be.
const maxLogoutTokenAge = 5 * time.Minute

// handleBackchannelLogout is POST <Routes.BackchannelLogout> (§2.5, §2.8): 204 once the logout
// token is verified and recorded, 400 invalid_request otherwise; never cached.
func (c *Client) handleBackchannelLogout(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	refuse := func(status int, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_request", "error_description": desc})
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		refuse(http.StatusMethodNotAllowed, "use POST")
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 16<<10)
	if err := r.ParseForm(); err != nil {
		refuse(http.StatusBadRequest, "malformed form body")
		return
	}
	raw := r.PostForm.Get("logout_token")
	if raw == "" || len(r.PostForm["logout_token"]) != 1 {
		refuse(http.StatusBadRequest, "exactly one logout_token is required")
		return
	}
	ctx := r.Context()
	p, err := c.discover(ctx)
	if err != nil {
		c.cfg.Logger.ErrorContext(ctx, "webauth: back-channel logout: discovery failed", "err", err)
		refuse(http.StatusInternalServerError, "the issuer could not be reached")
		return
	}
	sub, sid, err := c.verifyLogoutToken(ctx, p, raw)
	if err != nil {
		refuse(http.StatusBadRequest, err.Error())
		return
	}
	if err := c.recordLogout(ctx, sub, sid); err != nil {
		c.cfg.Logger.ErrorContext(ctx, "webauth: back-channel logout not recorded", "err", err)
		refuse(http.StatusInternalServerError, "the logout could not be recorded")
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// verifyLogoutToken applies §2.6: signature by the issuer's keys with the ID token algorithm,
// iss, aud containing the client, iat recent (and exp, when present, not past), typ logout+jwt
// when the header names one other than JWT, the back-channel logout event, sub or sid, no nonce.
func (c *Client) verifyLogoutToken(ctx context.Context, p *provider, raw string) (sub, sid string, err error) {
	jws, perr := jose.ParseSignedCompact(raw, []jose.SignatureAlgorithm{jose.SignatureAlgorithm(c.cfg.IDTokenSigningAlg)})
	if perr != nil || len(jws.Signatures) != 1 {
		return "", "", errors.New("malformed logout token or unexpected signing algorithm")
	}
	if typ, _ := jws.Signatures[0].Protected.ExtraHeaders["typ"].(string); typ != "" && !strings.EqualFold(typ, "logout+jwt") && !strings.EqualFold(typ, "JWT") {
		return "", "", errors.New("the token is not a logout token (typ)")
	}
	payload, verr := p.keys.VerifySignature(ctx, raw)
	if verr != nil {
		return "", "", errors.New("logout token signature not verified by the issuer's keys")
	}
	var claims map[string]any
	if json.Unmarshal(payload, &claims) != nil {
		return "", "", errors.New("logout token claims are not a JSON object")
	}
	if iss, _ := claims["iss"].(string); iss != p.Issuer {
		return "", "", errors.New("unexpected issuer")
	}
	if auds, ok := audiences(claims["aud"]); !ok || !contains(auds, c.cfg.ClientID) {
		return "", "", errors.New("audience does not include this client")
	}
	now := c.cfg.Now().Unix()
	tol := int64(c.cfg.ClockTolerance.Seconds())
	iat, ok := numericClaim(claims, "iat")
	if !ok || iat > now+tol || iat < now-int64(maxLogoutTokenAge.Seconds())-tol {
		return "", "", errors.New("missing, future or stale iat")
	}
	if exp, ok := numericClaim(claims, "exp"); ok && now > exp+tol {
		return "", "", errors.New("logout token expired")
	}
	if jti, _ := claims["jti"].(string); jti == "" {
		return "", "", errors.New("missing jti")
	}
	events, _ := claims["events"].(map[string]any)
	if _, ok := events[backchannelEvent].(map[string]any); !ok {
		return "", "", errors.New("missing the back-channel logout event")
	}
	if _, ok := claims["nonce"]; ok {
		return "", "", errors.New("a logout token must not carry a nonce")
	}
	sub, _ = claims["sub"].(string)
	sid, _ = claims["sid"].(string)
	if sub == "" && sid == "" {
		return "", "", errors.New("a logout token names a sub or a sid")
	}
	return sub, sid, nil
}

// recordLogout remembers the logout for as long as a session could outlive it: a sid ends that
// session; a sub ends the user's sessions started before now.
func (c *Client) recordLogout(ctx context.Context, sub, sid string) error {
	st := c.cfg.BackchannelLogout.Store
	now := c.cfg.Now()
	until := now.Add(c.cfg.Session.AbsoluteDuration)
	at := []byte(strconv.FormatInt(now.Unix(), 10))
	if sid != "" {
		if err := st.Set(ctx, "logout:sid:"+sid, at, until); err != nil {
			return err
		}
	}
	if sub != "" && sid == "" {
		if err := st.Set(ctx, "logout:sub:"+sub, at, until); err != nil {
			return err
		}
	}
	return nil
}

// loggedOut reports whether a back-channel logout ended sess (started at iat): its sid was logged
// out, or its user was, after it began.
func (s *sessions) loggedOut(ctx context.Context, sess *Session, iat int64) (bool, error) {
	st := s.logouts
	if st == nil {
		return false, nil
	}
	if sid := sess.User.String("sid"); sid != "" {
		_, err := st.Get(ctx, "logout:sid:"+sid)
		switch {
		case err == nil:
			return true, nil
		case !errors.Is(err, ErrSessionNotFound):
			return false, fmt.Errorf("webauth: logout store get: %w", err)
		}
	}
	if sub := sess.User.Sub(); sub != "" {
		b, err := st.Get(ctx, "logout:sub:"+sub)
		switch {
		case err == nil:
			at, _ := strconv.ParseInt(string(b), 10, 64)
			return iat <= at, nil
		case !errors.Is(err, ErrSessionNotFound):
			return false, fmt.Errorf("webauth: logout store get: %w", err)
		}
	}
	return false, nil
}
