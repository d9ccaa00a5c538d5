package protocol

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Web message response mode, as Auth0 answers it and auth0-spa-js reads it (its runIframe and
// runPopup): the response is a page whose one script posts
//
//	{type: "authorization_response", response: {code, state} | {error, error_description, state}}
//
// to window.opener (a popup) or window.parent (the hidden iframe of getTokenSilently), with the
// redirect URI's origin as targetOrigin. The SDK ignores any message whose origin is not the
// issuer's or whose type differs. Gatehouse answers the mode only when that origin is on the
// client's Allowed Web Origins, and never posts to "*": the message carries a code.

// WebMessageType is the `type` of the message the page posts.
const WebMessageType = "authorization_response"

// originHost is what may stand between "//" and the end of an origin that goes into a CSP
// directive and a script: a lower-case DNS name or IPv4 address, or a bracketed IPv6 address, and
// an optional port. Anything else (non-ASCII, quotes, spaces, semicolons) has no origin here.
var originHost = regexp.MustCompile(`^(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$`)

// Origin serialises raw's origin as a browser does (RFC 6454 §6.2): scheme "://" host [":" port],
// scheme and host lower-cased, the scheme's default port dropped. Only http and https URLs without
// user information have one; anything else gives "".
func Origin(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Opaque != "" || u.User != nil || u.Host == "" {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if scheme != "https" && scheme != "http" {
		return ""
	}
	host := strings.ToLower(u.Host)
	switch {
	case scheme == "https" && strings.HasSuffix(host, ":443"):
		host = strings.TrimSuffix(host, ":443")
	case scheme == "http" && strings.HasSuffix(host, ":80"):
		host = strings.TrimSuffix(host, ":80")
	}
	if !originHost.MatchString(host) || strings.HasSuffix(host, ":") {
		return ""
	}
	return scheme + "://" + host
}

// WebMessageTarget returns the origin a web_message response for redirectURI is posted to, or the
// refusal shown on Gatehouse's own page (nothing may be posted) when that origin is not one of
// c's Allowed Web Origins. Origins are compared as browsers compare them: serialised, then equal.
func WebMessageTarget(c *domain.Client, redirectURI string) (string, *Error) {
	origin := Origin(redirectURI)
	if origin != "" && c != nil {
		for _, w := range c.WebOrigins {
			if Origin(w) == origin {
				return origin, nil
			}
		}
	}
	shown := origin
	if shown == "" {
		shown = Truncate(redirectURI, 128)
	}
	return "", &Error{
		Status: http.StatusBadRequest, Code: "invalid_request", Heading: "Origin not allowed.",
		Description: "The origin \"" + shown + "\" is not in the application's Allowed Web Origins.",
		Details:     []string{"response_mode=web_message posts the response to the redirect_uri's origin, which must be listed in the Allowed Web Origins of the Application Settings."},
	}
}

// WebMessageResponse is the `response` member of the message: the authorization response's
// fields, by name.
func WebMessageResponse(fields []FormField) map[string]string {
	out := make(map[string]string, len(fields))
	for _, f := range fields {
		out[f.Name] = f.Value
	}
	return out
}

// WebMessageCSP is the page's Content-Security-Policy: nothing loads but the page's stylesheets,
// the one script runs only with nonce, and only targetOrigin (already serialised by Origin) may
// frame the page.
func WebMessageCSP(targetOrigin, nonce string) string {
	return "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'self'; img-src 'self' data:; " +
		"base-uri 'none'; form-action 'none'; frame-ancestors " + targetOrigin
}
