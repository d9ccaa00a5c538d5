package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/web"
)

// The branding stylesheet writes only hex colours it parsed, and the login page applies the
// tenant's colours and logo, the logo's origin allowed by the page's CSP and nothing else.
func TestBranding(t *testing.T) {
	p, err := web.Load("")
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	p.Mount(mux)
	css := func(query string) (int, string) {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, web.BrandingPath+"?"+query, nil))
		return rec.Code, rec.Body.String()
	}
	if code, body := css("primary=0059D6&page_background=000"); code != 200 || !strings.Contains(body, ":root { --primary: #0059d6;") ||
		!strings.Contains(body, "--page-bg: #000000;") || !strings.Contains(body, "--primary-text: #ffffff;") {
		t.Errorf("stylesheet: %d %s", code, body)
	}
	if _, body := css("primary=ffeb3b"); !strings.Contains(body, "--primary-text: #14161c;") {
		t.Errorf("text on a light primary: %s", body)
	}
	if _, body := css("primary=red;}body{display:none&page_background=url(x)"); strings.Contains(body, "{") {
		t.Errorf("a value that is not a hex colour reached the stylesheet: %s", body)
	}
	if code, _ := css("primary=000&scope=a}b"); code != http.StatusBadRequest {
		t.Errorf("a bad scope: %d", code)
	}
	if _, body := css("primary=000&scope=brand-preview"); !strings.HasPrefix(strings.SplitN(body, "\n", 2)[1], ".brand-preview {") {
		t.Errorf("scoped stylesheet: %s", body)
	}
	if web.BrandingStylesheet("nope", "", "") != "" {
		t.Errorf("a stylesheet for no valid colour")
	}

	brand := web.NewBrand("https://cdn.yourapp.com/logo.png", "https://icons.yourapp.com/favicon.ico", "#0059d6", "#000000")
	w := httptest.NewRecorder()
	if err := p.Render(w, 200, "login", web.LoginData{Base: web.Base{Tenant: "Acme", Brand: brand}, Action: "/u/login"}); err != nil {
		t.Fatal(err)
	}
	page := w.Body.String()
	if !strings.Contains(page, `<img class="logo-img" src="https://cdn.yourapp.com/logo.png" alt="Acme logo"`) ||
		!strings.Contains(page, `href="/u/branding.css?page_background=000000&amp;primary=0059d6"`) ||
		!strings.Contains(page, `<link rel="icon" href="https://icons.yourapp.com/favicon.ico">`) {
		t.Errorf("branded login page:\n%s", page)
	}
	if csp := w.Header().Get("Content-Security-Policy"); !strings.HasSuffix(csp, "img-src 'self' data: https://cdn.yourapp.com https://icons.yourapp.com") {
		t.Errorf("CSP of a branded page: %q", csp)
	}
	w = httptest.NewRecorder()
	if err := p.Render(w, 200, "login", web.LoginData{Base: web.Base{Tenant: "Acme"}, Action: "/u/login"}); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(w.Body.String(), "branding.css") || strings.Contains(w.Body.String(), "<img") || w.Header().Get("Content-Security-Policy") != "" {
		t.Errorf("an unbranded page carries branding")
	}
}
