package domain

import (
	"net/url"
	"regexp"
	"strings"
)

// Branding is how the hosted pages look (Auth0's /api/v2/branding): the primary colour of buttons
// and links, the page background, the logo, the favicon and a font. It is kept in the tenant's
// settings document and shown by the Management API only at /branding.
type Branding struct {
	Colors     *BrandingColors `json:"colors,omitempty"`
	LogoURL    string          `json:"logo_url,omitempty"`
	FaviconURL string          `json:"favicon_url,omitempty"`
	Font       *BrandingFont   `json:"font,omitempty"`
}

// BrandingColors are CSS hex colours, #rgb or #rrggbb.
type BrandingColors struct {
	Primary        string `json:"primary,omitempty"`
	PageBackground string `json:"page_background,omitempty"`
}

// BrandingFont is the URL of a font file.
type BrandingFont struct {
	URL string `json:"url,omitempty"`
}

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// IsHexColor reports whether s is #rgb or #rrggbb: the only colours branding accepts, so that a
// colour can be written into a stylesheet as it is.
func IsHexColor(s string) bool { return hexColor.MatchString(s) }

// Validate checks the colours and that every URL is an absolute https URL (Auth0's
// strict-https-uri).
func (b *Branding) Validate() error {
	var errs Errors
	if c := b.Colors; c != nil {
		if c.Primary != "" && !IsHexColor(c.Primary) {
			errs.add(Invalidf("colors.primary", "must be a hex colour such as #0059d6"))
		}
		if c.PageBackground != "" && !IsHexColor(c.PageBackground) {
			errs.add(Invalidf("colors.page_background", "must be a hex colour such as #000000"))
		}
	}
	for _, f := range []struct{ field, value string }{{"logo_url", b.LogoURL}, {"favicon_url", b.FaviconURL}, {"font.url", b.fontURL()}} {
		if f.value != "" && !strictHTTPS(f.value) {
			errs.add(Invalidf(f.field, "must be an absolute https URL"))
		}
	}
	return errs.Err()
}

func (b *Branding) fontURL() string {
	if b.Font == nil {
		return ""
	}
	return b.Font.URL
}

// strictHTTPS accepts an absolute https URL with a host, no credentials and no spaces or quotes.
func strictHTTPS(s string) bool {
	if len(s) > 2048 || strings.ContainsAny(s, " \t\r\n\"'<>\\") {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme == "https" && u.Host != "" && u.User == nil
}

// BrandingParts returns the logo and favicon URLs and the two colours of the tenant's branding (""
// for unset): what the hosted pages apply.
func (t TenantSettings) BrandingParts() (logoURL, faviconURL, primary, pageBackground string) {
	if t.Branding == nil {
		return "", "", "", ""
	}
	if c := t.Branding.Colors; c != nil {
		primary, pageBackground = c.Primary, c.PageBackground
	}
	return t.Branding.LogoURL, t.Branding.FaviconURL, primary, pageBackground
}
