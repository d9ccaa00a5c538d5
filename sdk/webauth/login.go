package webauth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// LoginOptions customise one login route, like nextjs-auth0's handleLogin({...}).
type LoginOptions struct {
	// Audience overrides Config.Audience (the API the access token is for).
	Audience string
	// Scope overrides Config.Scope; "openid" is added when missing (the session needs an ID token).
	Scope string
	// ReturnTo is where the user lands after the callback when the request has no valid
	// returnTo query parameter. A path on this app; default Config.LoginReturnTo.
	ReturnTo string
	// AuthorizationParams are extra /authorize parameters (prompt, connection, organization,
	// screen_hint, max_age, …), merged over Config.AuthorizationParams. Protocol parameters
	// this package owns (response_type, client_id, redirect_uri, state, nonce, code_challenge,
	// code_challenge_method) are ignored.
	AuthorizationParams url.Values
	// Organization overrides Config.Organization for this route: the organization (id or name)
	// to sign in through, sent as organization= and checked against the ID token on the callback.
	Organization string
	// PassThroughQuery names query parameters of the login request that are copied to
	// /authorize (e.g. "screen_hint", "login_hint", "organization", "invitation"). Nothing is
	// copied unless listed, so a crafted login link cannot change the request.
	PassThroughQuery []string
}

// reservedParams are set by the flow itself and never taken from options or the query.
var reservedParams = map[string]bool{"response_type": true, "client_id": true, "redirect_uri": true,
	"state": true, "nonce": true, "code_challenge": true, "code_challenge_method": true,
	"response_mode": true}

// transaction is what survives between /login and /callback, sealed in the transaction cookie.
type transaction struct {
	State        string `json:"state"`
	Nonce        string `json:"nonce"`
	CodeVerifier string `json:"code_verifier"`
	ReturnTo     string `json:"return_to"`
	RedirectURI  string `json:"redirect_uri"`
	MaxAge       string `json:"max_age,omitempty"`
	// Organization is the organization= this login sent; the callback's ID token must carry it.
	Organization string `json:"organization,omitempty"`
	Expires      int64  `json:"exp"`
}

// LoginHandler returns a handler that starts the authorization code flow with PKCE (RFC 7636,
// S256) and redirects to the issuer. Mount extra instances for routes that need other
// parameters, e.g. a step-up login asking for scope "openid profile email admin:read".
// The query parameter returnTo is honoured when it is a path on this app.
func (c *Client) LoginHandler(opts LoginOptions) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		p, err := c.discover(r.Context())
		if err != nil {
			c.fail(w, r, errDiscovery(err))
			return
		}
		returnTo, ok := c.safeReturnTo(r.URL.Query().Get("returnTo"))
		if !ok {
			if returnTo, ok = c.safeReturnTo(opts.ReturnTo); !ok {
				returnTo, _ = c.safeReturnTo(c.cfg.LoginReturnTo)
			}
		}

		params := url.Values{}
		merge := func(src url.Values) {
			for k, vs := range src {
				if !reservedParams[k] && len(vs) > 0 {
					params.Set(k, vs[0])
				}
			}
		}
		merge(c.cfg.AuthorizationParams)
		merge(opts.AuthorizationParams)
		q := r.URL.Query()
		for _, name := range opts.PassThroughQuery {
			if v := q.Get(name); v != "" && !reservedParams[name] && name != "returnTo" {
				params.Set(name, v)
			}
		}
		if org := firstNonEmpty(opts.Organization, c.cfg.Organization); org != "" {
			params.Set("organization", org)
		}
		scope := firstNonEmpty(opts.Scope, params.Get("scope"), c.cfg.Scope)
		if !hasScope(scope, "openid") {
			scope = "openid " + scope
		}
		params.Set("scope", strings.TrimSpace(scope))
		if aud := firstNonEmpty(opts.Audience, params.Get("audience"), c.cfg.Audience); aud != "" {
			params.Set("audience", aud)
		}

		tx := transaction{
			ReturnTo:    returnTo,
			RedirectURI: c.callbackURL(),
			MaxAge:      params.Get("max_age"),
			// Whatever set it (options, AuthorizationParams, a passed-through invitation link),
			// the organization asked for is the one the tokens must be for.
			Organization: params.Get("organization"),
			Expires:      c.cfg.Now().Add(c.cfg.TransactionTTL).Unix(),
		}
		for _, dst := range []*string{&tx.State, &tx.Nonce, &tx.CodeVerifier} {
			if *dst, err = randomToken(); err != nil {
				c.fail(w, r, errInternal(err))
				return
			}
		}
		sum := sha256.Sum256([]byte(tx.CodeVerifier))
		params.Set("response_type", "code")
		params.Set("client_id", c.cfg.ClientID)
		params.Set("redirect_uri", tx.RedirectURI)
		params.Set("state", tx.State)
		params.Set("nonce", tx.Nonce)
		params.Set("code_challenge", base64.RawURLEncoding.EncodeToString(sum[:]))
		params.Set("code_challenge_method", "S256")

		if err := c.writeTransaction(w, tx); err != nil {
			c.fail(w, r, errInternal(err))
			return
		}
		target, err := url.Parse(p.AuthorizationEndpoint)
		if err != nil {
			c.fail(w, r, errDiscovery(err))
			return
		}
		existing := target.Query()
		for k, vs := range params {
			existing[k] = vs
		}
		target.RawQuery = existing.Encode()
		http.Redirect(w, r, target.String(), http.StatusFound)
	})
}

func (c *Client) writeTransaction(w http.ResponseWriter, tx transaction) error {
	payload, err := json.Marshal(tx)
	if err != nil {
		return fmt.Errorf("webauth: encode transaction: %w", err)
	}
	sealed, err := c.tx.seal(payload, nil)
	if err != nil {
		return err
	}
	now := c.cfg.Now()
	setCookie(w, c.txAttrs.cookie(DefaultTransactionName, sealed, now.Add(c.cfg.TransactionTTL), now))
	return nil
}

var errNoTransaction = errors.New("webauth: no transaction")

// readTransaction opens the transaction cookie; an absent, tampered or expired one is
// errNoTransaction. The expiry inside the sealed payload is checked because a cookie's
// Max-Age is only advice to the browser.
func (c *Client) readTransaction(r *http.Request) (*transaction, error) {
	ck, err := r.Cookie(DefaultTransactionName)
	if err != nil || ck.Value == "" {
		return nil, errNoTransaction
	}
	payload, _, err := c.tx.open(ck.Value)
	if err != nil {
		return nil, errNoTransaction
	}
	var tx transaction
	if json.Unmarshal(payload, &tx) != nil || tx.State == "" || c.cfg.Now().Unix() >= tx.Expires {
		return nil, errNoTransaction
	}
	return &tx, nil
}

// safeReturnTo accepts only destinations on this app's origin, to avoid open redirects: a path
// ("/dashboard?tab=1") or an absolute URL whose scheme and host equal the base URL's. It returns
// the absolute URL on the base origin.
func (c *Client) safeReturnTo(raw string) (string, bool) {
	if raw == "" || len(raw) > 2048 || strings.ContainsAny(raw, "\\\r\n\t") {
		return "", false
	}
	for _, r := range raw {
		if r < 0x20 || r == 0x7f {
			return "", false
		}
	}
	u, err := url.Parse(raw)
	if err != nil || u.User != nil || u.Opaque != "" {
		return "", false
	}
	switch {
	case u.Scheme == "" && u.Host == "":
		// "//evil.example" parses with a host; "/\evil" was refused above.
		if !strings.HasPrefix(raw, "/") || strings.HasPrefix(raw, "//") {
			return "", false
		}
	case strings.EqualFold(u.Scheme, c.baseURL.Scheme) && strings.EqualFold(u.Host, c.baseURL.Host):
	default:
		return "", false
	}
	dst := *c.baseURL
	dst.Path, dst.RawPath, dst.RawQuery, dst.Fragment, dst.RawFragment = u.Path, u.RawPath, u.RawQuery, u.Fragment, u.RawFragment
	if dst.Path == "" {
		dst.Path = "/"
	}
	return dst.String(), true
}

func randomToken() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("webauth: random: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}
