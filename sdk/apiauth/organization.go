package apiauth

import (
	"slices"
	"strings"
)

// Organization returns the token's Auth0 organization: "org_id", and "org_name" where the tenant
// puts names in tokens; "" for a token issued outside an organization.
func (c *Claims) Organization() (id, name string) {
	raw := c.Raw()
	id, _ = raw["org_id"].(string)
	name, _ = raw["org_name"].(string)
	return id, name
}

// RequireOrganization accepts only a token issued through an organization (Auth0's "org_id"
// claim), as Auth0 asks APIs shared by several organizations to check. With arguments the token
// must be for one of them: an id (org_…) is compared with "org_id", a name with "org_name" (Auth0
// issues names in lower case). Failure: 401 invalid_token, "Missing 'org_id' claim" or
// "Unexpected 'org_id' value" (the words of express-oauth2-jwt-bearer's claim checks).
//
// It says nothing about what the user may do inside the organization; combine it with
// RequiredPermissions, which Auth0 fills from the member's roles in that organization.
func RequireOrganization(orgs ...string) Check {
	want := slices.Clone(orgs)
	return func(c *Claims) error {
		id, name := c.Organization()
		if id == "" {
			return InvalidToken("Missing 'org_id' claim")
		}
		if len(want) == 0 {
			return nil
		}
		for _, w := range want {
			if strings.HasPrefix(w, "org_") && w == id || name != "" && strings.ToLower(w) == name {
				return nil
			}
		}
		return InvalidToken("Unexpected 'org_id' value")
	}
}
