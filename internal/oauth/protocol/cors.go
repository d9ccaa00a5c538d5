package protocol

import (
	"context"
	"net/http"
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// The one CORS rule of every endpoint a browser SDK calls with fetch (/oauth/token, /oauth/par,
// /oauth/device/code, /oauth/revoke, /userinfo, /dbconnections/signup, /dbconnections/change_password;
// spec §1.1):
//
//   - An actual response carries Access-Control-Allow-Origin only when its Origin is registered for
//     the client the request names or proves (web_origins, allowed_origins, or the origin of a
//     callback URL); without it the browser hides the answer from the page (AllowOrigin).
//   - A preflight names no client (it has no body), so it is answered by the origins of every client:
//     an origin no client registers, a method the endpoint does not take, or a request that is not a
//     preflight gets no allow headers at all, and the browser then sends nothing (Preflight).
//   - Origins are compared serialised as browsers send them (Origin): no wildcards, no case or
//     trailing-slash variants of the header.
//   - Credentials (cookies) are never allowed on these endpoints.

// CORSHeaders are the request headers the SDKs send cross-origin: the token, the body's type,
// Auth0's telemetry header and a DPoP proof (auth0-spa-js's useDpop).
const CORSHeaders = "Authorization, Content-Type, Auth0-Client, DPoP"

// corsExposed are the response headers a page may read: the server's DPoP nonce (RFC 9449 §8),
// which a browser client must see to retry with it.
const corsExposed = "DPoP-Nonce, WWW-Authenticate"

// KnownOrigins reports whether some client registers an origin (serialised by Origin). Its
// implementation caches every client's origins; an error is answered as "not known".
type KnownOrigins func(ctx context.Context, origin string) (bool, error)

// ClientOrigins are the origins c registers for CORS: its web origins, its allowed origins and the
// origins of its callback URLs, serialised as browsers send them (no wildcards, which configuration
// refuses). Custom-scheme callbacks have none.
func ClientOrigins(c *domain.Client) []string {
	var out []string
	for _, list := range [][]string{c.WebOrigins, c.AllowedOrigins, c.Callbacks} {
		for _, v := range list {
			if o := Origin(v); o != "" && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}

// AllowOrigin adds the CORS response headers when the request's Origin is registered for c.
func AllowOrigin(w http.ResponseWriter, r *http.Request, c *domain.Client) {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return
	}
	w.Header().Add("Vary", "Origin")
	if c == nil {
		return
	}
	if origin := Origin(raw); origin == raw && slices.Contains(ClientOrigins(c), origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Access-Control-Expose-Headers", corsExposed)
	}
}

// Preflight answers a CORS preflight for an endpoint taking methods: allow headers only for a
// serialised origin some client registers (known) asking for one of methods; 204 in every case.
// A nil known allows nothing. The error is known's, for the caller to log.
func Preflight(w http.ResponseWriter, r *http.Request, known KnownOrigins, methods ...string) error {
	hd := w.Header()
	hd.Add("Vary", "Origin")
	raw := r.Header.Get("Origin")
	origin := Origin(raw)
	if origin == "" || origin != raw || known == nil || !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	ok, err := known(r.Context(), origin)
	if ok && err == nil {
		hd.Set("Access-Control-Allow-Origin", origin)
		hd.Set("Access-Control-Allow-Methods", strings.Join(methods, ", "))
		hd.Set("Access-Control-Allow-Headers", CORSHeaders)
		hd.Set("Access-Control-Max-Age", "86400")
	}
	w.WriteHeader(http.StatusNoContent)
	return err
}
