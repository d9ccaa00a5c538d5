package mgmt

import (
	"strings"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// APIPath is the Management API audience relative to the issuer (spec §2.3).
const APIPath = "api/v2/"

// APIName is the built-in API's display name, as Auth0 names it.
const APIName = "Auth0 Management API"

// scopeList is written for reading; Scopes returns each scope once.
const scopeList = `
read:client_grants create:client_grants delete:client_grants update:client_grants
read:users update:users delete:users create:users
read:users_app_metadata update:users_app_metadata delete:users_app_metadata create:users_app_metadata
read:user_custom_blocks create:user_custom_blocks delete:user_custom_blocks create:user_tickets
read:clients update:clients delete:clients create:clients
read:client_keys update:client_keys delete:client_keys create:client_keys
read:client_credentials update:client_credentials delete:client_credentials create:client_credentials
read:client_summary
read:connections update:connections delete:connections create:connections
read:connections_keys update:connections_keys create:connections_keys
read:resource_servers update:resource_servers delete:resource_servers create:resource_servers
read:device_credentials update:device_credentials delete:device_credentials create:device_credentials
read:rules update:rules delete:rules create:rules read:rules_configs update:rules_configs delete:rules_configs
read:hooks update:hooks delete:hooks create:hooks
read:actions update:actions delete:actions create:actions
read:email_provider update:email_provider delete:email_provider create:email_provider
blacklist:tokens read:stats read:insights
read:tenant_settings update:tenant_settings
read:logs read:logs_users
read:shields create:shields update:shields delete:shields
read:anomaly_blocks delete:anomaly_blocks
update:triggers read:triggers
read:grants delete:grants
read:guardian_factors update:guardian_factors read:guardian_enrollments delete:guardian_enrollments
create:guardian_enrollment_tickets
read:user_idp_tokens
create:passwords_checking_job delete:passwords_checking_job
read:custom_domains delete:custom_domains create:custom_domains update:custom_domains
read:email_templates create:email_templates update:email_templates
read:mfa_policies update:mfa_policies
read:roles create:roles delete:roles update:roles
read:prompts update:prompts
read:branding update:branding delete:branding
read:log_streams create:log_streams delete:log_streams update:log_streams
create:signing_keys read:signing_keys update:signing_keys
read:limits update:limits
create:role_members read:role_members delete:role_members
read:entitlements
read:attack_protection update:attack_protection
read:organizations_summary
create:authentication_methods read:authentication_methods update:authentication_methods delete:authentication_methods
read:organizations update:organizations create:organizations delete:organizations
create:organization_members read:organization_members delete:organization_members
create:organization_connections read:organization_connections update:organization_connections delete:organization_connections
create:organization_member_roles read:organization_member_roles delete:organization_member_roles
create:organization_invitations read:organization_invitations delete:organization_invitations
read:scim_config create:scim_config update:scim_config delete:scim_config
create:scim_token read:scim_token delete:scim_token
delete:phone_providers create:phone_providers read:phone_providers update:phone_providers
delete:phone_templates create:phone_templates read:phone_templates update:phone_templates
create:encryption_keys read:encryption_keys update:encryption_keys delete:encryption_keys
read:sessions delete:sessions
read:refresh_tokens delete:refresh_tokens
create:self_service_profiles read:self_service_profiles update:self_service_profiles delete:self_service_profiles
create:sso_access_tickets
read:forms update:forms delete:forms create:forms
read:flows update:flows delete:flows create:flows
read:flows_vault read:flows_vault_connections update:flows_vault_connections delete:flows_vault_connections create:flows_vault_connections
read:flows_executions delete:flows_executions
read:connections_options update:connections_options
read:self_service_profile_custom_texts update:self_service_profile_custom_texts
read:client_credentials
read:current_user update:current_user_identities
create:current_user_metadata update:current_user_metadata delete:current_user_metadata
create:current_user_device_credentials delete:current_user_device_credentials
`

// Scopes returns the Management API v2 permissions, with Auth0's names and in a fixed order, so that
// Management API clients (Terraform, the Auth0 CLI, go-auth0, node-auth0) can ask for the scopes
// they know. The handlers check the subset they implement. Each call returns a new slice.
func Scopes() []string {
	all := strings.Fields(scopeList)
	seen := make(map[string]bool, len(all))
	out := all[:0]
	for _, s := range all {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// APIResourceServer returns the built-in Management API resource server (is_system) for
// issuer, so that startup code can make sure it exists and client grants can name its scopes.
func APIResourceServer(issuer string) *domain.ResourceServer {
	scopes := Scopes()
	rs := &domain.ResourceServer{
		ID:         domain.NewResourceServerID(),
		Name:       APIName,
		Identifier: issuer + APIPath,
		IsSystem:   true,
		Scopes:     make([]domain.Scope, len(scopes)),
	}
	for i, s := range scopes {
		rs.Scopes[i] = domain.Scope{Value: s, Description: managementScopeDescription(s)}
	}
	domain.ApplyResourceServerDefaults(rs)
	return rs
}

// managementScopeDescription reads "read:client_grants" as "Read Client Grants", as Auth0 describes
// its Management API scopes.
func managementScopeDescription(s string) string {
	verb, obj, _ := strings.Cut(s, ":")
	words := strings.Split(obj, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	if verb != "" {
		verb = strings.ToUpper(verb[:1]) + verb[1:]
	}
	return verb + " " + strings.Join(words, " ")
}
