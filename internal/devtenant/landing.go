package devtenant

import (
	"bytes"
	_ "embed"
	"html/template"
	"net/http"
	"strings"
	"sync/atomic"
)

//go:embed templates/landing.html
var landingHTML string

var landingTemplate = template.Must(template.New("landing").Parse(landingHTML))

// Landing is the dev tenant's root page: what the banner prints, with the dashboard one click
// away. It holds no secret: client secrets and passwords are shown as where to find them (the
// terminal, dev-tenant.json), because anyone who can connect to the dev port — another user of
// the machine included — could read this page, while dev-tenant.json is readable by its owner
// alone.
type Landing struct {
	page atomic.Pointer[[]byte]
}

// landingData fills templates/landing.html.
type landingData struct {
	F          *File
	TenantPath string
	EnvBlock   string
	AppLogin   string
	HTTP       bool
}

// Set renders the page for f, written at tenantPath; until it is called the root answers 503.
func (l *Landing) Set(f *File, tenantPath string) error {
	where := "see the terminal or " + tenantPath
	env := "AUTH0_SECRET='<printed in the terminal>'\n" +
		"AUTH0_BASE_URL='" + AppOrigin + "'\n" +
		"AUTH0_ISSUER_BASE_URL='" + strings.TrimSuffix(f.Issuer, "/") + "'\n" +
		"AUTH0_CLIENT_ID='" + f.WebApp.ClientID + "'\n" +
		"AUTH0_CLIENT_SECRET='<" + where + ">'\n" +
		"AUTH0_AUDIENCE='" + f.API.Identifier + "'\n"
	var buf bytes.Buffer
	if err := landingTemplate.Execute(&buf, landingData{F: f, TenantPath: tenantPath, EnvBlock: env,
		AppLogin: AppOrigin + "/api/auth/login", HTTP: strings.HasPrefix(f.Issuer, "http://")}); err != nil {
		return err
	}
	b := buf.Bytes()
	l.page.Store(&b)
	return nil
}

func (l *Landing) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p := l.page.Load()
	if p == nil {
		http.Error(w, "the dev tenant is starting", http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(*p)
}
