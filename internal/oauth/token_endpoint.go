package oauth

import (
	"context"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/grant"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// tokenResponse is the successful token response (RFC 6749 §5.1, spec §1.3).
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	IDToken      string `json:"id_token,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	Scope        string `json:"scope,omitempty"`
	ExpiresIn    int    `json:"expires_in"`
	TokenType    string `json:"token_type"`
	// RecoveryCode is the new recovery code of the mfa-recovery-code grant.
	RecoveryCode string `json:"recovery_code,omitempty"`
}

// serveToken is POST /oauth/token: parse once, authenticate the client, dispatch to the grant, write
// the answer or the error once.
func (h *Handler) serveToken(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	if !h.allowIP(w, r) {
		return
	}
	p, perr := protocol.ParseBody(r)
	if perr != nil {
		h.writeError(ctx, w, perr, false)
		return
	}
	req := p.TokenRequest()
	if req.GrantType == "" {
		h.writeError(ctx, w, protocol.MissingParameter("grant_type"), false)
		return
	}
	g := h.grants[req.GrantType]
	if g == nil {
		h.writeError(ctx, w, protocol.NewError(http.StatusBadRequest, "unsupported_grant_type", "Unsupported grant type: "+protocol.Sanitize(req.GrantType)), false)
		return
	}
	success, failure := g.LogTypes()
	client, basic, cerr := h.authenticateClient(ctx, r, req)
	if cerr != nil {
		h.logEvent(ctx, r, failure, nil, protocol.Sanitize(req.ClientID), "", cerr)
		h.writeError(ctx, w, cerr, basic)
		return
	}
	ctx = httpserver.WithClientID(ctx, client.ClientID)
	h.allowOrigin(w, r, client)
	h.setDPoPNonce(w)
	proof, derr := h.checkDPoP(r, "")
	if derr != nil {
		h.logEvent(ctx, r, failure, client, client.ClientID, req.Audience, derr)
		h.writeError(ctx, w, derr, false)
		return
	}
	if proof != nil {
		req.DPoPJKT = proof.JKT
	}

	req.Client = client
	req.IP = httpserver.ClientIP(ctx).String()
	req.UserAgent = r.UserAgent()
	req.ForwardedFor = r.Header.Get("auth0-forwarded-for")
	res, err := g.Exchange(ctx, req)
	if err != nil {
		ge := protocol.As(err)
		lt := failure
		if ge.LogType != "" {
			lt = ge.LogType
		}
		if !ge.Quiet {
			h.logEvent(ctx, r, lt, client, client.ClientID, req.Audience, ge)
		}
		h.writeError(ctx, w, ge, false)
		return
	}
	h.recordSuccess(ctx, r, success, client, res)
	h.metrics.TokenIssued(req.GrantType, client.ClientID)
	tokenType := "Bearer"
	if req.DPoPJKT != "" {
		tokenType = "DPoP" // RFC 9449 §5
	}
	protocol.NoStore(w.Header())
	protocol.WriteJSONValue(w, http.StatusOK, tokenResponse{
		AccessToken: res.AccessToken, IDToken: res.IDToken, RefreshToken: res.RefreshToken,
		Scope: res.Scope, ExpiresIn: res.ExpiresIn, TokenType: tokenType, RecoveryCode: res.RecoveryCode,
	})
}

// errTooManyRequests is the token endpoint's 429, in the OAuth error shape every client parses.
var errTooManyRequests = protocol.NewError(http.StatusTooManyRequests, "too_many_requests", "Too many requests from this address. Try again later.")

// allowIP counts the request against the per-address limit before any work (parsing, client
// authentication, signing), writes the x-ratelimit headers, and answers 429 with Retry-After when
// the address is over it.
func (h *Handler) allowIP(w http.ResponseWriter, r *http.Request) bool {
	ctx := r.Context()
	d, err := h.limiter.Take(ctx, "token_ip", httpserver.ClientIP(ctx).String(), h.tokenPerIP)
	if err != nil {
		// Fail open: the limit protects capacity; a database that cannot count fails the grant.
		h.log.WarnContext(ctx, "token rate limit not counted", "err", err)
	}
	d.SetHeaders(w.Header())
	if !d.Allowed {
		h.writeError(ctx, w, errTooManyRequests, false)
	}
	return d.Allowed
}

// writeError writes an OAuth error (RFC 6749 §5.2) once: JSON {error, error_description}, no-store,
// and WWW-Authenticate when a Basic authentication failed (RFC 6749 §5.2 invalid_client). Internal
// causes are logged, never shown.
func (h *Handler) writeError(ctx context.Context, w http.ResponseWriter, e *protocol.Error, basic bool) {
	if e.Cause != nil {
		h.log.ErrorContext(ctx, "token endpoint error", "error", e.Code, "err", e.Cause)
	}
	if e.Status == http.StatusUnauthorized && basic {
		w.Header().Set("WWW-Authenticate", `Basic realm="`+h.issuer+`", charset="UTF-8"`)
	}
	protocol.WriteJSON(w, e)
}

// recordSuccess appends the success event to the tenant log.
func (h *Handler) recordSuccess(ctx context.Context, r *http.Request, typ string, c *domain.Client, res *grant.Response) {
	if h.logs == nil {
		return
	}
	h.logs.add(ctx, domain.LogEvent{
		Type: typ, ClientID: c.ClientID, ClientName: c.Name, IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(),
		UserID: res.UserID, Audience: res.Audience, Scope: res.Scope, Hostname: r.Host,
		Details: trigger.LogDetails(res.ActionExecutions),
	})
}

// logEvent appends a failure event to the tenant log.
func (h *Handler) logEvent(ctx context.Context, r *http.Request, typ string, c *domain.Client, clientID, audience string, e *protocol.Error) {
	if h.logs == nil || typ == "" {
		return
	}
	ev := domain.LogEvent{
		Type: typ, ClientID: clientID, IP: httpserver.ClientIP(ctx).String(), UserAgent: r.UserAgent(), Audience: audience,
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
