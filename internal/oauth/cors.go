package oauth

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

// Browser SDKs (auth0-spa-js) call /oauth/token, /oauth/par, /oauth/device/code, /oauth/revoke and
// /userinfo with fetch (spec §1.1). The rule is protocol's (protocol/cors.go), shared with
// /dbconnections/*; this file only says which methods each endpoint takes.

// preflightMethods are the methods each endpoint answers cross-origin.
var preflightMethods = map[string][]string{
	"/oauth/token":       {http.MethodPost},
	"/oauth/par":         {http.MethodPost},
	"/oauth/device/code": {http.MethodPost},
	"/oauth/revoke":      {http.MethodPost},
	"/userinfo":          {http.MethodGet, http.MethodPost},
}

func (h *Handler) servePreflight(w http.ResponseWriter, r *http.Request) {
	if err := protocol.Preflight(w, r, h.KnownOrigin, preflightMethods[r.URL.Path]...); err != nil {
		h.log.ErrorContext(r.Context(), "preflight: client origins", "err", err)
	}
}

// KnownOrigin reports whether some client registers origin for CORS, from the configuration cache
// (protocol.KnownOrigins; the other endpoints browsers call answer their preflights with it).
func (h *Handler) KnownOrigin(ctx context.Context, origin string) (bool, error) {
	return h.config.KnownOrigin(ctx, origin)
}

// allowOrigin adds the CORS response headers when the request's Origin is registered for c.
func (h *Handler) allowOrigin(w http.ResponseWriter, r *http.Request, c *domain.Client) {
	protocol.AllowOrigin(w, r, c)
}
