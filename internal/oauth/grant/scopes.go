package grant

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// OIDCScopes are granted to users whatever the API's policy: they select ID token and /userinfo
// claims and the refresh token, not API permissions.
var OIDCScopes = map[string]bool{
	"openid": true, "profile": true, "email": true, "offline_access": true, "address": true, "phone": true,
}

// ScopeInput is what the scope decision of one token depends on.
type ScopeInput struct {
	// Requested scopes, in request order.
	Requested []string
	// API is the audience; nil for a userinfo-only token.
	API *domain.ResourceServer
	// Held are the permissions the subject holds on the API: the user's (store.UserPermissionNames)
	// for a user token, the client grant's scopes for client credentials. Read only under RBAC for
	// users; always for machines.
	Held []string
	// Machine: a client-credentials token (no OIDC scopes; the caller has already refused requested
	// scopes outside the grant).
	Machine bool
}

// ScopeResult is the granted scope and the `permissions` claim.
type ScopeResult struct {
	Scopes      []string
	Permissions []string // nil when the API does not want the claim
}

// Scope returns the space-separated scope.
func (r ScopeResult) Scope() string { return strings.Join(r.Scopes, " ") }

// NeedsHeld reports whether ResolveScopes needs the user's permissions for api: only under RBAC
// (enforce_policies), so that APIs without it cost no permission query.
func NeedsHeld(api *domain.ResourceServer) bool { return api != nil && api.EnforcePolicies }

// ResolveScopes applies Auth0's RBAC rule (spec §2.3, [DOC:Enable Role-Based Access Control for
// APIs]) for every grant:
//   - OIDC scopes requested by a user are granted;
//   - API permissions: without enforce_policies any permission the API defines may be requested and
//     is granted; with it, only those the subject holds (requested ∩ defined ∩ held);
//   - unknown scopes are dropped;
//   - machines: all held (client grant) scopes when none requested, else requested ∩ held;
//   - the permissions claim, when the API wants it, lists everything held on the API, whatever was
//     requested.
func ResolveScopes(in ScopeInput) ScopeResult {
	var out ScopeResult
	if in.Machine {
		if len(in.Requested) == 0 {
			out.Scopes = append([]string(nil), in.Held...)
		} else {
			out.Scopes = intersect(in.Requested, func(s string) bool { return contains(in.Held, s) })
		}
	} else {
		out.Scopes = make([]string, 0, len(in.Requested))
		seen := make(map[string]bool, len(in.Requested))
		for _, s := range in.Requested {
			if seen[s] {
				continue
			}
			seen[s] = true
			switch {
			case OIDCScopes[s]:
				out.Scopes = append(out.Scopes, s)
			case in.API == nil || !in.API.HasScope(s):
			case !in.API.EnforcePolicies || contains(in.Held, s):
				out.Scopes = append(out.Scopes, s)
			}
		}
	}
	if in.API != nil && in.API.WantsPermissionsClaim() {
		out.Permissions = append([]string{}, in.Held...)
	}
	return out
}

func intersect(list []string, keep func(string) bool) []string {
	out := make([]string, 0, len(list))
	for i, s := range list {
		if keep(s) && !contains(list[:i], s) {
			out = append(out, s)
		}
	}
	return out
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Fields splits a space-separated scope (RFC 6749 §3.3).
func Fields(scope string) []string { return strings.Fields(scope) }
