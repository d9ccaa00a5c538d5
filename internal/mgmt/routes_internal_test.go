package mgmt

import (
	"slices"
	"testing"
)

// wholeRoutes are the routes that accept more than one scope where every one of those scopes covers
// the whole body and the whole response, so they need no field table. Each says why.
var wholeRoutes = map[string]string{
	"GET /users/{id}/roles":                       "the same role list to read:users, read:roles and read:role_members",
	"POST /users/{id}/roles":                      "the body is only the roles to assign, which create:role_members covers",
	"DELETE /users/{id}/roles":                    "the body is only the roles to remove, which delete:role_members covers",
	"GET /roles/{id}/users":                       "the same member list to read:users, read:roles and read:role_members",
	"POST /roles/{id}/users":                      "the body is only the users to assign, which create:role_members covers",
	"POST /keys/signing/rotate":                   "no body; Auth0 accepts either scope for a rotation",
	"GET /logs":                                   "Auth0 documents no field that read:logs_users may not see",
	"GET /logs/{id}":                              "Auth0 documents no field that read:logs_users may not see",
	"GET /jobs/{id}":                              "a job is its id, type, status and date, which both scopes see",
	"GET /jobs/{id}/errors":                       "a failed import row is what its importer sent, which both scopes see",
	"GET /organizations/{id}/members":             "Auth0 lists members to read:organization_members and read:organizations alike",
	"GET /organizations/{id}/enabled_connections": "Auth0 lists enabled connections to read:organization_connections and read:organizations alike",
	"GET /organizations/{id}/invitations":         "Auth0 lists invitations to read:organization_invitations and read:organizations alike",
	"GET /users/{id}/organizations":               "the same organization list to read:users and read:organizations",
}

// Every route that accepts more than one scope has decided field by field: it carries a table, or
// it is listed above. A table names only scopes the route accepts, and each of them covers something.
func TestMultiScopeRoutesDecideFieldByField(t *testing.T) {
	h := New(Options{Issuer: "https://gatehouse.test/"})
	all := h.routes() // every route Mount serves, so a new area cannot be left out
	seen := map[string]bool{}
	for _, rt := range all {
		name := rt.method + " " + rt.path
		if len(rt.scopes) < 2 {
			if rt.fields != nil {
				t.Errorf("%s: one scope needs no field table", name)
			}
			continue
		}
		_, whole := wholeRoutes[name]
		seen[name] = whole
		if whole == (rt.fields != nil) {
			t.Errorf("%s accepts %v: give it a field table or list it in wholeRoutes, not both or neither", name, rt.scopes)
			continue
		}
		if rt.fields == nil {
			continue
		}
		named := slices.Clone(rt.fields.others)
		for field, scopes := range rt.fields.fields {
			if len(scopes) == 0 {
				t.Errorf("%s: no scope may touch %s", name, field)
			}
			named = append(named, scopes...)
		}
		for _, s := range named {
			if !slices.Contains(rt.scopes, s) && !slices.Contains(rt.selfScopes, s) {
				t.Errorf("%s: its table names %s, which the route does not accept", name, s)
			}
		}
		if len(rt.fields.others) == 0 {
			t.Errorf("%s: no scope may touch an unlisted field", name)
		}
	}
	for name := range wholeRoutes {
		if _, ok := seen[name]; !ok {
			t.Errorf("wholeRoutes lists %s, which is not a multi-scope route", name)
		}
	}
}
