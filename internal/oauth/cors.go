package oauth

import (
	"net/http"
	"slices"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// Browser SDKs (auth0-spa-js) call /oauth/token, /oauth/revoke and /userinfo with fetch (spec §1.1).
//
// The actual response carries Access-Control-Allow-Origin only when the origin is registered for
// the client the request proves it is (web_origins, allowed_origins, or the origin of a callback
// URL); without it the browser hides the response from the page. A preflight names no client (it
// has no body), so it is answered by the same lists of every client: an origin no client registers,
// a method the endpoint does not take, or a request that is not a preflight gets no allow headers,
// and the browser then sends nothing. No credentials (cookies) are ever allowed on these endpoints.

// preflightMethods are the methods each endpoint answers cross-origin.
var preflightMethods = map[string][]string{
	"/oauth/token":  {http.MethodPost},
	"/oauth/revoke": {http.MethodPost},
	"/userinfo":     {http.MethodGet, http.MethodPost},
}

// preflightHeaders are the request headers the SDKs send: the token, the body's type and Auth0's
// telemetry header.
const preflightHeaders = "Authorization, Content-Type, Auth0-Client"

func (h *Handler) servePreflight(w http.ResponseWriter, r *http.Request) {
	hd := w.Header()
	hd.Add("Vary", "Origin")
	origin := protocol.Origin(r.Header.Get("Origin"))
	methods := preflightMethods[r.URL.Path]
	if origin == "" || origin != r.Header.Get("Origin") || !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	known, err := h.config.KnownOrigin(r.Context(), origin)
	if err != nil {
		h.log.ErrorContext(r.Context(), "preflight: client origins", "err", err)
	}
	if !known {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	list := methods[0]
	for _, m := range methods[1:] {
		list += ", " + m
	}
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Set("Access-Control-Allow-Methods", list)
	hd.Set("Access-Control-Allow-Headers", preflightHeaders)
	hd.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// allowOrigin adds the CORS response headers when the request's Origin is registered for c.
func (h *Handler) allowOrigin(w http.ResponseWriter, r *http.Request, c *domain.Client) {
	raw := r.Header.Get("Origin")
	if raw == "" {
		return
	}
	w.Header().Add("Vary", "Origin")
	if origin := protocol.Origin(raw); origin == raw && slices.Contains(clientOrigins(c), origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
}

// clientOrigins are the origins c registers for CORS: its web origins, its allowed origins and the
// origins of its callback URLs, serialised as browsers send them (protocol.Origin; no wildcards,
// which configuration refuses). Custom-scheme callbacks have none.
func clientOrigins(c *domain.Client) []string {
	var out []string
	for _, list := range [][]string{c.WebOrigins, c.AllowedOrigins, c.Callbacks} {
		for _, v := range list {
			if o := protocol.Origin(v); o != "" && !slices.Contains(out, o) {
				out = append(out, o)
			}
		}
	}
	return out
}
