package web_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gatehouse/gatehouse/web"
)

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadEmbedded(t *testing.T) {
	p, err := web.Load("")
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	err = p.Render(w, http.StatusBadRequest, web.PageError, web.ErrorData{
		Base: web.Base{Tenant: "Acme"}, Heading: "Callback URL mismatch.", Code: "invalid_request",
		Description: `<script>alert(1)</script>`,
	})
	if err != nil {
		t.Fatal(err)
	}
	body := w.Body.String()
	if w.Code != http.StatusBadRequest || w.Header().Get("Cache-Control") != "no-store" ||
		!strings.HasPrefix(w.Header().Get("Content-Type"), "text/html") {
		t.Errorf("status %d headers %v", w.Code, w.Header())
	}
	if strings.Contains(body, "<script>alert") || !strings.Contains(body, "&lt;script&gt;") {
		t.Error("description not escaped")
	}
	for _, want := range []string{`lang="en"`, `name="viewport"`, "<svg", "Acme", "Callback URL mismatch.", `aria-live`} {
		if !strings.Contains(body, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(body, "http://") || strings.Contains(body, "https://") {
		t.Error("page references an external asset")
	}
	if got := p.StaticFiles(); strings.Join(got, ",") != "base.css,theme.css,webauthn.js" {
		t.Errorf("static files = %v", got)
	}
}

func TestLoadOverrides(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, filepath.Join(dir, "templates", "logged_out.html"), `{{define "title"}}Bye{{end}}{{define "content"}}<p>Custom bye</p>{{end}}`)
	writeFile(t, filepath.Join(dir, "themes", "brand", "theme.css"), `:root{--primary:#000}`)
	p, err := web.LoadOptions(web.Options{Dir: dir, Theme: "brand"})
	if err != nil {
		t.Fatal(err)
	}
	w := httptest.NewRecorder()
	if err := p.Render(w, 200, web.PageLoggedOut, web.LoggedOutData{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(w.Body.String(), "Custom bye") {
		t.Error("template override not used")
	}
	mux := http.NewServeMux()
	p.Mount(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/u/static/theme.css", nil))
	if rec.Body.String() != `:root{--primary:#000}` || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/css") {
		t.Errorf("theme override not served: %q", rec.Body.String())
	}
	rec = httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/u/static/base.css", nil))
	if rec.Code != 200 {
		t.Error("embedded static file not served with an override dir")
	}
}

func TestLoadFailsFast(t *testing.T) {
	broken := t.TempDir()
	writeFile(t, filepath.Join(broken, "templates", "login.html"), `{{define "content"}}{{.Oops`)
	noContent := t.TempDir()
	writeFile(t, filepath.Join(noContent, "templates", "signup.html"), `{{define "title"}}x{{end}}`)
	tests := []struct {
		name string
		o    web.Options
	}{
		{"missing directory", web.Options{Dir: filepath.Join(t.TempDir(), "nope")}},
		{"unparsable template", web.Options{Dir: broken}},
		{"template without content", web.Options{Dir: noContent}},
		{"unknown theme", web.Options{Theme: "nope"}},
		{"theme path", web.Options{Theme: "../default"}},
	}
	for _, tt := range tests {
		if _, err := web.LoadOptions(tt.o); err == nil {
			t.Errorf("%s: Load succeeded", tt.name)
		}
	}
}
