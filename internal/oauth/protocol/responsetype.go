package protocol

import (
	"net/http"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// Response types /authorize answers (OAuth 2.0 Multiple Response Type Encoding Practices §5, OpenID
// Connect Core §3.2, §3.3). code is every client's; id_token and code id_token (implicit and hybrid)
// only a client's that enables the implicit grant. Nothing with token is ever answered: Gatehouse
// does not hand access tokens to the front channel (RFC 9700 §2.1.2).
const (
	ResponseCode        = "code"
	ResponseIDToken     = "id_token"
	ResponseCodeIDToken = "code id_token"
)

// ResponseType reads a response_type value (space-separated, in any order, RFC 6749 §3.1.1) into
// one of the three above, and reports whether it includes a code and an ID token.
func ResponseType(raw string) (rt string, code, idToken bool, e *Error) {
	var token bool
	for _, f := range strings.Fields(raw) {
		seen := false
		switch f {
		case "code":
			seen, code = code, true
		case "id_token":
			seen, idToken = idToken, true
		case "token":
			seen, token = token, true
		default:
			return "", false, false, NewError(http.StatusBadRequest, "unsupported_response_type", "Unsupported response type: "+Truncate(f, 64))
		}
		if seen {
			return "", false, false, InvalidRequest("response_type lists %s twice", f)
		}
	}
	switch {
	case token:
		return "", false, false, NewError(http.StatusBadRequest, "unsupported_response_type",
			"response_type token is not supported: access tokens are never returned from /authorize; use response_type=code")
	case code && idToken:
		return ResponseCodeIDToken, true, true, nil
	case code:
		return ResponseCode, true, false, nil
	case idToken:
		return ResponseIDToken, false, true, nil
	}
	return "", false, false, MissingParameter("response_type")
}

// ImplicitAllowed refuses an ID token from /authorize to a client that has not enabled the implicit
// grant (its grant types): nothing is issued in the front channel unless the client opted in.
func ImplicitAllowed(c *domain.Client, idToken bool) *Error {
	if idToken && !c.HasGrant(domain.GrantImplicit) {
		return NewError(http.StatusBadRequest, "unauthorized_client",
			"The client is not allowed to receive an id_token from /authorize: enable the implicit grant type in its settings, or use response_type=code")
	}
	return nil
}

// DefaultResponseMode is the mode of a response type when the request names none: fragment when it
// carries an ID token (OAuth 2.0 Multiple Response Type Encoding Practices §5), query for a code.
func DefaultResponseMode(idToken bool) string {
	if idToken {
		return ModeFragment
	}
	return ModeQuery
}
