package apiauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"

	"github.com/golang-jwt/jwt/v5"
)

var (
	errMalformed   = errors.New("jwt malformed")
	errAlgorithm   = errors.New("'alg' (Algorithm) Header Parameter value not allowed")
	errCritical    = errors.New("unsupported 'crit' header parameter")
	errBadKID      = errors.New("'kid' header parameter is not a string")
	errNotAnObject = errors.New("payload is not a JSON object")
)

// validate checks one compact JWS access token (RFC 7515 §7.1). The order
// matters: the "alg" allow-list is applied to the header before any key is
// looked up; the signature is verified (golang-jwt's verifier for that alg)
// before the payload is decoded, so only issuer-signed JSON is ever parsed
// beyond the header; the claims are then checked by golang-jwt's validator
// (iss, aud, exp, nbf, iat with leeway).
//
// The compact form is split here instead of by jwt.Parser: the Parser
// decodes the header into a map and scans the payload three times, which
// alone costs a third of an RSA-2048 verification.
func (m *Middleware) validate(ctx context.Context, token string) (*Claims, *Error) {
	st, e := m.issuer(ctx)
	if e != nil {
		return nil, e
	}
	dot1 := strings.IndexByte(token, '.')
	dot2 := strings.LastIndexByte(token, '.')
	if dot1 <= 0 || dot2 == dot1 || strings.IndexByte(token[dot1+1:dot2], '.') >= 0 {
		return nil, invalidToken(errMalformed.Error(), errMalformed)
	}
	headerJSON, err := base64.RawURLEncoding.DecodeString(token[:dot1])
	if err != nil {
		return nil, invalidToken(errMalformed.Error(), err)
	}
	hdr, ok := parseHeader(headerJSON)
	if !ok {
		return nil, invalidToken(errMalformed.Error(), errMalformed)
	}
	method, ok := m.cfg.methods[hdr.alg]
	if !ok {
		return nil, invalidToken(errAlgorithm.Error(), errAlgorithm)
	}
	// RFC 7515 §4.1.11: no extension is understood here, so any "crit"
	// makes the token invalid.
	if hdr.crit {
		return nil, invalidToken(errCritical.Error(), errCritical)
	}
	if hdr.kidInvalid {
		return nil, invalidToken(errBadKID.Error(), errBadKID)
	}
	sig, err := base64.RawURLEncoding.DecodeString(token[dot2+1:])
	if err != nil {
		return nil, invalidToken(errMalformed.Error(), err)
	}

	if hdr.alg == "HS256" {
		// Only reachable with HS256Secret set and HS256 the one algorithm (see Config).
		if err := method.Verify(token[:dot2], sig, m.cfg.HS256Secret); err != nil {
			return nil, invalidToken("signature verification failed", errors.Join(jwt.ErrTokenSignatureInvalid, err))
		}
		return m.checkClaims(st, hdr, token, dot1, dot2)
	}
	seen := st.keys.set.Load()
	key, err := st.keys.key(hdr.kid, hdr.alg)
	if errors.Is(err, errKeyNotFound) {
		// Unknown kid (or no keys yet): refetch once, then look again.
		changed, ferr := st.keys.refetch(ctx, seen)
		if ferr != nil && seen == nil {
			return nil, unavailable(ferr)
		}
		if changed {
			key, err = st.keys.key(hdr.kid, hdr.alg)
		}
	}
	if err != nil {
		return nil, invalidToken(err.Error(), err)
	}
	if err := method.Verify(token[:dot2], sig, key); err != nil {
		return nil, invalidToken("signature verification failed", errors.Join(jwt.ErrTokenSignatureInvalid, err))
	}
	return m.checkClaims(st, hdr, token, dot1, dot2)
}

// checkClaims decodes and validates the payload of a token whose signature has been verified.
func (m *Middleware) checkClaims(st *issuer, hdr jwsHeader, token string, dot1, dot2 int) (*Claims, *Error) {
	payload, err := base64.RawURLEncoding.DecodeString(token[dot1+1 : dot2])
	if err != nil || !json.Valid(payload) {
		return nil, invalidToken(errMalformed.Error(), errMalformed)
	}
	claims := &tokenClaims{}
	if err := claims.UnmarshalJSON(payload); err != nil {
		if errors.Is(err, errNotAnObject) {
			return nil, invalidToken(errMalformed.Error(), err)
		}
		return nil, invalidToken(err.Error(), errors.Join(jwt.ErrInvalidType, err))
	}
	if err := st.validator.Validate(claims); err != nil {
		return nil, claimsError(claims, err)
	}
	if m.cfg.MaxTokenAge > 0 {
		if iat := claims.iat.time(); !claims.iat.ok || m.cfg.Now().Sub(iat) > m.cfg.MaxTokenAge+m.cfg.tolerance {
			return nil, invalidToken("'iat' claim timestamp check failed", jwt.ErrTokenUsedBeforeIssued)
		}
	}
	return newClaims(claims, hdr, token), nil
}

// descriptions maps validator failures, in order of precedence, to the
// invalid_token description the client sees. Wording follows the jose library
// behind the Node SDK, with single quotes because RFC 6750 §3 forbids double
// quotes in error_description.
var descriptions = []struct {
	err  error
	desc string
}{
	{jwt.ErrTokenExpired, "'exp' claim timestamp check failed"},
	{jwt.ErrTokenNotValidYet, "'nbf' claim timestamp check failed"},
	{jwt.ErrTokenUsedBeforeIssued, "'iat' claim timestamp check failed"},
	{jwt.ErrTokenInvalidIssuer, "unexpected 'iss' claim value"},
	{jwt.ErrTokenInvalidAudience, "unexpected 'aud' claim value"},
	{jwt.ErrInvalidType, errClaimType.Error()},
}

// claimsError turns a validator failure into a 401 invalid_token *Error.
func claimsError(claims *tokenClaims, err error) *Error {
	if errors.Is(err, jwt.ErrTokenRequiredClaimMissing) {
		switch {
		case !claims.exp.ok:
			return invalidToken("missing required 'exp' claim", err)
		case claims.iss == "":
			return invalidToken("missing required 'iss' claim", err)
		case len(claims.aud) == 0 || claims.aud[0] == "":
			return invalidToken("missing required 'aud' claim", err)
		}
		return invalidToken("missing required claim", err)
	}
	for _, d := range descriptions {
		if errors.Is(err, d.err) {
			return invalidToken(d.desc, err)
		}
	}
	return invalidToken("Invalid Token", err)
}

// jwsHeader is the part of the JOSE header (RFC 7515 §4.1) this package uses.
type jwsHeader struct {
	alg, kid, typ string
	kidInvalid    bool // "kid" present but not a string
	crit          bool // "crit" present at all
}

// parseHeader decodes the header JSON. A member that is not of its type
// leaves the field empty, which the allow-list then refuses ("alg": 1).
func parseHeader(b []byte) (jwsHeader, bool) {
	var h jwsHeader
	if !json.Valid(b) {
		return h, false
	}
	slow, err := scanObject(b, h.set)
	if err != nil {
		return h, false
	}
	if slow {
		var members map[string]json.RawMessage
		if json.Unmarshal(b, &members) != nil {
			return h, false
		}
		h = jwsHeader{}
		for k, v := range members {
			_ = h.set([]byte(k), v) // never fails
		}
	}
	return h, true
}

func (h *jwsHeader) set(key, val []byte) error {
	switch string(key) {
	case "alg":
		h.alg, _ = rawString(val)
	case "kid":
		h.kid, h.kidInvalid = "", false
		if string(val) != "null" {
			var ok bool
			h.kid, ok = rawString(val)
			h.kidInvalid = !ok
		}
	case "typ":
		h.typ, _ = rawString(val)
	case "crit":
		h.crit = true
	}
	return nil
}
