package session

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"time"
	"unicode/utf8"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// Cookie names. The `__Host-` prefix (RFC 6265bis §4.1.3.2) makes the browser refuse the cookie unless
// it is Secure, has Path=/ and no Domain, so a sibling subdomain cannot plant or shadow it.
const (
	CookieNameSecure   = "__Host-gh_session"
	CookieNameInsecure = "gh_session"
)

// secretBytes is the entropy of the cookie secret.
const secretBytes = 32

// Store is what the session manager needs from storage.
type Store interface {
	store.SessionStore
	store.TenantStore
}

// Options configures a Manager.
type Options struct {
	// Issuer decides the cookie's security: an https issuer gives a Secure `__Host-` cookie.
	Issuer string
	Store  Store
	Logger *slog.Logger
	Now    func() time.Time
	// Backchannel, when set, queues back-channel logout tokens as sessions end at logout.
	Backchannel *Backchannel
}

// Manager creates, finds, extends and ends SSO sessions.
type Manager struct {
	store       Store
	logger      *slog.Logger
	now         func() time.Time
	secure      bool
	backchannel *Backchannel
}

// NewManager returns a Manager. The issuer must be an absolute http(s) URL.
func NewManager(o Options) (*Manager, error) {
	u, err := url.Parse(o.Issuer)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("session: issuer %q is not an absolute http(s) URL", o.Issuer)
	}
	if o.Store == nil {
		return nil, errors.New("session: a store is required")
	}
	m := &Manager{store: o.Store, logger: o.Logger, now: o.Now, secure: u.Scheme == "https", backchannel: o.Backchannel}
	if m.now == nil {
		m.now = time.Now
	}
	if m.logger == nil {
		m.logger = slog.New(slog.DiscardHandler)
	}
	return m, nil
}

// Secure reports whether cookies are marked Secure (https issuer).
func (m *Manager) Secure() bool { return m.secure }

// CookieName is the session cookie's name.
func (m *Manager) CookieName() string {
	if m.secure {
		return CookieNameSecure
	}
	return CookieNameInsecure
}

// Current returns the live session the request's cookie names, or nil when there is none, it is
// unknown, or it has passed its idle or absolute expiry. Only storage failures are errors.
func (m *Manager) Current(ctx context.Context, r *http.Request) (*domain.Session, error) {
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	s, err := m.store.GetSessionByTokenHash(ctx, domain.HashSecret(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: look up: %w", err)
	}
	if !m.live(s) {
		return nil, nil
	}
	return s, nil
}

func (m *Manager) live(s *domain.Session) bool {
	now := m.now()
	return now.Before(s.ExpiresAt) && now.Before(s.IdleExpiresAt)
}

// StartParams describe a fresh authentication.
type StartParams struct {
	UserID          string
	ClientID        string
	IP              string
	UserAgent       string
	AuthenticatedAt time.Time
	// SAML is the samlp sign-in the session starts with, for Single Logout.
	SAML *domain.SessionSAML
}

// Start records a new session for a user who has just authenticated and sets its cookie. The
// session the request carried, if any, is deleted: a sign-in never keeps an earlier id or secret.
func (m *Manager) Start(ctx context.Context, w http.ResponseWriter, r *http.Request, p StartParams) (*domain.Session, error) {
	if old, err := m.Current(ctx, r); err == nil && old != nil {
		if err := m.store.DeleteSession(ctx, old.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
			m.logger.WarnContext(ctx, "previous session not deleted at sign-in", "err", err)
		}
	}
	settings, err := m.store.GetTenantSettings(ctx)
	if err != nil {
		return nil, fmt.Errorf("session: tenant settings: %w", err)
	}
	absolute, idle := lifetimes(settings)
	now := m.now().UTC()
	authAt := p.AuthenticatedAt.UTC()
	if authAt.IsZero() {
		authAt = now
	}
	secret := domain.RandomToken(secretBytes)
	s := &domain.Session{
		ID:              domain.RandomToken(18),
		TokenHash:       domain.HashSecret(secret),
		UserID:          p.UserID,
		IP:              p.IP,
		UserAgent:       truncate(p.UserAgent, 512),
		CreatedAt:       now,
		AuthenticatedAt: authAt,
		LastSeenAt:      now,
		ExpiresAt:       now.Add(absolute),
		SAML:            p.SAML,
	}
	if p.ClientID != "" {
		s.ClientIDs = []string{p.ClientID}
	}
	s.IdleExpiresAt = minTime(now.Add(idle), s.ExpiresAt)
	if err := m.store.CreateSession(ctx, s); err != nil {
		return nil, fmt.Errorf("session: create: %w", err)
	}
	http.SetCookie(w, m.cookie(secret, s.ExpiresAt))
	return s, nil
}

// Touch records that the session was used (for clientID): the idle expiry restarts, never past the
// absolute one.
func (m *Manager) Touch(ctx context.Context, s *domain.Session, clientID string) error {
	settings, err := m.store.GetTenantSettings(ctx)
	if err != nil {
		return fmt.Errorf("session: tenant settings: %w", err)
	}
	_, idle := lifetimes(settings)
	now := m.now().UTC()
	s.LastSeenAt = now
	s.IdleExpiresAt = minTime(now.Add(idle), s.ExpiresAt)
	if clientID != "" && !slices.Contains(s.ClientIDs, clientID) {
		s.ClientIDs = append(s.ClientIDs, clientID)
	}
	if err := m.store.TouchSession(ctx, s.ID, s.LastSeenAt, s.IdleExpiresAt, s.ClientIDs); err != nil {
		return fmt.Errorf("session: touch: %w", err)
	}
	return nil
}

// End deletes the request's session (if any) and clears the cookie. It returns the session that
// was ended, or nil.
//
// The cookie is SameSite=None on https so that silent authentication works in a cross-site iframe;
// logout keeps the defence SameSite=Lax gave it: a request another site caused without a top-level
// navigation (an image, a frame, a fetch, a cross-site POST), told by its Fetch Metadata, neither
// ends the session nor clears the cookie.
func (m *Manager) End(ctx context.Context, w http.ResponseWriter, r *http.Request) (*domain.Session, error) {
	if !LaxSameSite(r) {
		return nil, nil
	}
	m.ClearCookie(w)
	c, err := r.Cookie(m.CookieName())
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return nil, nil
	}
	s, err := m.store.GetSessionByTokenHash(ctx, domain.HashSecret(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("session: look up: %w", err)
	}
	if err := m.deleteSession(ctx, s, domain.LogoutInitiatorRP); err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, fmt.Errorf("session: delete: %w", err)
	}
	return s, nil
}

// EndByID deletes the session with public id sid (from a verified id_token_hint); unknown ids are
// not an error.
func (m *Manager) EndByID(ctx context.Context, sid string) error {
	s, err := m.store.GetSession(ctx, sid)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("session: look up: %w", err)
	}
	if err := m.deleteSession(ctx, s, domain.LogoutInitiatorRP); err != nil && !errors.Is(err, store.ErrNotFound) {
		return fmt.Errorf("session: delete: %w", err)
	}
	return nil
}

// ClearCookie expires the session cookie in the browser.
func (m *Manager) ClearCookie(w http.ResponseWriter) {
	c := m.cookie("", time.Time{})
	c.MaxAge = -1
	c.Expires = time.Unix(0, 0)
	http.SetCookie(w, c)
}

// cookie is the session cookie. On https it is SameSite=None, as Auth0's is: an SPA and its
// identity server are different sites, and the hidden iframe of silent authentication
// (response_mode=web_message) carries the session only if the cookie is sent cross-site. What that
// would expose is guarded elsewhere: /authorize answers only registered redirect URIs and web
// origins, the hosted forms carry CSRF tokens keyed by cookies of their own, and End applies the
// Lax rule itself. On plain http a None cookie would be refused by browsers (it must be Secure), so
// it stays Lax: silent authentication then works only from the same site (http://localhost:3000
// with an issuer on http://localhost:PORT).
func (m *Manager) cookie(value string, expires time.Time) *http.Cookie {
	sameSite := http.SameSiteLaxMode
	if m.secure {
		sameSite = http.SameSiteNoneMode
	}
	return &http.Cookie{
		Name:     m.CookieName(),
		Value:    value,
		Path:     "/",
		Expires:  expires,
		HttpOnly: true,
		Secure:   m.secure,
		SameSite: sameSite,
	}
}

// LaxSameSite reports whether a browser would have sent a SameSite=Lax cookie with r (RFC 6265bis
// §5.2.7.1): any same-site request, and a cross-site one only when it is a top-level navigation
// with a safe method. It reads Fetch Metadata (Sec-Fetch-Site, -Mode, -Dest); a request without
// them (a browser that predates them, or no browser at all) is taken as sent.
func LaxSameSite(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "", "same-origin", "same-site", "none":
		return true
	}
	safe := r.Method == http.MethodGet || r.Method == http.MethodHead
	return safe && r.Header.Get("Sec-Fetch-Mode") == "navigate" && r.Header.Get("Sec-Fetch-Dest") == "document"
}

// lifetimes converts the tenant's hours, falling back to the defaults for unset values.
func lifetimes(s domain.TenantSettings) (absolute, idle time.Duration) {
	def := domain.DefaultTenantSettings()
	abs, idl := s.SessionLifetime, s.IdleSessionLifetime
	if abs <= 0 {
		abs = def.SessionLifetime
	}
	if idl <= 0 {
		idl = def.IdleSessionLifetime
	}
	return time.Duration(abs * float64(time.Hour)), time.Duration(idl * float64(time.Hour))
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
