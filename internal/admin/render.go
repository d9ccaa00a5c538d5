package admin

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
)

//go:embed templates static
var files embed.FS

// layoutData is what every page's layout reads; Data is the page's own.
type layoutData struct {
	Title  string
	Nav    string // the navigation entry to mark current
	Viewer *viewer
	CSRF   string
	Email  string // the signed-in address, on pages without a viewer (no access)
	Flash  string // a success message after a redirect
	Error  string // the API's own message for a failed change
	Data   any
}

// pages holds each page's parser, run on the page's first request: every page carries the layout
// and all the partials, so parsing them all at start kept megabytes of parse trees alive on a node
// whose dashboard may never be opened. The templates are embedded, so whether they parse is settled
// when the binary is built; TestEveryPageParses checks each one.
type pages struct {
	byName map[string]func() (*template.Template, error)
	static map[string][]byte
}

// page returns the parsed page name, parsing it on first use.
func (p *pages) page(name string) (*template.Template, error) {
	parse := p.byName[name]
	if parse == nil {
		return nil, fmt.Errorf("admin: no such page %q", name)
	}
	return parse()
}

var funcs = template.FuncMap{
	"join":  strings.Join,
	"lines": func(list []string) string { return strings.Join(list, "\n") },
	"has": func(list []string, s string) bool {
		for _, v := range list {
			if v == s {
				return true
			}
		}
		return false
	},
}

// loadPages lists the pages and reads the static files; each page is parsed with the layout once,
// on first use.
func loadPages() (*pages, error) {
	p := &pages{byName: map[string]func() (*template.Template, error){}, static: map[string][]byte{}}
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	// A *_fields.html file is a partial (form fields several pages share), parsed with every page.
	partials, err := fs.Glob(files, "templates/*_fields.html")
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		base := strings.TrimSuffix(path.Base(name), ".html")
		if base == "layout" || strings.HasSuffix(base, "_fields") {
			continue
		}
		p.byName[base] = sync.OnceValues(func() (*template.Template, error) {
			t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, append([]string{"templates/layout.html", name}, partials...)...)
			if err != nil {
				return nil, fmt.Errorf("admin: %s: %w", name, err)
			}
			return t, nil
		})
	}
	statics, err := fs.Glob(files, "static/*")
	if err != nil {
		return nil, err
	}
	for _, name := range statics {
		b, err := fs.ReadFile(files, name)
		if err != nil {
			return nil, err
		}
		p.static[path.Base(name)] = b
	}
	return p, nil
}

// render writes page name with status. It renders into a buffer first, so that a template error
// becomes a clean 500 rather than half a page.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, name string, d *layoutData, v *viewer) {
	if d.Viewer == nil {
		d.Viewer = v
	}
	if d.CSRF == "" && v != nil {
		d.CSRF = v.CSRF
	}
	t, err := h.pages.page(name)
	var buf bytes.Buffer
	if err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "dashboard: page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	if err := t.ExecuteTemplate(&buf, "layout", d); err != nil {
		h.opts.Logger.ErrorContext(r.Context(), "dashboard: render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail renders the error page with a message safe to show.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, status int, msg string) {
	h.render(w, r, status, "error", &layoutData{Title: http.StatusText(status), Error: msg}, nil)
}

func (h *Handler) static(w http.ResponseWriter, r *http.Request) {
	b, ok := h.pages.static[r.PathValue("file")]
	if !ok {
		http.NotFound(w, r)
		return
	}
	ct := "application/octet-stream"
	switch path.Ext(r.PathValue("file")) {
	case ".css":
		ct = "text/css; charset=utf-8"
	case ".js":
		ct = "text/javascript; charset=utf-8"
	case ".svg":
		ct = "image/svg+xml"
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Cache-Control", "public, max-age=300")
	_, _ = w.Write(b)
}
