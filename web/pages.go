package web

import (
	"bytes"
	"crypto/rand"
	"embed"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"mime"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed templates static themes
var embedded embed.FS

// Page names: one template file each under templates/, rendered inside templates/layout.html.
const (
	PageLogin     = "login"
	PageSignup    = "signup"
	PageError     = "error"
	PageLoggedOut = "logged_out"
	PageFormPost  = "form_post"
	// PageLogoutConfirm asks the user to confirm a logout no application vouched for.
	PageLogoutConfirm = "logout_confirm"
	// PageWebMessage posts an authorization response to the window that opened or framed it.
	PageWebMessage = "web_message"
	// PageActivate asks for a device's user code; PageDeviceConfirm asks the signed-in user to
	// confirm the device; PageDeviceDone tells the outcome (RFC 8628 §3.3).
	PageActivate      = "activate"
	PageDeviceConfirm = "device_confirm"
	PageDeviceDone    = "device_done"
	// PageResetRequest asks for the address to send a password reset link to.
	PageResetRequest = "reset_request"
	// PageResetPassword is the new-password form a reset link opens.
	PageResetPassword = "reset_password"
	// PageResetNotice is a message with an optional button: link sent, password changed, link invalid.
	PageResetNotice = "reset_notice"
	// PageEmailVerification tells the outcome of an email-verification link.
	PageEmailVerification = "email_verification"
	// PageUnblock asks the user to confirm lifting the brute-force blocks a blocked_account link is for.
	PageUnblock = "unblock"
	// PageMFAOTPEnroll shows a new TOTP key (QR code, otpauth link, manual key) and asks for its
	// first code; PageMFAOTPChallenge asks for a code; PageMFARecoveryChallenge for the recovery
	// code; PageMFARecoveryCode shows a new recovery code, once.
	PageMFAOTPEnroll    = "mfa_otp_enroll"
	PageMFAOTPChallenge = "mfa_otp_challenge"
	// PageMFAEmailChallenge asks for the code mailed to the user's address.
	PageMFAEmailChallenge    = "mfa_email_challenge"
	PageMFARecoveryChallenge = "mfa_recovery_challenge"
	PageMFARecoveryCode      = "mfa_recovery_code"
	// The organization prompts of an application that requires organizations: the organization's
	// name before the login form (pre_login_prompt), a picker after it (post_login_prompt).
	PageOrganizationSelection = "organization_selection"
	PageOrganizationPicker    = "organization_picker"
	// PageMFAWebAuthn enrolls or asks for a security key or platform authenticator;
	// PagePasskeySignup creates the passkey of a new user; PagePasskeys lists a signed-in user's
	// passkeys and adds one.
	PageMFAWebAuthn   = "mfa_webauthn"
	PagePasskeySignup = "passkey_signup"
	PagePasskeys      = "passkeys"
)

// requiredPages are the pages handlers render; Load fails when one is missing.
var requiredPages = []string{PageLogin, PageSignup, PageError, PageLoggedOut, PageFormPost, PageLogoutConfirm,
	PageWebMessage, PageActivate, PageDeviceConfirm, PageDeviceDone, PageResetRequest, PageResetPassword, PageResetNotice,
	PageEmailVerification, PageUnblock, PageMFAOTPEnroll, PageMFAOTPChallenge, PageMFARecoveryChallenge, PageMFARecoveryCode,
	PageOrganizationSelection, PageOrganizationPicker,
	PageMFAWebAuthn, PagePasskeySignup, PagePasskeys,
	PageMFAEmailChallenge, PageAccount}

// StaticPrefix is the URL path static files are served under.
const StaticPrefix = "/u/static/"

// DefaultTheme is the embedded theme used when Options.Theme is empty.
const DefaultTheme = "default"

// Options selects the templates and files Load uses.
type Options struct {
	// Dir overrides embedded files: Dir/templates/<page>.html replaces a template,
	// Dir/static/<file> a static file and Dir/themes/<Theme>/<file> a theme file. Empty means none.
	Dir string
	// Theme names the theme directory (themes/<Theme>/, embedded or under Dir); empty means "default".
	Theme string
}

// Pages is the parsed, ready-to-render set of hosted pages. It is safe for concurrent use.
type Pages struct {
	pages  map[string]*template.Template
	static map[string]staticFile
}

type staticFile struct {
	body        []byte
	contentType string
}

// Load is LoadOptions with the default theme and overrides from themeDir (may be empty).
func Load(themeDir string) (*Pages, error) {
	return LoadOptions(Options{Dir: themeDir})
}

// LoadOptions reads and parses every template and static file once. It fails when a required
// template is missing or invalid, or when the theme exists neither embedded nor under Dir.
func LoadOptions(o Options) (*Pages, error) {
	theme := o.Theme
	if theme == "" {
		theme = DefaultTheme
	}
	if strings.ContainsAny(theme, `/\`) || theme == "." || theme == ".." {
		return nil, fmt.Errorf("web: theme name %q must be a plain directory name", theme)
	}
	var override fs.FS
	if o.Dir != "" {
		st, err := os.Stat(o.Dir)
		if err != nil {
			return nil, fmt.Errorf("web: page directory: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("web: page directory %s is not a directory", o.Dir)
		}
		override = os.DirFS(filepath.Clean(o.Dir))
	}
	p := &Pages{pages: map[string]*template.Template{}, static: map[string]staticFile{}}
	layout, err := readLayered(override, "templates/layout.html")
	if err != nil {
		return nil, err
	}
	for _, name := range requiredPages {
		body, err := readLayered(override, "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		t, err := template.New("layout.html").Parse(string(layout))
		if err != nil {
			return nil, fmt.Errorf("web: templates/layout.html: %w", err)
		}
		if _, err := t.New(name + ".html").Parse(string(body)); err != nil {
			return nil, fmt.Errorf("web: templates/%s.html: %w", name, err)
		}
		for _, block := range []string{"layout", "title", "content"} {
			if t.Lookup(block) == nil {
				return nil, fmt.Errorf("web: templates/%s.html (with layout.html) does not define %q", name, block)
			}
		}
		p.pages[name] = t
	}
	// Static files, later layers winning: embedded static, override static, embedded theme, override theme.
	themeFound := false
	layers := []struct {
		fsys fs.FS
		dir  string
	}{{embedded, "static"}, {override, "static"}, {embedded, "themes/" + theme}, {override, "themes/" + theme}}
	for i, l := range layers {
		if l.fsys == nil {
			continue
		}
		entries, err := fs.ReadDir(l.fsys, l.dir)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("web: %s: %w", l.dir, err)
		}
		if i >= 2 {
			themeFound = true
		}
		for _, e := range entries {
			if e.IsDir() {
				continue
			}
			body, err := fs.ReadFile(l.fsys, l.dir+"/"+e.Name())
			if err != nil {
				return nil, fmt.Errorf("web: %s/%s: %w", l.dir, e.Name(), err)
			}
			ct := staticContentType(path.Ext(e.Name()))
			p.static[e.Name()] = staticFile{body: body, contentType: ct}
		}
	}
	if !themeFound {
		return nil, fmt.Errorf("web: theme %q not found", theme)
	}
	return p, nil
}

// staticTypes are the content types of the files the pages serve. They are looked up here first
// because the mime package, on its first lookup, reads the system's MIME databases into maps that
// stay in memory for the life of the node (about 400 kB) and differ from one machine to another.
var staticTypes = map[string]string{
	".css":   "text/css; charset=utf-8",
	".js":    "text/javascript; charset=utf-8",
	".svg":   "image/svg+xml",
	".png":   "image/png",
	".ico":   "image/vnd.microsoft.icon",
	".woff2": "font/woff2",
	".json":  "application/json",
	".txt":   "text/plain; charset=utf-8",
}

// staticContentType is the content type of a static file by its extension: a theme may bring
// others, which the mime package names.
func staticContentType(ext string) string {
	if ct, ok := staticTypes[strings.ToLower(ext)]; ok {
		return ct
	}
	if ct := mime.TypeByExtension(ext); ct != "" {
		return ct
	}
	return "application/octet-stream"
}

// readLayered returns the override file when it exists, else the embedded one.
func readLayered(override fs.FS, name string) ([]byte, error) {
	if override != nil {
		b, err := fs.ReadFile(override, name)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("web: %s: %w", name, err)
		}
	}
	b, err := fs.ReadFile(embedded, name)
	if err != nil {
		return nil, fmt.Errorf("web: required template %s is missing: %w", name, err)
	}
	return b, nil
}

// Render executes page with data into a buffer and writes it with status, so that a template error
// becomes a 500 instead of half a page. It sets Content-Type and Cache-Control: no-store (pages carry
// per-transaction tokens); other headers (CSP for form_post) are the caller's.
func (p *Pages) Render(w http.ResponseWriter, status int, page string, data any) error {
	t := p.pages[page]
	if t == nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return fmt.Errorf("web: unknown page %q", page)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return fmt.Errorf("web: render %s: %w", page, err)
	}
	h := w.Header()
	allowLogo(h, data)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
	w.WriteHeader(status)
	_, err := w.Write(buf.Bytes())
	return err
}

// StaticFiles lists the names of the static files served under StaticPrefix.
func (p *Pages) StaticFiles() []string {
	out := make([]string, 0, len(p.static))
	for name := range p.static {
		out = append(out, name)
	}
	sort.Strings(out)
	return out
}

// Mount serves the static files at GET /u/static/{name}, and the branding stylesheet.
func (p *Pages) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+BrandingPath, serveBranding)
	mux.HandleFunc("GET "+StaticPrefix+"{name}", func(w http.ResponseWriter, r *http.Request) {
		f, ok := p.static[r.PathValue("name")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", f.contentType)
		w.Header().Set("Cache-Control", "public, max-age=3600")
		_, _ = w.Write(f.body)
	})
}

// NewNonce returns a fresh CSP nonce (128 bits, base64url: CSP3 §2.3.1 base64-value).
func NewNonce() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)                            // crypto/rand.Read never fails on supported platforms (Go ≥ 1.24)
	return base64.RawURLEncoding.EncodeToString(b) // CSP base64-value allows "-" and "_"; nothing to escape in HTML
}
