package protocol_test

import (
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
)

func TestResolveScopes(t *testing.T) {
	plain := &domain.ResourceServer{Identifier: "https://api", TokenDialect: domain.DialectAccessToken,
		Scopes: []domain.Scope{{Value: "read:a"}, {Value: "write:a"}, {Value: "admin:a"}}}
	rbac := &domain.ResourceServer{Identifier: "https://api", EnforcePolicies: true, TokenDialect: domain.DialectAccessToken, Scopes: plain.Scopes}
	rbacClaim := &domain.ResourceServer{Identifier: "https://api", EnforcePolicies: true, TokenDialect: domain.DialectAccessTokenAuthz, Scopes: plain.Scopes}
	rfcClaim := &domain.ResourceServer{Identifier: "https://api", EnforcePolicies: true, TokenDialect: domain.DialectRFC9068ProfileAuthz, Scopes: plain.Scopes}
	mgmtAPI := &domain.ResourceServer{Identifier: "https://t/api/v2/", IsSystem: true, TokenDialect: domain.DialectAccessToken,
		Scopes: []domain.Scope{{Value: "read:users"}, {Value: "update:users"}, {Value: "read:current_user"}, {Value: "update:current_user_metadata"}}}
	webGrant := &domain.ClientGrant{ClientID: "web", Audience: "https://api", Scope: []string{"read:a"}}
	claimNoRBAC := &domain.ResourceServer{Identifier: "https://api", TokenDialect: domain.DialectAccessTokenAuthz, Scopes: plain.Scopes}
	for _, tc := range []struct {
		name      string
		in        protocol.ScopeInput
		scope     string
		perms     string
		withPerms bool
	}{
		{"no API: OIDC scopes only", protocol.ScopeInput{Requested: []string{"openid", "profile", "read:a", "email", "offline_access"}}, "openid profile email offline_access", "", false},
		{"no RBAC: any defined permission", protocol.ScopeInput{Requested: []string{"openid", "read:a", "admin:a", "nope"}, API: plain}, "openid read:a admin:a", "", false},
		{"no RBAC ignores what the user holds", protocol.ScopeInput{Requested: []string{"admin:a"}, API: plain, Held: []string{"read:a"}}, "admin:a", "", false},
		{"RBAC: requested ∩ held", protocol.ScopeInput{Requested: []string{"openid", "read:a", "admin:a"}, API: rbac, Held: []string{"read:a", "write:a"}}, "openid read:a", "", false},
		{"RBAC: nothing held", protocol.ScopeInput{Requested: []string{"openid", "profile", "admin:a"}, API: rbac}, "openid profile", "", false},
		{"RBAC: held but undefined stays out", protocol.ScopeInput{Requested: []string{"gone:a"}, API: rbac, Held: []string{"gone:a"}}, "", "", false},
		{"RBAC with claim: all held permissions", protocol.ScopeInput{Requested: []string{"openid", "read:a"}, API: rbacClaim, Held: []string{"read:a", "write:a"}}, "openid read:a", "read:a write:a", true},
		{"RBAC with claim: empty list when nothing held", protocol.ScopeInput{Requested: []string{"openid"}, API: rbacClaim}, "openid", "", true},
		{"RFC 9068 authz dialect carries the claim", protocol.ScopeInput{Requested: []string{"read:a"}, API: rfcClaim, Held: []string{"read:a"}}, "read:a", "read:a", true},
		{"authz dialect without RBAC: no claim", protocol.ScopeInput{Requested: []string{"read:a"}, API: claimNoRBAC, Held: []string{"read:a"}}, "read:a", "", false},
		{"Management API: a user gets only *:current_user* scopes", protocol.ScopeInput{Requested: []string{"openid", "read:users", "update:users", "read:current_user", "update:current_user_metadata"}, API: mgmtAPI}, "openid read:current_user update:current_user_metadata", "", false},
		{"Management API: holding read:users through RBAC changes nothing", protocol.ScopeInput{Requested: []string{"read:users"}, API: &domain.ResourceServer{Identifier: mgmtAPI.Identifier, IsSystem: true, EnforcePolicies: true, Scopes: mgmtAPI.Scopes}, Held: []string{"read:users"}}, "", "", false},
		{"client grant bounds a user's token", protocol.ScopeInput{Requested: []string{"openid", "read:a", "admin:a"}, API: plain, ClientGrant: webGrant}, "openid read:a", "", false},
		{"client grant and RBAC both bound it", protocol.ScopeInput{Requested: []string{"read:a", "write:a"}, API: rbac, Held: []string{"write:a"}, ClientGrant: webGrant}, "", "", false},
		{"duplicates collapse", protocol.ScopeInput{Requested: []string{"openid", "openid", "read:a", "read:a"}, API: plain}, "openid read:a", "", false},
		{"machine: all granted when none asked", protocol.ScopeInput{API: plain, Held: []string{"read:a", "write:a"}, Machine: true}, "read:a write:a", "", false},
		{"machine: requested ∩ granted", protocol.ScopeInput{Requested: []string{"write:a"}, API: plain, Held: []string{"read:a", "write:a"}, Machine: true}, "write:a", "", false},
		{"machine: no OIDC scopes", protocol.ScopeInput{Requested: []string{"openid", "read:a"}, API: plain, Held: []string{"read:a"}, Machine: true}, "read:a", "", false},
		{"machine with RBAC claim: the token's scopes are its permissions", protocol.ScopeInput{Requested: []string{"read:a"}, API: rbacClaim, Held: []string{"read:a", "write:a"}, Machine: true}, "read:a", "read:a", true},
		{"machine with RBAC claim, nothing requested: the whole grant", protocol.ScopeInput{API: rbacClaim, Held: []string{"read:a", "write:a"}, Machine: true}, "read:a write:a", "read:a write:a", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := protocol.ResolveScopes(tc.in)
			if r.Scope() != tc.scope {
				t.Errorf("scope %q, want %q", r.Scope(), tc.scope)
			}
			if (r.Permissions != nil) != tc.withPerms || strings.Join(r.Permissions, " ") != tc.perms {
				t.Errorf("permissions %#v, want %q (claim %v)", r.Permissions, tc.perms, tc.withPerms)
			}
		})
	}
	if protocol.NeedsHeld(plain) || !protocol.NeedsHeld(rbac) || protocol.NeedsHeld(nil) {
		t.Error("NeedsHeld")
	}
}
