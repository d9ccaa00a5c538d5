package apiauth

import (
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// DPoP defaults, express-oauth2-jwt-bearer's.
const (
	DefaultDPoPIATOffset = 300 * time.Second
	DefaultDPoPIATLeeway = 30 * time.Second
)

// CodeInvalidDPoPProof is RFC 9449 §7.1's error for a missing or bad proof.
const CodeInvalidDPoPProof = "invalid_dpop_proof"

// DPoPOptions are express-oauth2-jwt-bearer's `dpop` options (RFC 9449 §7):
//
//	{enabled: true, required: false} (the zero value): Bearer and DPoP tokens are both accepted; a
//	  DPoP-scheme request, a DPoP header or a token bound by cnf.jkt must carry a valid proof;
//	{enabled: false}: Disabled, Bearer only (a DPoP-scheme request is refused, cnf is ignored);
//	{enabled: true, required: true}: Required, only the DPoP scheme with a valid proof.
type DPoPOptions struct {
	Disabled bool
	Required bool
	// IATOffset bounds how old a proof's iat may be (default 300 s); IATLeeway how far ahead of
	// this server's clock (default 30 s).
	IATOffset time.Duration
	IATLeeway time.Duration
	// BaseURL, when set, is the scheme and host this API is reached at from outside
	// ("https://api.example.com"), used to check a proof's htu behind a proxy; by default the
	// request's own Host, and https when it came over TLS.
	BaseURL string
}

func (o DPoPOptions) offset() time.Duration {
	if o.IATOffset > 0 {
		return o.IATOffset
	}
	return DefaultDPoPIATOffset
}

func (o DPoPOptions) leeway() time.Duration {
	if o.IATLeeway > 0 {
		return o.IATLeeway
	}
	return DefaultDPoPIATLeeway
}

func invalidProof(description string) *Error {
	return &Error{Status: http.StatusUnauthorized, Code: CodeInvalidDPoPProof, Description: description, dpop: true}
}

// credentials reads the access token and its scheme ("Bearer" or "DPoP") under the DPoP options:
// with DPoP off it is bearerToken; on, the DPoP scheme is read too, and when DPoP is required only
// it is.
func (m *Middleware) credentials(r *http.Request) (string, string, *Error) {
	o := m.cfg.DPoP
	if o.Disabled {
		tok, e := bearerToken(r)
		return tok, "Bearer", e
	}
	vals := r.Header.Values("Authorization")
	if len(vals) > 1 {
		return "", "", invalidRequest("more than one Authorization header")
	}
	scheme, rest := "", ""
	if len(vals) == 1 {
		scheme, rest, _ = strings.Cut(strings.TrimSpace(vals[0]), " ")
	}
	switch {
	case strings.EqualFold(scheme, "DPoP"):
		tok := strings.TrimLeft(rest, " ")
		if !isB64Token(tok) {
			return "", "", dpopChallenge(invalidRequest("malformed Authorization header: expected 'DPoP <token>'"))
		}
		if len(r.Header.Values("DPoP")) == 0 {
			return "", "", dpopChallenge(invalidRequest("Operation indicated DPoP use but the request has no DPoP HTTP Header"))
		}
		return tok, "DPoP", nil
	case o.Required:
		e := missingToken()
		e.dpop = true
		return "", "", e
	}
	tok, e := bearerToken(r)
	if e == nil && len(r.Header.Values("DPoP")) > 0 {
		return "", "", invalidRequest("Operation indicated DPoP use but the request's Authorization HTTP Header scheme is not DPoP")
	}
	return tok, "Bearer", e
}

func dpopChallenge(e *Error) *Error {
	e.dpop = true
	return e
}

// checkDPoP verifies the proof of a request whose token c validated, when one is called for (the
// DPoP scheme, or a token bound by cnf.jkt; RFC 9449 §7): a single dpop+jwt proof signed with an
// asymmetric algorithm by the public key in its header, for this method and URL, issued within
// the iat window, carrying the token's hash (ath), by the key the token is bound to. Proofs are
// not remembered (as in the Node SDK): a replay within the window is not detected here.
func (m *Middleware) checkDPoP(r *http.Request, scheme string, c *Claims) *Error {
	o := m.cfg.DPoP
	if o.Disabled {
		return nil
	}
	jkt, bound, cerr := confirmation(c)
	if cerr != nil {
		return cerr
	}
	if scheme != "DPoP" {
		if bound {
			return dpopChallenge(invalidToken("the access token is DPoP-bound; use the DPoP scheme with a proof", nil))
		}
		return nil
	}
	if !bound {
		return dpopChallenge(invalidToken("JWT Access Token has no jkt confirmation claim", nil))
	}
	vals := r.Header.Values("DPoP")
	if len(vals) != 1 || strings.Contains(vals[0], ",") {
		return dpopChallenge(invalidRequest("exactly one DPoP proof is required"))
	}
	var (
		claims struct {
			jwt.RegisteredClaims
			HTM string `json:"htm"`
			HTU string `json:"htu"`
			ATH string `json:"ath"`
		}
		jwk jose.JSONWebKey
	)
	parser := jwt.NewParser(jwt.WithValidMethods(supportedAlgorithms), jwt.WithoutClaimsValidation())
	_, err := parser.ParseWithClaims(vals[0], &claims, func(t *jwt.Token) (any, error) {
		if typ, _ := t.Header["typ"].(string); typ != "dpop+jwt" {
			return nil, errors.New("unexpected typ")
		}
		raw, ok := t.Header["jwk"].(map[string]any)
		if !ok {
			return nil, errors.New("no jwk")
		}
		b, _ := json.Marshal(raw)
		if err := jwk.UnmarshalJSON(b); err != nil || !jwk.Valid() || !jwk.IsPublic() {
			return nil, errors.New("the jwk must be a valid public key")
		}
		return jwk.Key, nil
	})
	if err != nil {
		return invalidProof("Failed to verify DPoP proof")
	}
	now := m.cfg.Now()
	switch {
	case claims.IssuedAt == nil:
		return invalidProof(`Missing "iat" claim in DPoP proof`)
	case claims.IssuedAt.Before(now.Add(-o.offset())) || claims.IssuedAt.After(now.Add(o.leeway())):
		return invalidProof(`DPoP proof "iat" is outside the acceptable range`)
	case !strings.EqualFold(claims.HTM, r.Method):
		return invalidProof("DPoP Proof htm mismatch")
	case !sameURL(claims.HTU, requestURL(r, o.BaseURL)):
		return invalidProof("DPoP Proof htu mismatch")
	case claims.ID == "":
		return invalidProof(`Missing "jti" in DPoP proof`)
	}
	sum := sha256.Sum256([]byte(c.Token))
	if subtle.ConstantTimeCompare([]byte(claims.ATH), []byte(base64.RawURLEncoding.EncodeToString(sum[:]))) != 1 {
		return invalidProof(`DPoP Proof "ath" mismatch`)
	}
	tp, err := jwk.Thumbprint(crypto.SHA256)
	if err != nil || subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(tp)), []byte(jkt)) != 1 {
		return dpopChallenge(invalidToken("JWT Access Token confirmation mismatch", nil))
	}
	return nil
}

// confirmation reads cnf.jkt; a cnf of another shape is an invalid token.
func confirmation(c *Claims) (jkt string, bound bool, e *Error) {
	cnf, present := c.Raw()["cnf"]
	if !present {
		return "", false, nil
	}
	m, ok := cnf.(map[string]any)
	if !ok || len(m) != 1 {
		return "", true, dpopChallenge(invalidToken(`Invalid "cnf" confirmation claim structure`, nil))
	}
	jkt, ok = m["jkt"].(string)
	if !ok || jkt == "" {
		return "", true, dpopChallenge(invalidToken(`Invalid "jkt" confirmation claim`, nil))
	}
	return jkt, true, nil
}

// requestURL is the URL a client called, without query: BaseURL (or the request's scheme and
// Host) and the path.
func requestURL(r *http.Request, base string) string {
	if base == "" {
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		base = scheme + "://" + r.Host
	}
	return strings.TrimSuffix(base, "/") + r.URL.EscapedPath()
}

// sameURL compares two URLs on scheme, host (default port dropped) and path; query and fragment
// are ignored (RFC 9449 §4.3).
func sameURL(a, b string) bool {
	ua, err1 := url.Parse(a)
	ub, err2 := url.Parse(b)
	if err1 != nil || err2 != nil || ua.Host == "" {
		return false
	}
	norm := func(u *url.URL) string {
		h, p := strings.ToLower(u.Hostname()), u.Port()
		s := strings.ToLower(u.Scheme)
		if (s == "https" && p == "443") || (s == "http" && p == "80") {
			p = ""
		}
		path := u.EscapedPath()
		if path == "" {
			path = "/"
		}
		return s + "://" + h + ":" + p + path
	}
	return norm(ua) == norm(ub)
}
