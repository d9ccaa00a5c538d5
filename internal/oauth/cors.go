package oauth

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Browser SDKs (auth0-spa-js) call /oauth/token, /oauth/revoke and /userinfo with fetch (spec §1.1).
//
// A preflight carries no client id, so it is answered for any origin: it grants nothing by itself,
// since no credentials (cookies) are ever allowed on these endpoints. The actual response carries
// Access-Control-Allow-Origin only when the origin is registered for the client the request proves
// it is (web_origins, allowed_origins, or the origin of a callback URL); without it the browser hides
// the response from the page.

func (h *Handler) servePreflight(w http.ResponseWriter, r *http.Request) {
	origin := r.Header.Get("Origin")
	hd := w.Header()
	hd.Add("Vary", "Origin")
	if origin == "" || r.Header.Get("Access-Control-Request-Method") == "" {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	methods := "POST"
	if r.URL.Path == "/userinfo" {
		methods = "GET, POST"
	}
	hd.Set("Access-Control-Allow-Origin", origin)
	hd.Set("Access-Control-Allow-Methods", methods)
	hd.Set("Access-Control-Allow-Headers", "Authorization, Content-Type, Auth0-Client")
	hd.Set("Access-Control-Max-Age", "86400")
	w.WriteHeader(http.StatusNoContent)
}

// allowOrigin adds the CORS response headers when the request's Origin is registered for c.
func (h *Handler) allowOrigin(w http.ResponseWriter, r *http.Request, c *domain.Client) {
	origin := r.Header.Get("Origin")
	if origin == "" {
		return
	}
	w.Header().Add("Vary", "Origin")
	if c.AllowsOrigin(origin) {
		w.Header().Set("Access-Control-Allow-Origin", origin)
	}
}
