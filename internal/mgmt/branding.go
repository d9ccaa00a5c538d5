package mgmt

import (
	"encoding/json"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
)

// brandingRoutes serve /branding (Auth0's shape: colors{primary, page_background}, logo_url,
// favicon_url, font{url}). The branding is kept in the tenant's settings document; the hosted pages
// read it from there.
func (g *tenant) brandingRoutes() []route {
	return []route{
		{method: "GET", path: "/branding", scopes: []string{"read:branding"}, fn: g.getBranding},
		{method: "PATCH", path: "/branding", scopes: []string{"update:branding"}, desc: "Update branding settings", fn: g.updateBranding},
	}
}

func brandingView(b *domain.Branding) any {
	if b == nil {
		return map[string]any{}
	}
	return b
}

func (g *tenant) getBranding(c *call) (int, any, error) {
	s, err := g.tenant.GetTenantSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, brandingView(s.Branding), nil
}

// brandingBody keeps each field raw, so that null (clear it) differs from absent (keep it).
type brandingBody struct {
	Colors     json.RawMessage `json:"colors"`
	LogoURL    json.RawMessage `json:"logo_url"`
	FaviconURL json.RawMessage `json:"favicon_url"`
	Font       json.RawMessage `json:"font"`
}

// nullableString reads a string-or-null field into dst; absent leaves dst as it is.
func nullableString(field string, raw json.RawMessage, dst *string) error {
	if raw == nil {
		return nil
	}
	var v *string
	if json.Unmarshal(raw, &v) != nil {
		return domain.Invalidf(field, "must be a string or null")
	}
	*dst = ""
	if v != nil {
		*dst = *v
	}
	return nil
}

func (g *tenant) updateBranding(c *call) (int, any, error) {
	var body brandingBody
	if err := c.decode(&body); err != nil {
		return 0, nil, err
	}
	s, err := g.tenant.GetTenantSettings(c.ctx())
	if err != nil {
		return 0, nil, err
	}
	b := domain.Branding{}
	if s.Branding != nil {
		b = *s.Branding
	}
	if err := nullableString("logo_url", body.LogoURL, &b.LogoURL); err != nil {
		return 0, nil, err
	}
	if err := nullableString("favicon_url", body.FaviconURL, &b.FaviconURL); err != nil {
		return 0, nil, err
	}
	if body.Colors != nil {
		var colors *struct {
			Primary        json.RawMessage `json:"primary"`
			PageBackground json.RawMessage `json:"page_background"`
		}
		if json.Unmarshal(body.Colors, &colors) != nil {
			return 0, nil, domain.Invalidf("colors", "must be an object with primary and page_background, or null")
		}
		if colors == nil {
			b.Colors = nil
		} else {
			next := domain.BrandingColors{}
			if b.Colors != nil {
				next = *b.Colors
			}
			if err := nullableString("colors.primary", colors.Primary, &next.Primary); err != nil {
				return 0, nil, err
			}
			if err := nullableString("colors.page_background", colors.PageBackground, &next.PageBackground); err != nil {
				return 0, nil, err
			}
			b.Colors = &next
		}
	}
	if body.Font != nil {
		var font *struct {
			URL json.RawMessage `json:"url"`
		}
		if json.Unmarshal(body.Font, &font) != nil {
			return 0, nil, domain.Invalidf("font", "must be an object with url, or null")
		}
		b.Font = nil
		if font != nil {
			f := domain.BrandingFont{}
			if err := nullableString("font.url", font.URL, &f.URL); err != nil {
				return 0, nil, err
			}
			if f.URL != "" {
				b.Font = &f
			}
		}
	}
	if b.Colors != nil && *b.Colors == (domain.BrandingColors{}) {
		b.Colors = nil
	}
	if err := b.Validate(); err != nil {
		return 0, nil, err
	}
	s.Branding = &b
	if b == (domain.Branding{}) {
		s.Branding = nil
	}
	if err := g.tenant.PutTenantSettings(c.ctx(), s); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, brandingView(s.Branding), nil
}
