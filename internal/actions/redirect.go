package actions

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Redirect Actions (api.redirect): a post-login action sends the browser to another site with
// sendUserTo; the chain pauses after that action, and resumes at /continue?state=… with the
// action's onContinuePostLogin, then the remaining actions' onExecutePostLogin. Data travels
// both ways in session tokens: HS256 JWTs signed with a secret the action and the other site
// share (encodeToken, validateToken).

// Limits of a redirect.
const (
	// DefaultTokenLifetime is encodeToken's expiresInSeconds when none is given (Auth0's 900).
	DefaultTokenLifetime = 900 * time.Second
	// maxTokenLifetime bounds expiresInSeconds: the login transaction lives far less.
	maxTokenLifetime = 24 * time.Hour
	// maxSessionToken bounds a token validateToken reads, before it is decoded.
	maxSessionToken = 16 << 10
	// maxRedirectURL bounds the URL sendUserTo builds, its query included.
	maxRedirectURL = 16 << 10
	// DefaultTokenParameter is validateToken's tokenParameterName when none is given.
	DefaultTokenParameter = "session_token"
)

// SessionTokenClaims are what encodeToken adds to the payload; they win over a payload field of
// the same name.
type SessionTokenClaims struct {
	Issuer  string // iss: the tenant's domain (event.request.hostname)
	Subject string // sub: the user id
	State   string // state: the value the redirect carries and /continue must bring back
	IP      string // ip: the address the sign-in came from
}

// EncodeSessionToken signs payload and the claims as an HS256 JWT (api.redirect.encodeToken).
func EncodeSessionToken(secret string, payload map[string]any, c SessionTokenClaims, now time.Time, lifetime time.Duration) (string, error) {
	if secret == "" {
		return "", errors.New("a secret is required")
	}
	if lifetime <= 0 || lifetime > maxTokenLifetime {
		return "", fmt.Errorf("expiresInSeconds must be between 1 and %d", int(maxTokenLifetime.Seconds()))
	}
	claims := make(map[string]any, len(payload)+6)
	for k, v := range payload {
		claims[k] = v
	}
	claims["iss"], claims["sub"], claims["state"] = c.Issuer, c.Subject, c.State
	if c.IP != "" {
		claims["ip"] = c.IP
	}
	claims["iat"] = now.Unix()
	claims["exp"] = now.Add(lifetime).Unix()
	body, err := json.Marshal(claims)
	if err != nil {
		return "", errors.New("the payload is not JSON-serialisable")
	}
	signing := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + base64.RawURLEncoding.EncodeToString(body)
	return signing + "." + base64.RawURLEncoding.EncodeToString(hs256(secret, signing)), nil
}

func hs256(secret, signing string) []byte {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(signing))
	return m.Sum(nil)
}

// ValidateSessionToken checks a token the other site sent back (api.redirect.validateToken): an
// HS256 signature by secret (compared in constant time), an exp in the future, and a state claim
// equal to state. It returns the token's claims. Each failure says which check failed; none
// echoes the token.
func ValidateSessionToken(token, secret, state string, now time.Time) (map[string]any, error) {
	if secret == "" {
		return nil, errors.New("a secret is required")
	}
	if token == "" {
		return nil, errors.New("no session token was sent")
	}
	if len(token) > maxSessionToken {
		return nil, fmt.Errorf("the session token is longer than %d bytes", maxSessionToken)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return nil, errors.New("the session token is not a signed JWT")
	}
	hdr, err := base64.RawURLEncoding.DecodeString(parts[0])
	if err != nil {
		return nil, errors.New("the session token's header is not base64url")
	}
	var header struct {
		Alg string `json:"alg"`
	}
	if json.Unmarshal(hdr, &header) != nil || header.Alg != "HS256" {
		return nil, errors.New("the session token must be signed with HS256")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, hs256(secret, parts[0]+"."+parts[1])) {
		return nil, errors.New("the session token's signature is invalid")
	}
	body, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil, errors.New("the session token's payload is not base64url")
	}
	var claims map[string]any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&claims); err != nil || claims == nil {
		return nil, errors.New("the session token's payload is not a JSON object")
	}
	exp, ok := claims["exp"].(json.Number)
	if !ok {
		return nil, errors.New("the session token has no exp claim")
	}
	e, err := exp.Float64()
	if err != nil || math.IsNaN(e) || float64(now.Unix()) >= e {
		return nil, errors.New("the session token has expired")
	}
	if st, _ := claims["state"].(string); state == "" || !hmac.Equal([]byte(st), []byte(state)) {
		return nil, errors.New("the session token's state claim does not match this login")
	}
	for k, v := range claims {
		if n, ok := v.(json.Number); ok {
			f, _ := n.Float64()
			claims[k] = f
		} else {
			claims[k] = plainNumbers(v)
		}
	}
	return claims, nil
}

// plainNumbers turns the json.Numbers nested in v into float64, as JSON.parse would.
func plainNumbers(v any) any {
	switch x := v.(type) {
	case json.Number:
		f, _ := x.Float64()
		return f
	case map[string]any:
		for k, e := range x {
			x[k] = plainNumbers(e)
		}
	case []any:
		for i, e := range x {
			x[i] = plainNumbers(e)
		}
	}
	return v
}

// RedirectURL is sendUserTo's target: an absolute http(s) URL with query merged into its own,
// each value encoded. The flow adds state when it sends the browser there.
func RedirectURL(target string, query map[string]string) (string, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
		return "", errors.New("the URL must be an absolute http or https URL without credentials")
	}
	u.Fragment, u.RawFragment = "", ""
	if len(query) > 0 {
		q := u.Query()
		keys := make([]string, 0, len(query))
		for k := range query {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			q.Set(k, query[k])
		}
		u.RawQuery = q.Encode()
	}
	s := u.String()
	if len(s) > maxRedirectURL {
		return "", fmt.Errorf("the URL is longer than %d bytes", maxRedirectURL)
	}
	return s, nil
}
