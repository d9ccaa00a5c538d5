package webauth

import (
	"net/http"
	"net/url"
	"strings"
)

// Wording of nextjs-auth0's profile handler and withApiAuthRequired.
const (
	notAuthenticatedCode        = "not_authenticated"
	notAuthenticatedDescription = "The user does not have an active session or is not authenticated"
)

// notAuthenticated is the 401 body, fields in nextjs-auth0's order.
var notAuthenticated = struct {
	Error       string `json:"error"`
	Description string `json:"description"`
}{notAuthenticatedCode, notAuthenticatedDescription}

// handleLogout clears the local session first (so a failure further on cannot leave the user
// logged in here), then sends the browser to the issuer's logout so its SSO session ends too.
func (c *Client) handleLogout(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	sess, _, err := c.sessions.load(ctx, r)
	if err != nil {
		c.cfg.Logger.WarnContext(ctx, "webauth: logout could not read the session", "err", err.Error())
	}
	if err := c.sessions.remove(ctx, w, r); err != nil {
		c.cfg.Logger.WarnContext(ctx, "webauth: logout could not delete the stored session", "err", err.Error())
	}
	if h := holderFrom(ctx, c); h != nil {
		h.set(nil, sessionMeta{})
	}

	returnTo, ok := c.safeReturnTo(r.URL.Query().Get("returnTo"))
	if !ok {
		returnTo, _ = c.safeReturnTo(c.cfg.LogoutReturnTo)
	}
	// The guide registers "http://localhost:3000" as the Allowed Logout URL: send the base URL
	// exactly as configured when returnTo is its root.
	if returnTo == c.baseURL.String()+"/" && c.baseURL.Path == "" {
		returnTo = c.baseURL.String()
	}
	if c.cfg.Logout == LogoutLocal {
		http.Redirect(w, r, returnTo, http.StatusFound)
		return
	}

	p, err := c.discover(ctx)
	if err != nil {
		c.fail(w, r, errDiscovery(err))
		return
	}
	q := url.Values{"client_id": {c.cfg.ClientID}}
	if sess != nil && sess.IDToken != "" {
		q.Set("id_token_hint", sess.IDToken)
	}
	var target string
	switch c.cfg.Logout {
	case LogoutOIDC:
		if p.EndSessionEndpoint == "" {
			c.fail(w, r, &HandlerError{Status: http.StatusInternalServerError, Code: "end_session_unsupported",
				Description: "The identity provider does not publish an end_session_endpoint.", Err: nil})
			return
		}
		q.Set("post_logout_redirect_uri", returnTo)
		target = withQuery(p.EndSessionEndpoint, q)
	default:
		// Auth0's /v2/logout, as nextjs-auth0 builds it: ISSUER + "v2/logout".
		q.Set("returnTo", returnTo)
		target = withQuery(strings.TrimRight(p.Issuer, "/")+"/v2/logout", q)
	}
	http.Redirect(w, r, target, http.StatusFound)
}

func withQuery(endpoint string, q url.Values) string {
	u, err := url.Parse(endpoint)
	if err != nil {
		return endpoint + "?" + q.Encode()
	}
	existing := u.Query()
	for k, vs := range q {
		existing[k] = vs
	}
	u.RawQuery = existing.Encode()
	return u.String()
}

// handleMe answers the user's claims as JSON, or 401 {"error":"not_authenticated",…} without a
// session (nextjs-auth0's profile handler).
func (c *Client) handleMe(w http.ResponseWriter, r *http.Request) {
	h, err := c.loadAndTouch(w, r)
	if err != nil {
		c.fail(w, r, errInternal(err))
		return
	}
	sess, _ := h.get()
	if sess == nil {
		writeJSON(w, http.StatusUnauthorized, notAuthenticated)
		return
	}
	writeJSON(w, http.StatusOK, sess.User)
}
