package apiauth

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// A Check is a further rule a validated token must satisfy. It returns nil to
// accept, an *Error to reject with that status and code, or any other error to
// reject with 401 invalid_token whose error_description is the error's text
// (so that text is shown to the client).
type Check func(*Claims) error

// RequiredScopes requires every given scope in the token's "scope" claim, like
// requiredScopes in express-oauth2-jwt-bearer; a scope argument containing
// spaces counts as several. Failure: 403 insufficient_scope naming them all.
func RequiredScopes(scopes ...string) Check {
	want := splitAll(scopes)
	return func(c *Claims) error {
		for _, s := range want {
			if !c.HasScope(s) {
				return InsufficientScope("Insufficient Scope", want...)
			}
		}
		return nil
	}
}

// ScopeIncludesAny requires at least one of the given scopes in "scope", like
// scopeIncludesAny in express-oauth2-jwt-bearer. With no scopes it accepts.
func ScopeIncludesAny(scopes ...string) Check {
	want := splitAll(scopes)
	return func(c *Claims) error {
		if len(want) == 0 || slices.ContainsFunc(want, c.HasScope) {
			return nil
		}
		return InsufficientScope("Insufficient Scope", want...)
	}
}

// RequiredPermissions requires every given permission in Auth0's
// "permissions" array claim (present when the API enables RBAC and "Add
// Permissions in the Access Token"). Failure: 403 insufficient_scope naming
// the permissions, which are scopes of the API.
func RequiredPermissions(perms ...string) Check {
	want := slices.Clone(perms)
	return func(c *Claims) error {
		for _, p := range want {
			if !c.HasPermission(p) {
				return InsufficientScope("Insufficient Permissions", want...)
			}
		}
		return nil
	}
}

// ClaimCheck adapts a function to a Check (claimCheck in the Node SDK). A
// plain error becomes 401 invalid_token with its text as description; return
// InvalidToken or InsufficientScope to choose the answer exactly.
func ClaimCheck(fn func(*Claims) error) Check { return fn }

// ClaimEquals requires claim to be present and equal to want, a JSON primitive
// (string, bool, a number, or nil for JSON null), like claimEquals in the Node
// SDK. Failure: 401 invalid_token "Unexpected '<claim>' value".
func ClaimEquals(claim string, want any) Check {
	w := primitive(want)
	return func(c *Claims) error {
		v, ok := c.Raw()[claim]
		if !ok || v != w {
			return InvalidToken(fmt.Sprintf("Unexpected '%s' value", claim))
		}
		return nil
	}
}

// ClaimIncludes requires claim to contain every value in want, like
// claimIncludes in the Node SDK: the claim is an array, or a string read as a
// space-separated list. Values are JSON primitives as for ClaimEquals.
// Failure: 401 invalid_token "Unexpected '<claim>' value".
func ClaimIncludes(claim string, want ...any) Check {
	ws := make([]any, len(want))
	for i, v := range want {
		ws[i] = primitive(v)
	}
	return func(c *Claims) error {
		var have []any
		switch v := c.Raw()[claim].(type) {
		case string:
			for _, s := range strings.Split(v, " ") {
				have = append(have, s)
			}
		case []any:
			have = v
		}
		for _, w := range ws {
			if !slices.Contains(have, w) {
				return InvalidToken(fmt.Sprintf("Unexpected '%s' value", claim))
			}
		}
		return nil
	}
}

// primitive normalises a Go value to what encoding/json produces for the same
// JSON, so comparisons with Claims.Raw values work. It panics on anything that
// is not a JSON primitive: that is a programming error found at start-up.
func primitive(v any) any {
	switch v := v.(type) {
	case nil, string, bool, float64:
		return v
	case float32:
		return float64(v)
	case int:
		return float64(v)
	case int8:
		return float64(v)
	case int16:
		return float64(v)
	case int32:
		return float64(v)
	case int64:
		return float64(v)
	case uint:
		return float64(v)
	case uint8:
		return float64(v)
	case uint16:
		return float64(v)
	case uint32:
		return float64(v)
	case uint64:
		return float64(v)
	}
	panic(fmt.Sprintf("apiauth: expected value must be a string, number, bool or nil, not %T", v))
}

func splitAll(scopes []string) []string {
	var out []string
	for _, s := range scopes {
		out = append(out, strings.Fields(s)...)
	}
	return out
}

// runChecks applies checks in order and returns the first rejection.
func runChecks(c *Claims, checks []Check) *Error {
	for _, check := range checks {
		if err := check(c); err != nil {
			return asError(err)
		}
	}
	return nil
}

// Require returns middleware applying checks to the claims a Middleware put
// in the request context. Without such claims (Require used outside a
// Middleware, or with CredentialsOptional and no token) it answers 401 without
// an error code. Rejections go through the Middleware's ErrorHandler.
//
//	mux.Handle("GET /api/admin", m.Handler(apiauth.Require(apiauth.RequiredScopes("admin:read"))(admin)))
//
// is the same as m.Handler(admin, apiauth.RequiredScopes("admin:read")).
func Require(checks ...Check) func(http.Handler) http.Handler {
	checks = slices.Clone(checks)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c, ok := ClaimsFrom(r.Context())
			if !ok {
				errorHandlerFrom(r)(w, r, missingToken())
				return
			}
			if e := runChecks(c, checks); e != nil {
				errorHandlerFrom(r)(w, r, e)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

type errorHandlerKey struct{}

// errorHandlerFrom finds the Middleware's error handler: on the claims it
// stored (one context value per request on the hot path), or, for a request
// let through without a token, in its own context value.
func errorHandlerFrom(r *http.Request) func(http.ResponseWriter, *http.Request, *Error) {
	if c, ok := ClaimsFrom(r.Context()); ok && c.onError != nil {
		return c.onError
	}
	if h, ok := r.Context().Value(errorHandlerKey{}).(func(http.ResponseWriter, *http.Request, *Error)); ok {
		return h
	}
	return func(w http.ResponseWriter, _ *http.Request, err *Error) { WriteError(w, err) }
}
