package protocol

import (
	"encoding/json"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
)

// NoStore marks a response carrying credentials or an error as not cacheable (RFC 6749 §5.1).
func NoStore(h http.Header) {
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

// WriteJSON writes e as the JSON body of the token endpoint, /userinfo and the HTTP middleware
// (RFC 6749 §5.2): {"error", "error_description"} with e.Status, not cacheable. The cause is the
// caller's to log.
func WriteJSON(w http.ResponseWriter, e *Error) {
	NoStore(w.Header())
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(e.RetryAfter))
	} else if e.Status == http.StatusServiceUnavailable && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", RetryAfterSeconds)
	}
	WriteJSONValue(w, e.Status, struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		MFAToken    string `json:"mfa_token,omitempty"`
	}{e.Code, e.Description, e.MFAToken})
}

// WriteJSONValue writes v as a JSON response with an exact Content-Length.
func WriteJSONValue(w http.ResponseWriter, status int, v any) {
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

// WriteBearerError answers a protected resource request (RFC 6750 §3) with an e.Status challenge
// `Bearer realm="realm"` and e as JSON (the body Auth0 SDKs display). tokenSent false means the
// request carried no credentials: the challenge then names no error (§3.1).
func WriteBearerError(w http.ResponseWriter, realm string, e *Error, tokenSent bool) {
	challenge := `Bearer realm="` + realm + `"`
	if tokenSent {
		challenge += `, error="` + e.Code + `", error_description="` + strings.ReplaceAll(e.Description, `"`, `'`) + `"`
	}
	w.Header().Set("WWW-Authenticate", challenge)
	WriteJSON(w, e)
}

// Response modes (OAuth 2.0 Multiple Response Type Encoding Practices §2.1; Form Post Response Mode
// §2; web_message as Auth0 and auth0-spa-js use it).
const (
	ModeQuery      = "query"
	ModeFragment   = "fragment"
	ModeFormPost   = "form_post"
	ModeWebMessage = "web_message"
)

// FormField is one hidden field of a page that delivers a response.
type FormField struct{ Name, Value string }

// ResponsePage is an authorization response that a hosted page delivers (form_post, and
// web_message: see webmessage.go): the target and the fields, sorted by name.
type ResponsePage struct {
	Mode   string
	Target string
	Fields []FormField
}

// WriteRedirect delivers an authorization response or error (params) to an already validated
// redirectURI in mode (RFC 6749 §4.1.2): query and fragment as a 302, not cacheable. A mode that
// needs a page (form_post, web_message) is handed to page, which renders it. The state
// is carried as it was received: url.Values encoding is reversed exactly by the client's decoding.
func WriteRedirect(w http.ResponseWriter, mode, redirectURI string, params url.Values, page func(ResponsePage)) {
	hdr := w.Header()
	NoStore(hdr)
	switch mode {
	case ModeFormPost, ModeWebMessage:
		keys := make([]string, 0, len(params))
		for k := range params {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		fields := make([]FormField, 0, len(keys))
		for _, k := range keys {
			fields = append(fields, FormField{Name: k, Value: params.Get(k)})
		}
		page(ResponsePage{Mode: mode, Target: redirectURI, Fields: fields})
	case ModeFragment:
		hdr.Set("Location", redirectURI+"#"+params.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		hdr.Set("Location", AppendQuery(redirectURI, params))
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
