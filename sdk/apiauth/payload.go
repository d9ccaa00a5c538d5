package apiauth

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v5"
)

// tokenClaims is what the payload is decoded into. It implements jwt.Claims,
// so golang-jwt's validator checks exp, nbf, iat, iss and aud, and it decodes
// only the members this package reads (Claims.Raw reads the rest on demand).
// That keeps the hot path close to the cost of the RSA signature check: a map
// or jwt.RegisteredClaims costs several times more.
//
// Auth0's own claims (scope, permissions, azp, ...) are read leniently:
// a wrong type reads as absent, so checks on them fail closed instead of
// failing the whole token.
type tokenClaims struct {
	iss, sub                  string
	exp, nbf, iat             numeric
	aud                       jwt.ClaimStrings
	audInvalid                bool // "aud" is neither a string nor an array of strings
	jti, azp, clientID        string
	scope, permissions        []string
	expDate, nbfDate, iatDate jwt.NumericDate // backing store: the getters do not allocate
}

// numeric is an RFC 7519 NumericDate claim: seconds, possibly fractional.
type numeric struct {
	v  float64
	ok bool
}

func (n numeric) time() time.Time {
	if !n.ok {
		return time.Time{}
	}
	sec := int64(n.v)
	return time.Unix(sec, int64((n.v-float64(sec))*1e9))
}

func (n numeric) date(d *jwt.NumericDate) *jwt.NumericDate {
	if !n.ok {
		return nil
	}
	d.Time = n.time()
	return d
}

var _ jwt.Claims = (*tokenClaims)(nil)

func (t *tokenClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return t.exp.date(&t.expDate), nil
}
func (t *tokenClaims) GetNotBefore() (*jwt.NumericDate, error) { return t.nbf.date(&t.nbfDate), nil }
func (t *tokenClaims) GetIssuedAt() (*jwt.NumericDate, error)  { return t.iat.date(&t.iatDate), nil }
func (t *tokenClaims) GetIssuer() (string, error)              { return t.iss, nil }
func (t *tokenClaims) GetSubject() (string, error)             { return t.sub, nil }

// GetAudience returns "aud", a string or an array of strings (RFC 7519 §4.1.3).
func (t *tokenClaims) GetAudience() (jwt.ClaimStrings, error) {
	if t.audInvalid {
		return nil, jwt.ErrInvalidType
	}
	return t.aud, nil
}

var errClaimType = errors.New("a registered claim has an invalid type")

// UnmarshalJSON decodes the payload, which the caller has checked is valid
// JSON (json.Valid, or encoding/json, which validates before calling an
// Unmarshaler). A member name written with escapes sends the payload to
// encoding/json instead, so "\u0065xp" is still read as "exp". Duplicate
// members: the last wins, as in encoding/json. Nothing keeps b.
func (t *tokenClaims) UnmarshalJSON(b []byte) error {
	slow, err := scanObject(b, t.set)
	if err != nil || !slow {
		return err
	}
	return t.decodeSlow(b)
}

// scanObject calls set with each member of the JSON object b, which must be
// valid JSON, so the scan only has to find boundaries. It stops and reports
// slow when a member name contains escapes: the caller then decodes with
// encoding/json.
func scanObject(b []byte, set func(key, val []byte) error) (slow bool, err error) {
	s := jsonScan{b: b}
	s.ws()
	if !s.eat('{') {
		return false, errNotAnObject
	}
	s.ws()
	if s.eat('}') {
		return false, nil
	}
	for {
		key, plain := s.str()
		if !plain {
			return true, nil
		}
		s.ws()
		s.eat(':')
		s.ws()
		if err := set(key, s.value()); err != nil {
			return false, err
		}
		s.ws()
		if !s.eat(',') {
			return false, nil
		}
		s.ws()
	}
}

// set stores one member. Registered claims must have their RFC 7519 types;
// JSON null reads as absent, as encoding/json treats it.
func (t *tokenClaims) set(key []byte, val []byte) error {
	var ok bool
	switch string(key) { // no allocation: the compiler compares in place
	case "iss":
		if t.iss, ok = optString(val); !ok {
			return errClaimType
		}
	case "sub":
		if t.sub, ok = optString(val); !ok {
			return errClaimType
		}
	case "exp":
		if t.exp, ok = optNumeric(val); !ok {
			return errClaimType
		}
	case "nbf":
		if t.nbf, ok = optNumeric(val); !ok {
			return errClaimType
		}
	case "iat":
		if t.iat, ok = optNumeric(val); !ok {
			return errClaimType
		}
	case "aud":
		t.aud, t.audInvalid = nil, false
		switch {
		case len(val) == 0 || string(val) == "null":
		case val[0] == '"':
			as, _ := rawString(val)
			t.aud = jwt.ClaimStrings{as}
		default:
			t.aud, ok = stringArray(val)
			t.audInvalid = !ok
		}
	case "jti":
		t.jti, _ = rawString(val)
	case "azp":
		t.azp, _ = rawString(val)
	case "client_id":
		t.clientID, _ = rawString(val)
	case "scope":
		// RFC 8693 §4.2: space-separated; an array is accepted like the
		// Node SDK's claimIncludes does.
		if sc, isString := rawString(val); isString {
			t.scope = strings.Fields(sc)
		} else {
			t.scope = rawStrings(val)
		}
	case "permissions":
		t.permissions = rawStrings(val)
	}
	return nil
}

// decodeSlow is the encoding/json route for payloads whose member names use
// escapes.
func (t *tokenClaims) decodeSlow(b []byte) error {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return err
	}
	*t = tokenClaims{}
	for k, v := range members {
		if err := t.set([]byte(k), v); err != nil {
			return err
		}
	}
	return nil
}

func optString(val []byte) (string, bool) {
	if string(val) == "null" {
		return "", true
	}
	return rawString(val)
}

func optNumeric(val []byte) (numeric, bool) {
	if string(val) == "null" {
		return numeric{}, true
	}
	if len(val) == 0 || (val[0] != '-' && (val[0] < '0' || val[0] > '9')) {
		return numeric{}, false
	}
	f, err := strconv.ParseFloat(string(val), 64)
	if err != nil {
		return numeric{}, false
	}
	return numeric{v: f, ok: true}, true
}

// jsonScan walks JSON already known to be valid.
type jsonScan struct {
	b []byte
	i int
}

func (s *jsonScan) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *jsonScan) eat(c byte) bool {
	if s.i < len(s.b) && s.b[s.i] == c {
		s.i++
		return true
	}
	return false
}

// str reads a string token and returns its contents; plain is false when it
// contains escapes (the contents are then not the decoded string).
func (s *jsonScan) str() ([]byte, bool) {
	start := s.i + 1
	s.skipString()
	raw := s.b[start : s.i-1]
	return raw, bytes.IndexByte(raw, '\\') < 0
}

// skipString moves past the string starting at s.i.
func (s *jsonScan) skipString() {
	s.i++ // opening quote
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '\\':
			s.i += 2
		case '"':
			s.i++
			return
		default:
			s.i++
		}
	}
}

// value moves past one value and returns its bytes.
func (s *jsonScan) value() []byte {
	start := s.i
	if s.i >= len(s.b) {
		return nil
	}
	switch s.b[s.i] {
	case '"':
		s.skipString()
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				s.skipString()
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
			}
			s.i++
			if depth == 0 {
				break
			}
		}
	default: // number, true, false, null
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case ',', '}', ']', ' ', '\t', '\n', '\r':
				return s.b[start:s.i]
			}
			s.i++
		}
	}
	return s.b[start:s.i]
}

func newClaims(tc *tokenClaims, hdr jwsHeader, token string) *Claims {
	c := &Claims{
		Issuer:          tc.iss,
		Subject:         tc.sub,
		Audience:        tc.aud,
		Scope:           tc.scope,
		Permissions:     tc.permissions,
		AuthorizedParty: tc.azp,
		ID:              tc.jti,
		ExpiresAt:       tc.exp.time(),
		IssuedAt:        tc.iat.time(),
		NotBefore:       tc.nbf.time(),
		Algorithm:       hdr.alg,
		KeyID:           hdr.kid,
		Type:            hdr.typ,
		Token:           token,
	}
	if c.AuthorizedParty == "" {
		c.AuthorizedParty = tc.clientID // RFC 9068 §2.2
	}
	return c
}

// rawString decodes a JSON string, taking the fast path when it holds no
// escapes; ok is false for anything that is not a string.
func rawString(raw []byte) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' {
		return "", false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		return string(raw[1 : len(raw)-1]), true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}

// rawStrings decodes a JSON array keeping its string elements; anything else
// gives nil.
func rawStrings(raw []byte) []string {
	if ss, ok := stringArray(raw); ok {
		return ss
	}
	var vs []any
	if len(raw) == 0 || raw[0] != '[' || json.Unmarshal(raw, &vs) != nil {
		return nil
	}
	out := make([]string, 0, len(vs))
	for _, v := range vs {
		if s, ok := v.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

// stringArray decodes a JSON array of strings. Arrays of plain strings, the
// usual "aud" and "permissions", are split by hand; anything else (escapes,
// other element types) goes through encoding/json, which also reports type
// errors. raw is valid JSON: the payload around it was checked.
func stringArray(raw []byte) ([]string, bool) {
	if len(raw) < 2 || raw[0] != '[' {
		return nil, false
	}
	if bytes.IndexByte(raw, '\\') < 0 && utf8.Valid(raw) {
		s := jsonScan{b: raw, i: 1}
		out := make([]string, 0, bytes.Count(raw, []byte{','})+1)
		for {
			s.ws()
			if s.eat(']') {
				return out, true
			}
			if s.i >= len(raw) || raw[s.i] != '"' {
				break // not a string: let encoding/json report it
			}
			v, _ := s.str()
			out = append(out, string(v))
			s.ws()
			s.eat(',')
		}
	}
	var ss []string
	if err := json.Unmarshal(raw, &ss); err != nil {
		return nil, false
	}
	return ss, true
}
