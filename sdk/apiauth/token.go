package apiauth

import (
	"net/http"
	"strings"
)

// bearerToken extracts the access token from the Authorization header as
// RFC 6750 §2.1 defines it: `Bearer 1*SP b64token`, scheme case-insensitive
// (RFC 9110 §11.1). Tokens in the query string or form body (§2.2, §2.3) are
// not read: the query is logged by proxies, and §2.3 says not to use it.
//
// No header, or another scheme (Basic, DPoP, ...), means the request lacks
// bearer credentials: 401 without an error code (§3.1). A Bearer header that
// does not carry exactly one well-formed token, or several Authorization
// headers, is malformed: 400 invalid_request.
func bearerToken(r *http.Request) (string, *Error) {
	vals := r.Header.Values("Authorization")
	switch len(vals) {
	case 0:
		return "", missingToken()
	case 1:
	default:
		return "", invalidRequest("more than one Authorization header")
	}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return "", missingToken()
	}
	token := strings.TrimLeft(rest, " ")
	if !isB64Token(token) {
		return "", invalidRequest("malformed Authorization header: expected 'Bearer <token>'")
	}
	return token, nil
}

// isB64Token reports whether s matches RFC 6750 §2.1
// b64token = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"=".
func isB64Token(s string) bool {
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/' {
			continue
		}
		break
	}
	if i == 0 {
		return false
	}
	for ; i < len(s); i++ {
		if s[i] != '=' {
			return false
		}
	}
	return true
}
