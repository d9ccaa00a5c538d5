package authflow

import (
	"net/http"
	"net/url"
	"sort"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/web"
)

// respondError sends an OAuth error to the transaction's (already validated) redirect_uri.
func (h *Handler) respondError(w http.ResponseWriter, r *http.Request, tx *domain.LoginTransaction, oe *oauthError) {
	params := url.Values{"error": {oe.code}, "error_description": {oe.description}}
	if tx.State != "" {
		params.Set("state", tx.State)
	}
	h.respond(w, r, tx, params)
}

// respond delivers an authorization response in the transaction's response mode. The state is
// carried as it was received: url.Values encoding is reversed exactly by the client's decoding.
func (h *Handler) respond(w http.ResponseWriter, r *http.Request, tx *domain.LoginTransaction, params url.Values) {
	hdr := w.Header()
	hdr.Set("Cache-Control", "no-store")
	hdr.Set("Pragma", "no-cache")
	switch tx.ResponseMode {
	case ModeFormPost:
		h.formPost(w, r, tx.RedirectURI, params)
	case ModeFragment:
		hdr.Set("Location", tx.RedirectURI+"#"+params.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		hdr.Set("Location", AppendQuery(tx.RedirectURI, params))
		w.WriteHeader(http.StatusFound)
	}
}

// AppendQuery adds params to raw's query (RFC 6749 §4.1.2: the redirect URI's own query is retained)
// without decoding and re-encoding what raw already carries.
func AppendQuery(raw string, params url.Values) string {
	base, frag, hasFrag := strings.Cut(raw, "#")
	sep := "?"
	if strings.Contains(base, "?") {
		sep = "&"
		if strings.HasSuffix(base, "?") || strings.HasSuffix(base, "&") {
			sep = ""
		}
	}
	out := base + sep + params.Encode()
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// formPost renders the OAuth 2.0 Form Post Response Mode page (§2). Its CSP lets the form go only to
// the redirect URI's origin and the one submit script run only with this response's nonce.
func (h *Handler) formPost(w http.ResponseWriter, r *http.Request, redirectURI string, params url.Values) {
	target, ok := httpserver.FormActionSource(redirectURI)
	if !ok {
		h.internalError(w, r, errFormPostTarget)
		return
	}
	nonce := web.NewNonce()
	w.Header().Set("Content-Security-Policy", "default-src 'none'; script-src 'nonce-"+nonce+"'; style-src 'self'; "+
		"img-src 'self' data:; form-action "+target+"; base-uri 'none'; frame-ancestors 'none'")
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	fields := make([]web.FormField, 0, len(keys))
	for _, k := range keys {
		fields = append(fields, web.FormField{Name: k, Value: params.Get(k)})
	}
	base := h.base(r.Context())
	base.Nonce = nonce
	h.render(r.Context(), w, http.StatusOK, web.PageFormPost, web.FormPostData{Base: base, Action: redirectURI, Fields: fields})
}

type constError string

func (e constError) Error() string { return string(e) }

const errFormPostTarget = constError("authorize: redirect_uri cannot be a form_post target")
