package mgmt

import (
	"bytes"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

// fieldScopes is what a route that accepts more than one scope lets each scope change, or for a
// read, see. Auth0 gives such routes a broad scope and one or more narrow ones
// (update:users_app_metadata changes only app_metadata; update:client_keys only a client's keys;
// read:client_summary sees a summary), so passing the route's "any one of" check is not enough: each
// top-level field present in the body needs one of the scopes that may change it, and each field of
// the response one of the scopes that may read it.
//
// A route without a table is one whose scopes all cover its whole body and response; the route
// table test holds the list of those, so a new multi-scope route cannot be added without deciding
// which it is.
type fieldScopes struct {
	// fields maps a top-level body field to the scopes that may change it.
	fields map[string][]string
	// others are the scopes that may change every field fields does not list.
	others []string
}

// scopesFor returns the scopes that may change field.
func (fs *fieldScopes) scopesFor(field string) []string {
	if s, ok := fs.fields[field]; ok {
		return s
	}
	return fs.others
}

// denied returns, for each set of scopes the caller lacks all of, the body fields that need it, in a
// stable order. raw is a body that has already been decoded as a JSON object. A field counts when
// it is present, whatever its value: `null` unsets a field in Auth0's PATCH, which is a change too.
func (fs *fieldScopes) denied(raw []byte, have []string) (missing []string, fieldsByScopes map[string][]string) {
	var body map[string]json.RawMessage
	if len(bytes.TrimSpace(raw)) == 0 || json.Unmarshal(raw, &body) != nil {
		return nil, nil
	}
	fieldsByScopes = map[string][]string{}
	for field := range body {
		want := fs.scopesFor(field)
		if hasAnyScope(have, want) {
			continue
		}
		key := strings.Join(want, ",")
		if _, seen := fieldsByScopes[key]; !seen {
			missing = append(missing, key)
		}
		fieldsByScopes[key] = append(fieldsByScopes[key], field)
	}
	slices.Sort(missing)
	for _, f := range fieldsByScopes {
		slices.Sort(f)
	}
	return missing, fieldsByScopes
}

// checkFieldScopes refuses with 403 insufficient_scope, in the words of the route-level check plus
// the fields concerned, a body that names a field the caller's scopes may not change. It runs after
// the body is decoded and before the handler reads or writes anything.
func (c *call) checkFieldScopes() error {
	if c.fields == nil {
		return nil
	}
	missing, byScopes := c.fields.denied(c.body, c.who.scopes)
	if len(missing) == 0 {
		return nil
	}
	parts := make([]string, len(missing))
	for i, scopes := range missing {
		parts[i] = scopes + " (to change " + strings.Join(byScopes[scopes], ", ") + ")"
	}
	return refuse(http.StatusForbidden, codeInsufficientScope, "Insufficient scope, expected any of: %s", strings.Join(parts, "; "))
}

// visible returns v, a response object, without the top-level fields the caller's scopes may not
// read: the same table, for a read route whose scopes do not all see the whole object.
func (c *call) visible(v any) any {
	if c.fields == nil {
		return v
	}
	return keepFields(v, func(field string) bool { return hasAnyScope(c.who.scopes, c.fields.scopesFor(field)) })
}
