package authflow

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/audit"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/mail/mailtemplate"
	"github.com/gatehouse/gatehouse/internal/metrics"
	"github.com/gatehouse/gatehouse/internal/mfa"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/password"
	"github.com/gatehouse/gatehouse/internal/session"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/token"
	"github.com/gatehouse/gatehouse/internal/trigger"
	"github.com/gatehouse/gatehouse/internal/upstream"
	"github.com/gatehouse/gatehouse/web"
)

// Paths of the hosted pages.
const (
	LoginPath  = "/u/login"
	SignupPath = "/u/signup"
)

// Options are the dependencies of the sign-in flow.
type Options struct {
	// Issuer is the tenant's issuer URL (https://HOST/); an https issuer gives Secure `__Host-` cookies.
	Issuer   string
	Store    store.Store
	Sessions *session.Manager
	// Hasher hashes and verifies passwords; tests pass password.Hasher{P: password.Fast()}.
	Hasher password.Hasher
	Audit  *audit.Recorder
	Logger *slog.Logger
	Now    func() time.Time
	// PostLogin runs the post-login Actions; nil means none are configured.
	PostLogin trigger.PostLoginRunner
	// PreUserRegistration runs the pre-user-registration Actions before a signup creates a user;
	// nil means none are configured.
	PreUserRegistration trigger.PreUserRegistrationRunner
	// PostUserRegistration is told of each user a signup created; nil means no Actions.
	PostUserRegistration trigger.PostUserRegistrationRunner
	Pages                *web.Pages
	// BruteForce blocks an (IP, user) pair after consecutive failed passwords; nil turns it off.
	BruteForce *guard.BruteForce
	// Throttle is suspicious IP throttling (sign-ins and sign-ups per address across accounts),
	// shared with the token endpoint; Policy the attack protection settings (breached password
	// detection). nil: off.
	Throttle *guard.Throttle
	Policy   *guard.Policy
	// Notify tells a user that attack protection acted on their account ("blocked", "breached":
	// the user_notification shields); nil tells no one.
	Notify func(ctx context.Context, user *domain.User, kind, ip string)
	// Metrics counts sign-ins by outcome; nil counts nothing.
	Metrics *metrics.Recorder
	// ActivateGuard limits wrong user codes entered at /activate per address; nil takes the default
	// (10 wrong codes block the address for 15 minutes). It cannot be turned off.
	ActivateGuard *guard.BruteForce
	// IDTokens signs the ID token of an implicit or hybrid response (token.Issuer); nil answers
	// those response types as unsupported.
	IDTokens IDTokenSigner
	// SignupMail queues what a new database user is sent (verification, welcome), through the
	// Store bound to the signup's transaction, and reports whether it queued anything; nil sends
	// nothing. KickMail wakes the mail worker after such a signup commits.
	SignupMail func(ctx context.Context, tx store.Store, u *domain.User, c *domain.Client) (bool, error)
	KickMail   func()
	// Upstream signs users in at other identity providers (broker.go); nil: only the database.
	Upstream *upstream.Broker
	// MFA enrolls and checks second factors; nil turns the MFA step off. MFALimit bounds code
	// attempts; nil takes guard's defaults over Store's counters.
	MFA      *mfa.Service
	MFALimit *guard.MFALimiter
	// KnownOrigins answers the CORS preflight of /dbconnections/signup (protocol.Preflight): the
	// origins some client registers. nil answers no preflight.
	KnownOrigins protocol.KnownOrigins
	// ResetContinue resumes a password reset whose Action sent the browser away: /continue hands
	// it every state that starts with domain.ResetContinuePrefix. nil: such states are stale.
	ResetContinue ResetContinuer
}

// ResetContinuer resumes at /continue a password reset an Action redirected (package
// passwordreset). Bound reports whether r carries the reset's browser cookie (a cross-site POST
// does not, and is re-posted from Gatehouse's origin first); Continue answers the request.
type ResetContinuer interface {
	ContinueBound(r *http.Request) bool
	Continue(w http.ResponseWriter, r *http.Request, state string, body map[string]string)
}

// IDTokenSigner signs an ID token.
type IDTokenSigner interface {
	IDToken(ctx context.Context, p token.IDTokenParams) (string, error)
}

// Handler serves /authorize, /u/login, /u/signup and the device activation pages (/activate).
type Handler struct {
	store         store.Store
	sessions      *session.Manager
	hasher        password.Hasher
	audit         *audit.Recorder
	logger        *slog.Logger
	now           func() time.Time
	postLogin     trigger.PostLoginRunner
	preRegister   trigger.PreUserRegistrationRunner
	postRegister  trigger.PostUserRegistrationRunner
	pages         *web.Pages
	bruteForce    *guard.BruteForce
	throttle      *guard.Throttle
	policy        *guard.Policy
	notify        func(ctx context.Context, user *domain.User, kind, ip string)
	activateGuard *guard.BruteForce
	idTokens      IDTokenSigner
	metrics       *metrics.Recorder
	signupMail    func(ctx context.Context, tx store.Store, u *domain.User, c *domain.Client) (bool, error)
	kickMail      func()
	secure        bool
	upstream      *upstream.Broker
	callbackURL   string // CallbackPath on the issuer: the redirect_uri sent to providers
	continueURL   string // ContinuePath on the issuer: where a redirect Action's site sends the browser back
	mfa           *mfa.Service
	mfaLimit      *guard.MFALimiter
	knownOrigins  protocol.KnownOrigins
	webauthn      *mfa.WebAuthn // security keys, platform authenticators and passkeys; nil without MFA
	emailCodes    *mfa.EmailCodes
	resetContinue ResetContinuer
}

// New checks the options and returns the handler.
func New(o Options) (*Handler, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("authflow: issuer %q is not an absolute http(s) URL", o.Issuer)
	}
	switch {
	case o.Store == nil:
		return nil, errors.New("authflow: a store is required")
	case o.Sessions == nil:
		return nil, errors.New("authflow: a session manager is required")
	case o.Pages == nil:
		return nil, errors.New("authflow: pages are required")
	}
	h := &Handler{
		store: o.Store, sessions: o.Sessions, hasher: o.Hasher, audit: o.Audit, logger: o.Logger,
		activateGuard: o.ActivateGuard, metrics: o.Metrics, throttle: o.Throttle, policy: o.Policy, notify: o.Notify,
		now: o.Now, postLogin: o.PostLogin, preRegister: o.PreUserRegistration, postRegister: o.PostUserRegistration, pages: o.Pages, bruteForce: o.BruteForce, idTokens: o.IDTokens, secure: u.Scheme == "https",
		signupMail: o.SignupMail, kickMail: o.KickMail,
		upstream: o.Upstream, callbackURL: strings.TrimSuffix(o.Issuer, "/") + CallbackPath,
		continueURL: strings.TrimSuffix(o.Issuer, "/") + ContinuePath,
		mfa:         o.MFA, mfaLimit: o.MFALimit, knownOrigins: o.KnownOrigins, resetContinue: o.ResetContinue,
	}
	if h.mfaLimit == nil {
		h.mfaLimit = mfaLimiterFor(o.Store, h.now)
	}

	if h.kickMail == nil {
		h.kickMail = func() {}
	}
	h.emailCodes = &mfa.EmailCodes{Store: o.Store, Mail: mailtemplate.New(o.Store, o.Issuer), Kick: h.kickMail, Now: h.now}
	if h.now == nil {
		h.now = time.Now
	}
	if h.logger == nil {
		h.logger = slog.New(slog.DiscardHandler)
	}
	if h.notify == nil {
		h.notify = func(context.Context, *domain.User, string, string) {}
	}
	if h.mfa != nil {
		// WebAuthn needs a domain name: an issuer on an IP address has no security keys or passkeys.
		if h.webauthn, err = mfa.NewWebAuthn(o.Store, o.Issuer, "", o.Now); err != nil {
			h.logger.Warn("security keys and passkeys are not available", "err", err)
			h.webauthn = nil
		}
	}
	if h.activateGuard == nil {
		h.activateGuard = &guard.BruteForce{Counters: o.Store, Now: h.now, BlockFor: activateBlockFor}
	}
	return h, nil
}

// Mount registers the sign-in routes and the pages' static files.
func (h *Handler) Mount(mux *http.ServeMux) {
	mux.HandleFunc("GET /authorize", h.authorize)
	mux.HandleFunc("GET "+LoginPath, h.loginPage)
	mux.HandleFunc("POST "+LoginPath, h.loginSubmit)
	mux.HandleFunc("GET "+SignupPath, h.signupPage)
	mux.HandleFunc("POST "+SignupPath, h.signupSubmit)
	mux.HandleFunc("POST "+DBSignupPath, h.dbSignup)
	mux.HandleFunc("OPTIONS "+DBSignupPath, h.dbSignupPreflight)
	mux.HandleFunc("GET "+ActivatePath, h.activatePage)
	mux.HandleFunc("POST "+ActivatePath, h.activateSubmit)
	mux.HandleFunc("GET "+ActivateConfirmPath, h.deviceConfirmPage)
	mux.HandleFunc("POST "+ActivateConfirmPath, h.deviceConfirmSubmit)
	mux.HandleFunc("POST "+UpstreamPath, h.upstreamSubmit)
	mux.HandleFunc("GET "+CallbackPath, h.upstreamCallback)
	mux.HandleFunc("GET "+OrganizationSelectionPath, h.organizationSelectionPage)
	mux.HandleFunc("POST "+OrganizationSelectionPath, h.organizationSelectionSubmit)
	mux.HandleFunc("GET "+OrganizationPickerPath, h.organizationPickerPage)
	mux.HandleFunc("POST "+OrganizationPickerPath, h.organizationPickerSubmit)
	mux.HandleFunc("POST "+CallbackPath, h.callbackPost)
	mux.HandleFunc("GET "+SAMLMetadataPath, h.samlMetadata)
	mux.HandleFunc("GET "+ContinuePath, h.continueLogin)
	mux.HandleFunc("POST "+ContinuePath, h.continueLogin)
	mux.HandleFunc("GET "+SAMLLogoutPath, h.samlLogout)
	h.mountMFA(mux)
	h.mountWebAuthn(mux)
	h.mountAccount(mux)
	h.pages.Mount(mux)
}

// render writes a page; a rendering failure has already answered 500 and is only logged.
func (h *Handler) render(ctx context.Context, w http.ResponseWriter, status int, page string, data any) {
	if err := h.pages.Render(w, status, page, data); err != nil {
		h.logger.ErrorContext(ctx, "page not rendered", "page", page, "err", err)
	}
}

func (h *Handler) base(ctx context.Context) web.Base {
	b := web.Base{Tenant: "Gatehouse"}
	if s, err := h.store.GetTenantSettings(ctx); err == nil {
		if s.FriendlyName != "" {
			b.Tenant = s.FriendlyName
		}
		b.Brand = web.NewBrand(s.BrandingParts())
	}
	return b
}

// errorPage shows e on Gatehouse's own origin with e.Status; e.Cause is logged, never shown.
func (h *Handler) errorPage(w http.ResponseWriter, r *http.Request, e *protocol.Error) {
	if e.Cause != nil {
		h.logger.ErrorContext(r.Context(), "sign-in failed", "err", e.Cause)
	}
	p := e.Page("Invalid request.")
	h.render(r.Context(), w, e.Status, web.PageError, web.ErrorData{
		Base: h.base(r.Context()), Heading: p.Heading, Code: p.Code, Description: p.Description, Details: p.Details,
	})
}

// internalError logs err and shows a page that reveals nothing of it.
func (h *Handler) internalError(w http.ResponseWriter, r *http.Request, err error) {
	if protocol.Unavailable(err) {
		w.Header().Set("Retry-After", protocol.RetryAfterSeconds)
		h.errorPage(w, r, &protocol.Error{Status: http.StatusServiceUnavailable, Code: "temporarily_unavailable",
			Heading: "Temporarily unavailable.", Description: "Please try again in a moment.", Cause: err})
		return
	}
	h.errorPage(w, r, &protocol.Error{
		Status: http.StatusInternalServerError, Code: "server_error", Heading: "Something went wrong.",
		Description: "The request could not be completed. Please try again later.", Cause: err,
	})
}

// staleTransaction is shown for an unknown, expired, completed or foreign transaction id.
func staleTransaction() *protocol.Error {
	return &protocol.Error{
		Status: http.StatusBadRequest, Heading: "This login link is no longer valid.",
		Description: "This login link is no longer valid, or it was opened in a different browser. Please return to the application and sign in again.",
	}
}
