package mgmt

import "net/http"

// absentRoutes answer the reads of features Gatehouse does not have as Auth0 answers a tenant
// without them, so that tools which read a whole tenant (the Auth0 Deploy CLI's export and import)
// work unchanged: a feature the tenant has none of is an empty list or object; a feature the tenant
// may not use is Auth0's 403 (Rules, Hooks and their configs are refused on tenants created after
// their end of life, with this message). Writes to them stay unknown routes (404).
// promptSettings are Auth0's prompt settings that describe Gatehouse's login page.
var promptSettings = map[string]any{"universal_login_experience": "new", "identifier_first": false, "webauthn_platform_first_factor": false}

func (h *Handler) absentRoutes() []route {
	deprecated := func(*call) (int, any, error) {
		return 0, nil, refuse(http.StatusForbidden, "", "Insufficient privileges to use this deprecated feature")
	}
	emptyList := func(key string) handler {
		return func(c *call) (int, any, error) {
			p, err := c.parsePaging()
			if err != nil {
				return 0, nil, err
			}
			return http.StatusOK, p.list(key, nil, 0), nil
		}
	}
	fixed := func(v any) handler {
		return func(*call) (int, any, error) { return http.StatusOK, v, nil }
	}
	notFound := func(msg string) handler {
		return func(*call) (int, any, error) {
			return 0, nil, refuse(http.StatusNotFound, "inexistent_resource", "%s", msg)
		}
	}
	notEnabled := func(*call) (int, any, error) {
		return 0, nil, refuse(http.StatusForbidden, "feature_not_enabled", "This feature is not enabled for this tenant.")
	}
	return []route{
		// Risk assessment (Adaptive MFA's signals) is off and stays off: reading it is the settings
		// of a tenant without it, writing "enabled": false changes nothing, turning it on is refused.
		{method: "GET", path: "/risk-assessments/settings", scopes: []string{"read:attack_protection"}, fn: fixed(map[string]any{"enabled": false})},
		{method: "PATCH", path: "/risk-assessments/settings", scopes: []string{"update:attack_protection"}, desc: "Update risk assessment settings",
			fn: func(c *call) (int, any, error) {
				var b struct {
					Enabled *bool `json:"enabled"`
				}
				if err := c.decode(&b); err != nil {
					return 0, nil, err
				}
				if b.Enabled != nil && *b.Enabled {
					return notEnabled(c)
				}
				return http.StatusOK, map[string]any{"enabled": false}, nil
			}},
		{method: "GET", path: "/attack-protection/bot-detection", scopes: []string{"read:attack_protection"}, fn: notEnabled},
		{method: "GET", path: "/attack-protection/captcha", scopes: []string{"read:attack_protection"}, fn: notEnabled},
		// Scopes Auth0 names for these (read:token_exchange_profiles, read:event_streams, …) are not in
		// Gatehouse's list; the nearest one a tenant administrator's client holds stands in.
		{method: "GET", path: "/token-exchange-profiles", scopes: []string{"read:tenant_settings"}, fn: notEnabled},
		{method: "GET", path: "/supplemental-signals", scopes: []string{"read:tenant_settings"}, fn: notEnabled},
		{method: "GET", path: "/event-streams", scopes: []string{"read:log_streams"}, fn: fixed(map[string]any{"eventStreams": []any{}})},
		{method: "GET", path: "/rules", scopes: []string{"read:rules"}, fn: deprecated},
		{method: "GET", path: "/rules-configs", scopes: []string{"read:rules_configs"}, fn: deprecated},
		{method: "GET", path: "/hooks", scopes: []string{"read:hooks"}, fn: deprecated},
		{method: "PATCH", path: "/risk-assessments/settings/new-device", scopes: []string{"update:attack_protection"}, desc: "Update risk assessment new device settings",
			fn: func(c *call) (int, any, error) {
				var b struct {
					RememberFor *int `json:"remember_for"`
				}
				if err := c.decode(&b); err != nil {
					return 0, nil, err
				}
				if b.RememberFor != nil && *b.RememberFor != 0 {
					return notEnabled(c)
				}
				return http.StatusOK, map[string]any{"remember_for": 0}, nil
			}},
		{method: "GET", path: "/prompts", scopes: []string{"read:prompts"}, fn: fixed(promptSettings)},
		// The login page Gatehouse serves is the one it has: a body asking for what it already does is
		// accepted and changes nothing; anything else is refused.
		{method: "PATCH", path: "/prompts", scopes: []string{"update:prompts"}, desc: "Update prompts settings",
			fn: func(c *call) (int, any, error) {
				var b map[string]any
				if err := c.decode(&b); err != nil {
					return 0, nil, err
				}
				for k, v := range b {
					if want, ok := promptSettings[k]; !ok || want != v {
						return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "Gatehouse's login page does not support %s=%v", k, v)
					}
				}
				return http.StatusOK, promptSettings, nil
			}},
		{method: "GET", path: "/prompts/{prompt}/custom-text/{language}", scopes: []string{"read:prompts"}, fn: fixed(map[string]any{})},
		{method: "GET", path: "/prompts/{prompt}/partials", scopes: []string{"read:prompts"}, fn: func(*call) (int, any, error) {
			return 0, nil, refuse(http.StatusBadRequest, "", "This feature requires at least one custom domain to be configured for the tenant.")
		}},
		{method: "GET", path: "/prompts/rendering", scopes: []string{"read:prompts"}, fn: emptyList("configs")},
		{method: "GET", path: "/custom-domains", scopes: []string{"read:custom_domains"}, fn: fixed([]any{})},
		{method: "GET", path: "/actions/modules", scopes: []string{"read:actions"}, fn: emptyList("modules")},
		{method: "GET", path: "/forms", scopes: []string{"read:forms"}, fn: emptyList("forms")},
		{method: "GET", path: "/flows", scopes: []string{"read:flows"}, fn: emptyList("flows")},
		{method: "GET", path: "/flows/vault/connections", scopes: []string{"read:flows_vault_connections"}, fn: emptyList("connections")},
		{method: "GET", path: "/self-service-profiles", scopes: []string{"read:self_service_profiles"}, fn: emptyList("self_service_profiles")},
		{method: "GET", path: "/branding/templates/universal-login", scopes: []string{"read:branding"},
			fn: notFound("The Universal Login template does not exist.")},
		{method: "GET", path: "/branding/themes/default", scopes: []string{"read:branding"}, fn: notFound("There is no default theme.")},
		{method: "GET", path: "/branding/phone/providers", scopes: []string{"read:phone_providers"}, fn: fixed(map[string]any{"providers": []any{}})},
		{method: "GET", path: "/branding/phone/templates", scopes: []string{"read:phone_templates"}, fn: fixed(map[string]any{"templates": []any{}})},
	}
}
