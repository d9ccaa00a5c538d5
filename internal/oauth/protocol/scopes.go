package protocol

import (
	"slices"
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// IsOIDCScope reports whether scope is one of OpenID Connect's (Core §5.4, §11): they are granted
// to users whatever the API's policy, since they select ID token and /userinfo claims and the
// refresh token, not API permissions.
func IsOIDCScope(scope string) bool {
	switch scope {
	case "openid", "profile", "email", "offline_access", "address", "phone":
		return true
	}
	return false
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
	// ClientGrant, for a user token, is the client's grant on the API when one exists: the user's
	// token never carries more than the client itself was granted there.
	ClientGrant *domain.ClientGrant
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
//   - API permissions for a user: only those a user may hold on the API (on the Management API the
//     *:current_user* scopes alone, domain.ResourceServer.UserMayHold), within the client's grant
//     on the API where one exists, and with enforce_policies only those the user holds;
//   - unknown scopes are dropped;
//   - machines: all held (client grant) scopes when none requested, else requested ∩ held;
//   - the permissions claim, when the API wants it: for a user everything held on the API, whatever
//     was requested; for a machine exactly the scopes of this token.
func ResolveScopes(in ScopeInput) ScopeResult {
	var out ScopeResult
	if in.Machine {
		if len(in.Requested) == 0 {
			out.Scopes = intersect(in.Held, func(string) bool { return true })
		} else {
			out.Scopes = intersect(in.Requested, func(s string) bool { return slices.Contains(in.Held, s) })
		}
		if in.API != nil && in.API.WantsPermissionsClaim() {
			out.Permissions = append([]string{}, out.Scopes...)
		}
		return out
	}
	out.Scopes = intersect(in.Requested, func(s string) bool { return UserMayGet(in, s) })
	if in.API != nil && in.API.WantsPermissionsClaim() {
		out.Permissions = append([]string{}, in.Held...)
	}
	return out
}

// UserMayGet reports whether a token obtained by a user may carry scope under in: an OIDC scope, or
// an API permission a user may hold there, within the client's grant and, under RBAC, held.
func UserMayGet(in ScopeInput, scope string) bool {
	switch {
	case IsOIDCScope(scope):
		return true
	case in.API == nil || !in.API.UserMayHold(scope):
		return false
	case in.ClientGrant != nil && !slices.Contains(in.ClientGrant.Scope, scope):
		return false
	}
	return !in.API.EnforcePolicies || slices.Contains(in.Held, scope)
}

// ActionMayAdd reports whether a post-login Action may add scope to a user's token: Actions override
// RBAC and client grants (spec §2.3), but no Action gives a user a Management API permission beyond
// *:current_user*, which only client credentials may carry.
func ActionMayAdd(api *domain.ResourceServer, scope string) bool {
	return api == nil || !api.IsSystem || IsOIDCScope(scope) || api.UserMayHold(scope)
}

func intersect(list []string, keep func(string) bool) []string {
	out := make([]string, 0, len(list))
	for i, s := range list {
		if keep(s) && !slices.Contains(list[:i], s) {
			out = append(out, s)
		}
	}
	return out
}
