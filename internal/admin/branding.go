package admin

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/web"
)

func (h *Handler) brandingRoutes(mux *http.ServeMux) {
	mux.Handle("GET "+Path+"settings/branding", h.page(h.branding))
	mux.Handle("POST "+Path+"settings/branding", h.page(h.saveBranding))
}

// brandingForm is the login page's branding as typed.
type brandingForm struct {
	LogoURL, Primary, PageBackground string
	PreviewCSS                       string // the hosted pages' branding stylesheet, scoped to the preview
	PreviewLogo                      string // the saved logo: the page's CSP allows its origin
	Tenant                           string
}

type brandingDoc struct {
	Colors *struct {
		Primary        string `json:"primary"`
		PageBackground string `json:"page_background"`
	} `json:"colors"`
	LogoURL string `json:"logo_url"`
}

// previewScope is the class the preview's stylesheet applies to, so that only the preview
// changes colour.
const previewScope = "brand-preview"

func (h *Handler) loadBranding(r *http.Request, v *viewer) (brandingForm, error) {
	var b brandingDoc
	if err := v.api.do(r.Context(), "GET", "branding", nil, &b); err != nil {
		return brandingForm{}, err
	}
	f := brandingForm{LogoURL: b.LogoURL, PreviewLogo: b.LogoURL}
	if b.Colors != nil {
		f.Primary, f.PageBackground = b.Colors.Primary, b.Colors.PageBackground
	}
	var s struct {
		FriendlyName string `json:"friendly_name"`
	}
	if err := v.api.do(r.Context(), "GET", "tenants/settings", nil, &s); err == nil {
		f.Tenant = s.FriendlyName
	}
	return f, nil
}

// renderBranding shows the form and its preview; the page's CSP lets the saved logo load.
func (h *Handler) renderBranding(w http.ResponseWriter, r *http.Request, v *viewer, status int, f brandingForm, flash, problem string) {
	f.PreviewCSS = web.BrandingStylesheet(f.Primary, f.PageBackground, previewScope)
	if u, err := url.Parse(f.PreviewLogo); f.PreviewLogo != "" && err == nil && u.Scheme == "https" && u.Host != "" {
		w.Header().Set("Content-Security-Policy", httpserver.DefaultContentSecurityPolicy+" https://"+u.Host)
	} else {
		f.PreviewLogo = ""
	}
	h.renderSettings(w, r, v, status, "settings_branding", "branding", flash, problem, v.Can("update:branding"), f)
}

func (h *Handler) branding(w http.ResponseWriter, r *http.Request, v *viewer) {
	f, err := h.loadBranding(r, v)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	flash := ""
	if r.URL.Query().Get("saved") == "1" {
		flash = "Branding saved: the login page shows it now."
	}
	h.renderBranding(w, r, v, http.StatusOK, f, flash, "")
}

func (h *Handler) saveBranding(w http.ResponseWriter, r *http.Request, v *viewer) {
	saved, err := h.loadBranding(r, v)
	if err != nil {
		h.apiFailed(w, r, v, err)
		return
	}
	f := brandingForm{LogoURL: strings.TrimSpace(r.PostFormValue("logo_url")), Primary: strings.TrimSpace(r.PostFormValue("primary")),
		PageBackground: strings.TrimSpace(r.PostFormValue("page_background")), PreviewLogo: saved.PreviewLogo, Tenant: saved.Tenant}
	orNull := func(s string) any {
		if s == "" {
			return nil
		}
		return s
	}
	body := map[string]any{"logo_url": orNull(f.LogoURL),
		"colors": map[string]any{"primary": orNull(f.Primary), "page_background": orNull(f.PageBackground)}}
	if err := v.api.do(r.Context(), "PATCH", "branding", body, nil); err != nil {
		if status, msg, ok := h.changeRefused(w, r, v, err); ok {
			h.renderBranding(w, r, v, status, f, "", msg)
		}
		return
	}
	http.Redirect(w, r, Path+"settings/branding?saved=1", http.StatusSeeOther)
}
