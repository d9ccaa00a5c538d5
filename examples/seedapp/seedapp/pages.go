package seedapp

import (
	"bytes"
	"embed"
	"html/template"
	"net/http"

	"github.com/gatehouse/gatehouse/sdk/webauth"
)

//go:embed templates/*.html
var templateFS embed.FS

// staticFS holds static/style.css, served as /static/style.css.
//
//go:embed static
var staticFS embed.FS

// pages holds one template set per page, each with the shared layout, parsed at start-up so a
// broken template fails the build's tests rather than a request.
var pages = func() map[string]*template.Template {
	m := map[string]*template.Template{}
	for _, name := range []string{"home", "dashboard", "settings", "admin", "unauthorized", "notfound"} {
		m[name] = template.Must(template.New("layout.html").Funcs(template.FuncMap{
			"initial": initial,
		}).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html"))
	}
	return m
}()

// pageData is what every page sees.
type pageData struct {
	User    webauth.User // nil when signed out
	Roles   []string
	IsAdmin bool
	// OrgID and OrgName are the organization the user signed in through ("" for none).
	OrgID, OrgName string
	Path           string
	Records        []Record
	SignedIn       bool
}

func (a *webApp) render(w http.ResponseWriter, r *http.Request, status int, name string, records []Record) {
	d := pageData{Path: r.URL.Path, Records: records}
	if s, ok := webauth.SessionFrom(r.Context()); ok {
		d.User, d.SignedIn = s.User, true
		d.Roles = s.User.Strings(RolesClaim)
		d.IsAdmin = s.User.HasString(RolesClaim, "admin")
		d.OrgID, d.OrgName = s.User.String(OrgIDClaim), s.User.String(OrgNameClaim)
	}
	var buf bytes.Buffer
	if err := pages[name].Execute(&buf, d); err != nil {
		a.log.ErrorContext(r.Context(), "render page", "page", name, "err", err)
		http.Error(w, "Internal Server Error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	// Pages show personal data: no shared caches, no back-button copy after logout.
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// initial is the first letter of a name, for the avatar placeholder.
func initial(s string) string {
	for _, r := range s {
		return string(r)
	}
	return "?"
}
