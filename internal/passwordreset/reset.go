package passwordreset

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"github.com/gatehouse/gatehouse/internal/guard"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/httpserver"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/web"
)

// ChangePasswordPath is auth0-js's changePassword call.
const ChangePasswordPath = "/dbconnections/change_password"

// MsgSent is Auth0's answer to a reset request, whether or not the address has an account.
const MsgSent = "We've just sent you an email to reset your password."

// DefaultRequestFloor is the least time a reset request takes to answer: a known address costs one
// write transaction more than an unknown one, and the floor hides it.
const DefaultRequestFloor = 250 * time.Millisecond

// loginPath is the hosted login page the request page links back to (authflow's, by path only).
const loginPath = "/u/login"

// Options are the dependencies of the reset flow.
type Options struct {
	Issuer string
	Store  store.Store
	Hasher password.Hasher
	Audit  *audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
	Pages  *web.Pages
	// Kick wakes the mail worker after a mail is queued; nil leaves it to its next poll.
	Kick func()
	// KickBackchannel wakes the back-channel logout worker after a new password ended sessions
	// whose apps are owed a logout token; nil leaves it to its next poll.
	KickBackchannel func()
	// Unblock lifts brute-force blocks on a user's email once their password is reset (as Auth0
	// does); nil means none are kept.
	Unblock func(ctx context.Context, email string) error
	// Throttle counts /dbconnections/change_password requests per address (suspicious IP
	// throttling's pre-login bucket); Policy checks a new password against breached password
	// detection (stage pre-change-password). nil: off.
	Throttle *guard.Throttle
	Policy   *guard.Policy
	// RequestFloor is the least time a reset request takes; 0 means DefaultRequestFloor, a
	// negative value none (tests that do not measure timing).
	RequestFloor time.Duration
	// Sleep waits for the floor; nil means a timer that stops with the request's context.
	Sleep func(ctx context.Context, d time.Duration)
	// PostChallenge runs password-reset-post-challenge when a live reset link is opened, and
	// PostChangePassword post-change-password once a new password is saved; nil: no Actions.
	PostChallenge      trigger.PasswordResetPostChallengeRunner
	PostChangePassword trigger.PostChangePasswordRunner
	// MFA checks the second factor an Action asks for before the new password (mfa.go), and
	// MFALimit counts its attempts (nil: guard's defaults over the store's counters). Without MFA a
	// reset whose Action asks for a factor is refused.
	MFA      *mfa.Service
	MFALimit *guard.MFALimiter
	// KnownOrigins answers the CORS preflight of /dbconnections/change_password
	// (protocol.Preflight): the origins some client registers. nil answers no preflight.
	KnownOrigins protocol.KnownOrigins
}

// Handler serves the reset pages and /dbconnections/change_password.
type Handler struct {
	o      Options
	mail   *mailtemplate.Renderer
	secure bool
}

// New checks the options and returns the handler.
func New(o Options) (*Handler, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("passwordreset: issuer %q is not an absolute http(s) URL", o.Issuer)
	}
	if o.Store == nil || o.Pages == nil {
		return nil, errors.New("passwordreset: a store and pages are required")
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Kick == nil {
		o.Kick = func() {}
	}
	if o.Unblock == nil {
		o.Unblock = func(context.Context, string) error { return nil }
	}
	if o.MFALimit == nil {
		o.MFALimit = &guard.MFALimiter{Counters: o.Store, Now: o.Now}
	}
	if o.RequestFloor == 0 {
		o.RequestFloor = DefaultRequestFloor
	}
	if o.Sleep == nil {
		o.Sleep = func(ctx context.Context, d time.Duration) {
			t := time.NewTimer(d)
			defer t.Stop()
			select {
			case <-t.C:
			case <-ctx.Done():
			}
		}
	}
	return &Handler{o: o, mail: mailtemplate.New(o.Store, o.Issuer), secure: u.Scheme == "https"}, nil
}

// Mount registers the reset routes.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET "+domain.ResetPasswordPath, h.page)
	mux.HandleFunc("POST "+domain.ResetPasswordPath, h.submit)
	mux.HandleFunc("POST "+ChangePasswordPath, h.changePassword)
	mux.HandleFunc("OPTIONS "+ChangePasswordPath, h.changePasswordPreflight)
	mux.HandleFunc("GET "+domain.UnblockAccountPath, h.unblockPage)
	mux.HandleFunc("POST "+domain.UnblockAccountPath, h.unblockSubmit)
	h.mountMFA(mux)
}

// page is GET /u/reset-password: the new-password form with ?ticket=, else the request form.
func (h *Handler) page(w http.ResponseWriter, r *http.Request) {
	if t := r.URL.Query().Get("ticket"); t != "" {
		h.newPasswordPage(w, r, t)
		return
	}
	h.requestPage(w, r)
}

// submit is POST /u/reset-password: a new password when the form carries a ticket, else a request.
func (h *Handler) submit(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		h.notice(w, r, http.StatusBadRequest, formUnreadable())
		return
	}
	if r.PostForm.Has("ticket") {
		h.newPasswordSubmit(w, r)
		return
	}
	h.requestSubmit(w, r)
}

// maxFormBytes bounds the forms (an address or two passwords, and two tokens).
const maxFormBytes = 16 << 10

// Form binding: a random secret in a cookie, and per form an HMAC of it over what the form is
// for, so only a page this browser was served can be posted back (the login form's scheme).
const (
	cookieSecure   = "__Host-gh_reset"
	cookieInsecure = "gh_reset"
	secretLen      = 43 // base64url of 32 bytes
)

func (h *Handler) cookieName() string {
	if h.secure {
		return cookieSecure
	}
	return cookieInsecure
}

func (h *Handler) formSecret(r *http.Request) string {
	c, err := r.Cookie(h.cookieName())
	if err != nil || len(c.Value) != secretLen {
		return ""
	}
	return c.Value
}

// ensureFormSecret returns the browser's form secret, setting one when it has none.
func (h *Handler) ensureFormSecret(w http.ResponseWriter, r *http.Request) string {
	s := h.formSecret(r)
	if s == "" {
		s = domain.RandomToken(32)
	}
	http.SetCookie(w, &http.Cookie{Name: h.cookieName(), Value: s, Path: "/", MaxAge: 3600, HttpOnly: true,
		Secure: h.secure, SameSite: http.SameSiteLaxMode})
	return s
}

func csrfToken(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("gatehouse reset form\x00"))
	m.Write([]byte(purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func (h *Handler) csrfValid(r *http.Request, purpose string) bool {
	s := h.formSecret(r)
	if s == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(csrfToken(s, purpose)), []byte(r.PostForm.Get("csrf"))) == 1
}

func (h *Handler) base(ctx context.Context) web.Base {
	b := web.Base{Tenant: "Gatehouse"}
	if s, err := h.o.Store.GetTenantSettings(ctx); err == nil {
		if s.FriendlyName != "" {
			b.Tenant = s.FriendlyName
		}
		b.Brand = web.NewBrand(s.BrandingParts())
	}
	return b
}

func (h *Handler) render(w http.ResponseWriter, r *http.Request, status int, page string, data any) {
	if err := h.o.Pages.Render(w, status, page, data); err != nil {
		h.o.Logger.ErrorContext(r.Context(), "page not rendered", "page", page, "err", err)
	}
}

func (h *Handler) notice(w http.ResponseWriter, r *http.Request, status int, d web.ResetNoticeData) {
	d.Base = h.base(r.Context())
	h.render(w, r, status, web.PageResetNotice, d)
}

func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	h.o.Logger.ErrorContext(r.Context(), "password reset failed", "err", err)
	h.notice(w, r, http.StatusInternalServerError, web.ResetNoticeData{Heading: "Something went wrong.", Problem: true,
		Paragraphs: []string{"The request could not be completed. Please try again later."}})
}

func formUnreadable() web.ResetNoticeData {
	return web.ResetNoticeData{Heading: "The form could not be read.", Problem: true,
		Paragraphs: []string{"Please go back and try again."}, LinkURL: domain.ResetPasswordPath, LinkText: "Start again"}
}

func (h *Handler) record(r *http.Request, typ, description, clientID string, user *domain.User) {
	if h.o.Audit == nil {
		return
	}
	e := domain.LogEvent{Type: typ, Description: description, IP: httpserver.ClientIP(r.Context()).String(),
		UserAgent: r.UserAgent(), Hostname: r.Host, Connection: domain.DefaultConnection, ClientID: clientID}
	if user != nil {
		e.UserID, e.UserName = user.UserID, user.Email
	}
	h.o.Audit.Record(r.Context(), e)
}
