package mgmt

import (
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
)

func (h *Handler) tenantRoutes() []route {
	return []route{
		{method: "GET", path: "/tenants/settings", scopes: []string{"read:tenant_settings"}, fn: h.getTenant},
		{method: "PATCH", path: "/tenants/settings", scopes: []string{"update:tenant_settings"}, desc: "Update tenant settings", fn: h.updateTenant},
	}
}

// tenantBody is the writable part of the tenant settings; `flags` is merged key by key, as Auth0
// does, every other field replaced.
type tenantBody struct {
	FriendlyName        *string          `json:"friendly_name"`
	PictureURL          *string          `json:"picture_url"`
	SupportEmail        *string          `json:"support_email"`
	SupportURL          *string          `json:"support_url"` // accepted; not kept
	DefaultAudience     *string          `json:"default_audience"`
	DefaultDirectory    *string          `json:"default_directory"`
	AllowedLogoutURLs   *[]string        `json:"allowed_logout_urls"`
	SessionLifetime     *float64         `json:"session_lifetime"`
	IdleSessionLifetime *float64         `json:"idle_session_lifetime"`
	EnabledLocales      *[]string        `json:"enabled_locales"`
	Flags               *map[string]bool `json:"flags"`
}

func (h *Handler) getTenant(c *call) {
	s, err := h.st.GetTenantSettings(c.r.Context())
	if err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, s)
}

func (h *Handler) updateTenant(c *call) {
	var b tenantBody
	if !c.decode(&b) {
		return
	}
	s, err := h.st.GetTenantSettings(c.r.Context())
	if err != nil {
		c.fail(err)
		return
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
	if b.SessionLifetime != nil {
		s.SessionLifetime = *b.SessionLifetime
	}
	if b.IdleSessionLifetime != nil {
		s.IdleSessionLifetime = *b.IdleSessionLifetime
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
		c.invalid("default_directory", "%q is not a connection; use %s", s.DefaultDirectory, domain.DefaultConnection)
		return
	}
	if s.DefaultAudience != "" {
		if _, err := h.st.GetResourceServerByIdentifier(c.r.Context(), s.DefaultAudience); err != nil {
			c.invalid("default_audience", "%q is not the identifier of an API", s.DefaultAudience)
			return
		}
	}
	if err := s.Validate(); err != nil {
		c.fail(err)
		return
	}
	if err := h.st.PutTenantSettings(c.r.Context(), s); err != nil {
		c.fail(err)
		return
	}
	c.json(http.StatusOK, s)
}
