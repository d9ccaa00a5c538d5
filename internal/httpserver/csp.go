package httpserver

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var cspHost = regexp.MustCompile(`^[A-Za-z0-9.\-:\[\]]+$`)

// FormActionSource returns the CSP source expression for a redirect target's origin
// (scheme://host[:port], or scheme: for a custom scheme), refusing anything that could smuggle
// another directive.
func FormActionSource(target string) (string, bool) {
	u, err := url.Parse(target)
	if err != nil {
		return "", false
	}
	source := ""
	switch {
	case (u.Scheme == "https" || u.Scheme == "http") && cspHost.MatchString(u.Host):
		source = u.Scheme + "://" + u.Host
	case u.Scheme != "" && u.Host == "":
		source = u.Scheme + ":"
	}
	if source == "" || strings.ContainsAny(source, "; ,'\"") {
		return "", false
	}
	return source, true
}

// SetFormPageCSP gives a hosted form page (login, signup, logout confirmation) the default policy
// with form-action widened to the origin of target, where a successful submission redirects:
// browsers apply form-action to every redirect that follows a form submission (CSP Level 3
// §6.3.1.1), so that 302 would otherwise be blocked. When target has no usable origin the default
// policy stays, and such a redirect cannot complete in a browser. more are further targets a
// form on the page may redirect to (the identity providers of its "Continue with …" buttons);
// one without a usable origin is left out.
func SetFormPageCSP(w http.ResponseWriter, target string, more ...string) {
	source, ok := FormActionSource(target)
	if !ok {
		return
	}
	for _, m := range more {
		if s, ok := FormActionSource(m); ok && !strings.Contains(" "+source+" ", " "+s+" ") {
			source += " " + s
		}
	}
	w.Header().Set("Content-Security-Policy", "default-src 'self'; base-uri 'none'; object-src 'none'; "+
		"frame-ancestors 'none'; form-action 'self' "+source+"; img-src 'self' data:")
}
