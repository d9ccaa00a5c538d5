package devmail

import (
	"bytes"
	_ "embed"
	"errors"
	"html/template"
	"log/slog"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Path is where the mailbox is served.
const Path = "/dev/mailbox"

//go:embed mailbox.html
var pageHTML string

//go:embed mailbox.css
var pageCSS []byte

var page = template.Must(template.New("mailbox").Funcs(template.FuncMap{
	"when": func(t time.Time) string { return t.Local().Format("Jan 2, 15:04:05") },
}).Parse(pageHTML))

// Handler serves the development mailbox.
type Handler struct {
	Store  store.MailStore
	Tenant string // shown in the header
	Logger *slog.Logger
}

type view struct {
	Tenant   string
	Messages []*domain.DevMail
	Selected *domain.DevMail
	Links    []string
}

// Mount registers the mailbox's routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+Path, h.list)
	mux.HandleFunc("GET "+Path+"/{$}", h.list)
	mux.HandleFunc("GET "+Path+"/mailbox.css", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/css; charset=utf-8")
		_, _ = w.Write(pageCSS)
	})
	mux.HandleFunc("GET "+Path+"/{id}", h.list)
	mux.HandleFunc("GET "+Path+"/{id}/html", h.html)
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	msgs, err := h.Store.ListDevMail(r.Context(), 100)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	v := view{Tenant: h.Tenant, Messages: msgs}
	if id := r.PathValue("id"); id != "" {
		m, err := h.Store.GetDevMail(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			http.NotFound(w, r)
			return
		}
		if err != nil {
			h.fail(w, r, err)
			return
		}
		v.Selected = m
	} else if len(msgs) > 0 {
		v.Selected = msgs[0]
	}
	if v.Selected != nil {
		v.Links = links(v.Selected.Text)
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, v); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// html serves a message's HTML part for the page's frame, sandboxed: the mail gets an opaque origin
// and may style itself and show images, nothing else; its links open only on a user's click.
func (h *Handler) html(w http.ResponseWriter, r *http.Request) {
	m, err := h.Store.GetDevMail(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.fail(w, r, err)
		return
	}
	hd := w.Header()
	hd.Set("Content-Type", "text/html; charset=utf-8")
	hd.Set("Cache-Control", "no-store")
	hd.Set("Content-Security-Policy", "sandbox allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation; "+
		"default-src 'none'; style-src 'unsafe-inline'; img-src data: https:; frame-ancestors 'self'")
	hd.Set("X-Frame-Options", "SAMEORIGIN")
	body := m.HTML
	if body == "" {
		body = "<pre>" + template.HTMLEscapeString(m.Text) + "</pre>"
	}
	_, _ = w.Write([]byte(body))
}

func (h *Handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	if h.Logger != nil {
		h.Logger.ErrorContext(r.Context(), "dev mailbox", "err", err)
	}
	http.Error(w, "Internal error", http.StatusInternalServerError)
}

var linkRE = regexp.MustCompile(`https?://[^\s<>"')]+`)

// links returns the distinct http(s) links of a text part, in order: what a newcomer came to click.
func links(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, l := range linkRE.FindAllString(text, 20) {
		l = strings.TrimRight(l, ".,;:")
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	return out
}
