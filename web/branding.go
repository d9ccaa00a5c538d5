package web

import (
	"fmt"
	"math"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gatehouse/gatehouse/internal/httpserver"
)

// BrandingPath serves the stylesheet that applies a tenant's branding colours over the theme. The
// colours travel in its query (hex digits only), so it needs no storage, can be cached for good,
// and the dashboard can preview colours not yet saved with the very same stylesheet.
const BrandingPath = "/u/branding.css"

// Brand is the tenant's branding as the pages apply it; the zero Brand is the theme as shipped.
type Brand struct {
	LogoURL    string // absolute https, checked when saved; shown in place of the built-in mark
	FaviconURL string // absolute https, checked when saved
	Stylesheet string // BrandingPath with the colours, "" for none
}

// NewBrand builds the pages' Brand from the saved branding (Auth0's logo_url, favicon_url,
// colors.primary and colors.page_background). Colours that are not #rgb or #rrggbb are ignored.
func NewBrand(logoURL, faviconURL, primary, pageBackground string) Brand {
	b := Brand{LogoURL: logoURL, FaviconURL: faviconURL}
	b.Stylesheet = BrandingStylesheet(primary, pageBackground, "")
	return b
}

// BrandingStylesheet is the URL of the branding stylesheet for these colours, scoped to scope (a
// CSS class; "" for the whole page), or "" when neither colour is valid.
func BrandingStylesheet(primary, pageBackground, scope string) string {
	q := url.Values{}
	if c, ok := hexDigits(primary); ok {
		q.Set("primary", c)
	}
	if c, ok := hexDigits(pageBackground); ok {
		q.Set("page_background", c)
	}
	if len(q) == 0 {
		return ""
	}
	if scope != "" {
		q.Set("scope", scope)
	}
	return BrandingPath + "?" + q.Encode()
}

var cssClass = regexp.MustCompile(`^[a-z][a-z0-9-]{0,39}$`)

var hexOnly = regexp.MustCompile(`^(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$`)

// hexDigits returns the 6 lower-case hex digits of a #rgb or #rrggbb colour (the # optional).
func hexDigits(c string) (string, bool) {
	c = strings.TrimPrefix(c, "#")
	if !hexOnly.MatchString(c) {
		return "", false
	}
	c = strings.ToLower(c)
	if len(c) == 3 {
		c = string([]byte{c[0], c[0], c[1], c[1], c[2], c[2]})
	}
	return c, true
}

// imageOrigins are the origins the page's logo and favicon load from, for its
// Content-Security-Policy.
func (b Base) imageOrigins() []string {
	var out []string
	for _, raw := range []string{b.Brand.LogoURL, b.Brand.FaviconURL} {
		u, err := url.Parse(raw)
		if raw == "" || err != nil || u.Scheme != "https" || u.Host == "" {
			continue
		}
		if o := "https://" + u.Host; len(out) == 0 || out[0] != o {
			out = append(out, o)
		}
	}
	return out
}

// allowLogo lets the page load its tenant's logo and favicon: their origins are added to the img-src of the
// page's policy (the handler's own, or the node's default); a policy without img-src is left alone.
func allowLogo(h http.Header, data any) {
	b, ok := data.(interface{ imageOrigins() []string })
	if !ok {
		return
	}
	origins := b.imageOrigins()
	if len(origins) == 0 {
		return
	}
	o := strings.Join(origins, " ")
	csp := h.Get("Content-Security-Policy")
	if csp == "" {
		csp = httpserver.DefaultContentSecurityPolicy
	}
	parts := strings.Split(csp, ";")
	for i, p := range parts {
		if f := strings.Fields(p); len(f) > 0 && f[0] == "img-src" {
			parts[i] = strings.TrimRight(p, " ") + " " + o
			h.Set("Content-Security-Policy", strings.Join(parts, ";"))
			return
		}
	}
}

// serveBranding writes the colours of the query as CSS custom properties over the theme's.
func serveBranding(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	selector := ":root"
	if s := q.Get("scope"); s != "" {
		if !cssClass.MatchString(s) {
			http.Error(w, "bad scope", http.StatusBadRequest)
			return
		}
		selector = "." + s
	}
	var css strings.Builder
	if c, ok := hexDigits(q.Get("primary")); ok {
		fmt.Fprintf(&css, "--primary: #%s; --primary-hover: #%s; --link: #%s; --focus: #%s; --primary-text: %s; ",
			c, shade(c, 0.82), c, c, textOn(c))
	}
	if c, ok := hexDigits(q.Get("page_background")); ok {
		fmt.Fprintf(&css, "--page-bg: #%s; ", c)
	}
	w.Header().Set("Content-Type", "text/css; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=31536000, immutable")
	if css.Len() == 0 {
		return
	}
	fmt.Fprintf(w, "/* The tenant's branding colours (Management API /branding). */\n%s { %s}\n", selector, css.String())
}

func rgb(c string) (r, g, b float64) {
	n, _ := strconv.ParseUint(c, 16, 32)
	return float64(n >> 16 & 0xff), float64(n >> 8 & 0xff), float64(n & 0xff)
}

// shade darkens c by factor f (hover).
func shade(c string, f float64) string {
	r, g, b := rgb(c)
	return fmt.Sprintf("%02x%02x%02x", int(r*f), int(g*f), int(b*f))
}

// textOn is white or near-black, whichever reads better on c (WCAG relative luminance).
func textOn(c string) string {
	r, g, b := rgb(c)
	lin := func(v float64) float64 {
		v /= 255
		if v <= 0.03928 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	l := 0.2126*lin(r) + 0.7152*lin(g) + 0.0722*lin(b)
	if (1.05)/(l+0.05) >= (l+0.05)/0.05 {
		return "#ffffff"
	}
	return "#14161c"
}
