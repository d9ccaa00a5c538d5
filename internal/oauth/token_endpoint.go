package oauth

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/grant"
)

// tokenResponse is the successful token response (RFC 6749 §5.1, spec §1.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
}

// serveToken is POST /oauth/token: parse once, authenticate the client, dispatch to the grant, write
// the answer or the error once.
func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	p, perr := parseBody(r)
	if perr != nil {
		h.writeError(ctx, w, perr, false)
		return
	}
	gt, ok := p["grant_type"]
	if !ok || gt == "" {
		h.writeError(ctx, w, grant.MissingParameter("grant_type"), false)
		return
	}
	g := h.grants[gt]
	if g == nil {
		h.writeError(ctx, w, &grant.Error{Status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "Unsupported grant type: " + sanitize(gt)}, false)
		return
	}
	success, failure := g.LogTypes()
	client, basic, cerr := h.authenticateClient(ctx, r, p)
	if cerr != nil {
		h.logEvent(ctx, r, failure, nil, sanitize(p["client_id"]), "", cerr)
		h.writeError(ctx, w, cerr, basic)
		return
	}
	ctx = httpserver.WithClientID(ctx, client.ClientID)
	h.allowOrigin(w, r, client)

	req := p.grantRequest()
	req.Client = client
	req.IP = clientIP(r)
	req.UserAgent = r.UserAgent()
	res, err := g.Exchange(ctx, req)
	if err != nil {
		ge := asGrantError(err)
		lt := failure
		if ge.LogType != "" {
			lt = ge.LogType
		}
		h.logEvent(ctx, r, lt, client, client.ClientID, req.Audience, ge)
		h.writeError(ctx, w, ge, false)
		return
	}
	h.recordSuccess(ctx, r, success, client, res)
	writeNoStore(w)
	writeJSON(w, http.StatusOK, tokenResponse{
		AccessToken: res.AccessToken, IDToken: res.IDToken, RefreshToken: res.RefreshToken,
		Scope: res.Scope, ExpiresIn: res.ExpiresIn, TokenType: "Bearer",
	})
}

func asGrantError(err error) *grant.Error {
	var ge *grant.Error
	if errors.As(err, &ge) {
		return ge
	}
	return grant.ServerError(err)
}

// writeNoStore marks a response carrying credentials as not cacheable (RFC 6749 §5.1).
func writeNoStore(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// writeError writes an OAuth error (RFC 6749 §5.2) once: JSON {error, error_description}, no-store,
// and WWW-Authenticate when a Basic authentication failed (RFC 6749 §5.2 invalid_client). Internal
// causes are logged, never shown.
func (h *Handler) writeError(ctx context.Context, w http.ResponseWriter, e *grant.Error, basic bool) {
	if e.Cause != nil {
		h.log.ErrorContext(ctx, "token endpoint error", "error", e.Code, "err", e.Cause)
	}
	if e.Status == http.StatusUnauthorized && basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+h.issuer+`", charset="UTF-8"`)
	}
	writeNoStore(w)
	writeJSON(w, e.Status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
	}{e.Code, e.Description})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"server_error"}`, http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// clientIP is the caller's address as the edge established it, or the peer address.
func clientIP(r *http.Request) string {
	if ip := httpserver.ClientIP(r.Context()); ip.IsValid() {
		return ip.String()
	}
	host := r.RemoteAddr
	for i := len(host) - 1; i >= 0; i-- {
		if host[i] == ':' {
			host = host[:i]
			break
		}
	}
	return host
}

// recordSuccess appends the success event to the tenant log.
func (h *Handler) recordSuccess(ctx context.Context, r *http.Request, typ string, c *domain.Client, res *grant.Response) {
	if h.logs == nil {
		return
	}
	h.logs.add(ctx, domain.LogEvent{
		Type: typ, ClientID: c.ClientID, ClientName: c.Name, IP: clientIP(r), UserAgent: r.UserAgent(),
		UserID: res.UserID, Audience: res.Audience, Scope: res.Scope, Hostname: r.Host,
	})
}

// logEvent appends a failure event to the tenant log.
func (h *Handler) logEvent(ctx context.Context, r *http.Request, typ string, c *domain.Client, clientID, audience string, e *grant.Error) {
	if h.logs == nil || typ == "" {
		return
	}
	ev := domain.LogEvent{
		Type: typ, ClientID: clientID, IP: clientIP(r), UserAgent: r.UserAgent(), Audience: audience,
		UserID: e.UserID, Description: e.Description, Hostname: r.Host,
		Details: map[string]any{"error": e.Code},
	}
	if c != nil {
		ev.ClientName = c.Name
	}
	if e.Status >= 500 {
		ev.Description = "Internal error"
	}
	h.logs.add(ctx, ev)
}
