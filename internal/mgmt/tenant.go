package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// tenant serves /tenants/settings.
type tenant struct {
	tenant store.TenantStore
	apis   store.ResourceServerStore // the default audience must be an API's identifier
}

func (h *Handler) tenantRoutes() []route {
	g := &tenant{tenant: h.st, apis: h.st}
	return append([]route{
		{method: "GET", path: "/tenants/settings", scopes: []string{"read:tenant_settings"}, fn: g.get},
		{method: "PATCH", path: "/tenants/settings", scopes: []string{"update:tenant_settings"}, desc: "Update tenant settings", fn: g.update},
	}, g.brandingRoutes()...)
}

// settingsView is the settings as /tenants/settings shows them: without the branding, which has
// its own endpoint (and scopes) as in Auth0.
func settingsView(s domain.TenantSettings) domain.TenantSettings {
	s.Branding = nil
	return s
}

// tenantBody is the writable part of the tenant settings; `flags` is merged key by key, as Auth0
// does, every other field replaced.
type tenantBody struct {
	FriendlyName      *string   `json:"friendly_name"`
	PictureURL        *string   `json:"picture_url"`
	SupportEmail      *string   `json:"support_email"`
	SupportURL        *string   `json:"support_url"` // accepted; not kept
	DefaultAudience   *string   `json:"default_audience"`
	DefaultDirectory  *string   `json:"default_directory"`
	AllowedLogoutURLs *[]string `json:"allowed_logout_urls"`
	SessionLifetime   *float64  `json:"session_lifetime"`
	// The same lifetimes in minutes, as Auth0 also takes them (the Deploy CLI sends these).
	SessionLifetimeInMinutes     *float64         `json:"session_lifetime_in_minutes"`
	IdleSessionLifetimeInMinutes *float64         `json:"idle_session_lifetime_in_minutes"`
	IdleSessionLifetime          *float64         `json:"idle_session_lifetime"`
	EnabledLocales               *[]string        `json:"enabled_locales"`
	Flags                        *map[string]bool `json:"flags"`
	// LogRetentionDays is Gatehouse's: how long the tenant log keeps an event.
	LogRetentionDays *int `json:"log_retention_days"`
	// AllowOrganizationNameInAuthenticationAPI: /authorize takes organization names, tokens carry org_name.
	AllowOrganizationNameInAuthenticationAPI *bool `json:"allow_organization_name_in_authentication_api"`
	// ActionsAllowedHosts is Gatehouse's: hosts an Action's fetch may reach on a private address.
	ActionsAllowedHosts *[]string `json:"actions_allowed_hosts"`
}

// get shows the settings, limited by `fields` and `include_fields` as Auth0 does (auth0 v7's
// tenants.settings.get sends them).
func (g *tenant) get(c *call) (int, any, error) {
	pr, err := c.projection()
	if err != nil {
		return 0, nil, err
	}
	s, err := g.tenant.GetTenantSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	if s.LogRetentionDays == 0 {
		s.LogRetentionDays = domain.DefaultLogRetentionDays // saved before the setting existed
	}
	return http.StatusOK, pr.apply(settingsView(s)), nil
}

func (g *tenant) update(c *call) (int, any, error) {
	var b tenantBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	s, err := g.tenant.GetTenantSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&s.FriendlyName, b.FriendlyName}, {&s.PictureURL, b.PictureURL}, {&s.SupportEmail, b.SupportEmail},
		{&s.DefaultAudience, b.DefaultAudience}, {&s.DefaultDirectory, b.DefaultDirectory}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if b.AllowedLogoutURLs != nil {
		s.AllowedLogoutURLs = *b.AllowedLogoutURLs
	}
	if b.AllowOrganizationNameInAuthenticationAPI != nil {
		s.AllowOrganizationNameInAuthenticationAPI = *b.AllowOrganizationNameInAuthenticationAPI
	}
	if b.ActionsAllowedHosts != nil {
		s.ActionsAllowedHosts = *b.ActionsAllowedHosts
	}
	if b.SessionLifetimeInMinutes != nil {
		s.SessionLifetime = *b.SessionLifetimeInMinutes / 60
	}
	if b.IdleSessionLifetimeInMinutes != nil {
		s.IdleSessionLifetime = *b.IdleSessionLifetimeInMinutes / 60
	}
	if b.SessionLifetime != nil {
		s.SessionLifetime = *b.SessionLifetime
	}
	if b.IdleSessionLifetime != nil {
		s.IdleSessionLifetime = *b.IdleSessionLifetime
	}
	if b.LogRetentionDays != nil {
		if *b.LogRetentionDays < 1 {
			return 0, nil, domain.Invalidf("log_retention_days", "must be between 1 and 3650 days")
		}
		s.LogRetentionDays = *b.LogRetentionDays
	}
	if b.EnabledLocales != nil {
		s.EnabledLocales = *b.EnabledLocales
	}
	if b.Flags != nil {
		if s.Flags == nil {
			s.Flags = map[string]bool{}
		}
		for k, v := range *b.Flags {
			s.Flags[k] = v
		}
	}
	if s.DefaultDirectory != "" && s.DefaultDirectory != domain.DefaultConnection {
		return 0, nil, domain.Invalidf("default_directory", "%q is not a connection; use %s", s.DefaultDirectory, domain.DefaultConnection)
	}
	if s.DefaultAudience != "" {
		if _, err := g.apis.GetResourceServerByIdentifier(c.ctx(), s.DefaultAudience); err != nil {
			return 0, nil, domain.Invalidf("default_audience", "%q is not the identifier of an API", s.DefaultAudience)
		}
	}
	if err := s.Validate(); err != nil {
		return 0, nil, err
	}
	if err := g.tenant.PutTenantSettings(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, settingsView(s), nil
}
