package authflow

import (
	"fmt"
	"net/http"
	"net/url"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/web"
)

// respondError sends an OAuth error to the transaction's (already validated) redirect_uri; a device
// sign-in has none, and refuses its device code instead (deviceError).
func (h *Handler) respondError(w http.ResponseWriter, r *http.Request, tx *domain.LoginTransaction, e *protocol.Error) {
	if tx.DeviceCodeHash != nil {
		h.deviceError(w, r, tx, e)
		return
	}
	if e.Cause != nil {
		h.logger.ErrorContext(r.Context(), "sign-in failed", "error", e.Code, "err", e.Cause)
	}
	h.respond(w, r, tx, e.Params(tx.State))
}

// respond delivers an authorization response in the transaction's response mode.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, tx *domain.LoginTransaction, params url.Values) {
	protocol.WriteRedirect(w, tx.ResponseMode, tx.RedirectURI, params, func(p protocol.ResponsePage) {
		if p.Mode == protocol.ModeWebMessage {
			h.webMessage(w, r, tx.ClientID, p)
			return
		}
		h.formPost(w, r, p)
	})
}

// webMessage renders the web_message response page (see protocol.WebMessageTarget). The origin is
// checked again against the client as it is now: its web origins may have changed while the user
// was on the login page. Its CSP lets only that origin frame the page and only the page's one
// script run; X-Frame-Options, which cannot name an origin, is left out.
func (h *Handler) webMessage(w http.ResponseWriter, r *http.Request, clientID string, p protocol.ResponsePage) {
	client, err := h.store.GetClient(r.Context(), clientID)
	if err != nil {
		h.internalError(w, r, fmt.Errorf("authorize: web_message client: %w", err))
		return
	}
	target, pe := protocol.WebMessageTarget(client, p.Target)
	if pe != nil {
		h.errorPage(w, r, pe)
		return
	}
	nonce := web.NewNonce()
	w.Header().Set("Content-Security-Policy", protocol.WebMessageCSP(target, nonce))
	httpserver.OmitDefaultHeader(w.Header(), "X-Frame-Options")
	base := h.base(r.Context())
	base.Nonce = nonce
	h.render(r.Context(), w, http.StatusOK, web.PageWebMessage, web.WebMessageData{
		Base: base, Type: protocol.WebMessageType, TargetOrigin: target, Response: protocol.WebMessageResponse(p.Fields),
	})
}

// formPost renders the OAuth 2.0 Form Post Response Mode page (§2). Its CSP lets the form go only to
// the redirect URI's origin and the one submit script run only with this response's nonce.
func (h *Handler) formPost(w http.ResponseWriter, r *http.Request, p protocol.ResponsePage) {
	target, ok := httpserver.FormActionSource(p.Target)
	if !ok {
		h.internalError(w, r, errFormPostTarget)
		return
	}
	nonce := web.NewNonce()
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; "+
		"img-src 'self' data:; form-action "+target+"; base-uri 'none'; frame-ancestors 'none'")
	fields := make([]web.FormField, 0, len(p.Fields))
	for _, f := range p.Fields {
		fields = append(fields, web.FormField{Name: f.Name, Value: f.Value})
	}
	base := h.base(r.Context())
	base.Nonce = nonce
	h.render(r.Context(), w, http.StatusOK, web.PageFormPost, web.FormPostData{Base: base, Action: p.Target, Fields: fields})
}

type constError string

func (e constError) Error() string { return string(e) }

const errFormPostTarget = constError("authorize: redirect_uri cannot be a form_post target")
