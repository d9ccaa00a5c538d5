package apiauth

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Defaults, chosen to match express-oauth2-jwt-bearer.
const (
	DefaultClockTolerance      = 5 * time.Second
	DefaultJWKSCacheTTL        = 10 * time.Minute
	DefaultJWKSRefetchCooldown = 30 * time.Second
	DefaultFetchTimeout        = 5 * time.Second
)

// supportedAlgorithms are the asymmetric JWS algorithms (RFC 7518 §3, RFC 8037)
// a public JWKS can verify. HMAC algorithms are deliberately absent: their key
// is a shared secret, never something published at a jwks_uri.
var supportedAlgorithms = []string{
	"RS256", "RS384", "RS512",
	"PS256", "PS384", "PS512",
	"ES256", "ES384", "ES512",
	"EdDSA",
}

// minHS256Secret is the shortest HS256 key accepted: the hash output size (RFC 7518 §3.2).
const minHS256Secret = 32

// Config configures a Middleware. Only IssuerBaseURL (or Issuer with JWKSURI)
// and Audience are required.
type Config struct {
	// IssuerBaseURL is the authorization server's base URL, such as
	// "https://YOUR_DOMAIN.auth0.com" (with or without a trailing slash).
	// Metadata is read from <IssuerBaseURL>/.well-known/openid-configuration,
	// falling back to the RFC 8414 location. A URL that already contains
	// "/.well-known/" is used as the metadata address as given.
	IssuerBaseURL string

	// Audience is the API identifier; a token's "aud" (a string or an array)
	// must contain it.
	Audience string

	// Issuer, when set, is the exact "iss" tokens must carry, instead of the
	// discovered issuer. Set it when the metadata is reached under another
	// name than the issuer's (a container host name, say).
	Issuer string

	// JWKSURI, when set, overrides the discovered jwks_uri. With Issuer also
	// set, no discovery request is made at all.
	JWKSURI string

	// Algorithms lists the accepted JWS "alg" values. Default: RS256, what
	// Auth0 signs with. "none" is refused by New, and so is HS256 unless
	// HS256Secret is set and HS256 is the only algorithm listed.
	Algorithms []string

	// HS256Secret is the API's signing_secret, for an API whose signing
	// algorithm is HS256: tokens are then verified with HMAC-SHA256 under it
	// (no JWKS is read). It requires Algorithms to be exactly ["HS256"], so a
	// middleware is pinned to either the shared secret or the issuer's public
	// keys and an HS256 token can never be checked against a public key, nor
	// an RS256 middleware be downgraded to a shared secret. At least 32 bytes.
	HS256Secret []byte

	// ClockTolerance is the slack allowed when checking exp, nbf and iat.
	// Zero means DefaultClockTolerance; a negative value means none.
	ClockTolerance time.Duration

	// MaxTokenAge, when positive, rejects tokens whose "iat" is older than this
	// (and then requires "iat").
	MaxTokenAge time.Duration

	// HTTPClient fetches metadata and keys. Default: a client with
	// FetchTimeout as its timeout. Pass one trusting a private CA for a
	// development issuer.
	HTTPClient *http.Client

	// FetchTimeout bounds each metadata or JWKS request, whatever the
	// HTTPClient's own timeout. Zero means DefaultFetchTimeout.
	FetchTimeout time.Duration

	// JWKSCacheTTL is how long a fetched JWKS is used before it is refreshed
	// in the background. A shorter Cache-Control max-age from the issuer is
	// honoured down to one minute. Zero means DefaultJWKSCacheTTL.
	JWKSCacheTTL time.Duration

	// JWKSRefetchCooldown is the minimum time between two JWKS refetches
	// caused by tokens naming an unknown kid. Zero means
	// DefaultJWKSRefetchCooldown.
	JWKSRefetchCooldown time.Duration

	// CredentialsOptional lets requests without bearer credentials through
	// without claims (ClaimsFrom reports false), on handlers given no Checks;
	// Checks, and Require, still answer 401 to them. A token that is present
	// but invalid is still rejected, unlike authRequired:false in the Node
	// SDK, which ignores invalid tokens too.
	CredentialsOptional bool

	// ErrorHandler writes rejections. Default: WriteError. It is also used by
	// Require when the request went through this Middleware.
	ErrorHandler func(w http.ResponseWriter, r *http.Request, err *Error)

	// Logger receives metadata and JWKS fetch failures. Default: none.
	Logger *slog.Logger

	// DPoP sets how DPoP-bound tokens (RFC 9449) are accepted; the zero value accepts Bearer and
	// DPoP alike, as express-oauth2-jwt-bearer's default dpop options do.
	DPoP DPoPOptions

	// Now is the clock. Default: time.Now.
	Now func() time.Time
}

// FromEnv returns a Config read from the environment variables the seed guide
// and express-oauth2-jwt-bearer use: AUTH0_ISSUER_BASE_URL or ISSUER_BASE_URL,
// AUTH0_AUDIENCE or AUDIENCE, and optionally ISSUER, JWKS_URI and
// TOKEN_SIGNING_ALG. Fields the environment does not name keep their defaults;
// New reports anything missing.
func FromEnv() Config {
	var c Config
	c.IssuerBaseURL = firstEnv("AUTH0_ISSUER_BASE_URL", "ISSUER_BASE_URL")
	c.Audience = firstEnv("AUTH0_AUDIENCE", "AUDIENCE")
	c.Issuer = os.Getenv("ISSUER")
	c.JWKSURI = os.Getenv("JWKS_URI")
	if alg := os.Getenv("TOKEN_SIGNING_ALG"); alg != "" {
		c.Algorithms = []string{alg}
	}
	return c
}

func firstEnv(names ...string) string {
	for _, n := range names {
		if v := strings.TrimSpace(os.Getenv(n)); v != "" {
			return v
		}
	}
	return ""
}

// settings is Config with defaults applied and inputs checked.
type settings struct {
	Config
	tolerance time.Duration
	methods   map[string]jwt.SigningMethod // the allow-list, resolved once
}

func (c Config) resolve() (settings, error) {
	s := settings{Config: c}
	var errs []error
	if c.Audience == "" {
		errs = append(errs, errors.New("Audience is required (AUTH0_AUDIENCE)"))
	}
	switch {
	case c.Issuer != "" && c.JWKSURI != "":
		if err := checkHTTPURL(c.JWKSURI); err != nil {
			errs = append(errs, fmt.Errorf("JWKSURI: %w", err))
		}
	case c.IssuerBaseURL == "":
		errs = append(errs, errors.New("IssuerBaseURL is required (AUTH0_ISSUER_BASE_URL), or both Issuer and JWKSURI"))
	default:
		if err := checkHTTPURL(c.IssuerBaseURL); err != nil {
			errs = append(errs, fmt.Errorf("IssuerBaseURL: %w", err))
		}
	}
	if c.DPoP.Disabled && c.DPoP.Required {
		errs = append(errs, errors.New(`DPoP: Required cannot be set when DPoP is Disabled`))
	}
	if c.DPoP.BaseURL != "" {
		if err := checkHTTPURL(c.DPoP.BaseURL); err != nil {
			errs = append(errs, fmt.Errorf("DPoP.BaseURL: %w", err))
		}
	}
	if len(c.Algorithms) == 0 {
		s.Algorithms = []string{"RS256"}
	} else {
		s.Algorithms = slices.Clone(c.Algorithms)
		for _, a := range c.Algorithms {
			if a == "HS256" && len(c.HS256Secret) > 0 {
				continue
			}
			if !slices.Contains(supportedAlgorithms, a) {
				errs = append(errs, fmt.Errorf("algorithm %q is not supported: use one of %s (symmetric and \"none\" are never accepted)",
					a, strings.Join(supportedAlgorithms, ", ")))
			}
		}
	}
	if len(c.HS256Secret) > 0 {
		switch {
		case len(c.HS256Secret) < minHS256Secret:
			errs = append(errs, fmt.Errorf("HS256Secret must be at least %d bytes", minHS256Secret))
		case len(s.Algorithms) != 1 || s.Algorithms[0] != "HS256":
			errs = append(errs, errors.New(`HS256Secret requires Algorithms to be exactly ["HS256"]`))
		}
	}
	s.methods = make(map[string]jwt.SigningMethod, len(s.Algorithms))
	if len(c.HS256Secret) > 0 && slices.Equal(s.Algorithms, []string{"HS256"}) {
		s.methods["HS256"] = jwt.SigningMethodHS256
	}
	for _, a := range s.Algorithms {
		if m := jwt.GetSigningMethod(a); m != nil && slices.Contains(supportedAlgorithms, a) {
			s.methods[a] = m
		}
	}
	switch {
	case c.ClockTolerance == 0:
		s.tolerance = DefaultClockTolerance
	case c.ClockTolerance > 0:
		s.tolerance = c.ClockTolerance
	}
	if s.FetchTimeout <= 0 {
		s.FetchTimeout = DefaultFetchTimeout
	}
	if s.JWKSCacheTTL <= 0 {
		s.JWKSCacheTTL = DefaultJWKSCacheTTL
	}
	if s.JWKSRefetchCooldown <= 0 {
		s.JWKSRefetchCooldown = DefaultJWKSRefetchCooldown
	}
	if s.HTTPClient == nil {
		s.HTTPClient = &http.Client{Timeout: s.FetchTimeout}
	}
	if s.ErrorHandler == nil {
		s.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, err *Error) { WriteError(w, err) }
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Now == nil {
		s.Now = time.Now
	}
	if len(errs) > 0 {
		return settings{}, fmt.Errorf("apiauth: invalid config: %w", errors.Join(errs...))
	}
	return s, nil
}

func checkHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}
