package webauth

import (
	"context"
	"encoding/json"
	"sync"
	"time"
)

// Session is what a login leaves behind: the user's claims and the tokens from the issuer.
// Its JSON form uses nextjs-auth0's field names (user, idToken, accessToken, accessTokenScope,
// accessTokenExpiresAt in Unix seconds, refreshToken).
type Session struct {
	User                 User
	IDToken              string
	AccessToken          string
	AccessTokenScope     string
	AccessTokenExpiresAt time.Time // zero when the issuer sent no expires_in
	RefreshToken         string
}

type sessionJSON struct {
	User                 User   `json:"user"`
	IDToken              string `json:"idToken,omitempty"`
	AccessToken          string `json:"accessToken,omitempty"`
	AccessTokenScope     string `json:"accessTokenScope,omitempty"`
	AccessTokenExpiresAt int64  `json:"accessTokenExpiresAt,omitempty"`
	RefreshToken         string `json:"refreshToken,omitempty"`
}

// MarshalJSON writes the nextjs-auth0 session shape.
func (s Session) MarshalJSON() ([]byte, error) {
	w := sessionJSON{User: s.User, IDToken: s.IDToken, AccessToken: s.AccessToken,
		AccessTokenScope: s.AccessTokenScope, RefreshToken: s.RefreshToken}
	if !s.AccessTokenExpiresAt.IsZero() {
		w.AccessTokenExpiresAt = s.AccessTokenExpiresAt.Unix()
	}
	if w.User == nil {
		w.User = User{}
	}
	return json.Marshal(w)
}

// UnmarshalJSON reads the nextjs-auth0 session shape.
func (s *Session) UnmarshalJSON(b []byte) error {
	var w sessionJSON
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	*s = Session{User: w.User, IDToken: w.IDToken, AccessToken: w.AccessToken,
		AccessTokenScope: w.AccessTokenScope, RefreshToken: w.RefreshToken}
	if w.AccessTokenExpiresAt != 0 {
		s.AccessTokenExpiresAt = time.Unix(w.AccessTokenExpiresAt, 0)
	}
	if s.User == nil {
		s.User = User{}
	}
	return nil
}

// clone returns a deep-enough copy: the claim map is copied so a hook cannot alias it.
func (s *Session) clone() *Session {
	c := *s
	c.User = make(User, len(s.User))
	for k, v := range s.User {
		c.User[k] = v
	}
	return &c
}

// User holds the ID token's claims minus the protocol ones (see identityClaimFilter).
type User map[string]any

// identityClaimFilter is nextjs-auth0's list of ID token claims that are not about the user.
var identityClaimFilter = []string{"aud", "iss", "iat", "exp", "nbf", "nonce", "azp", "auth_time",
	"s_hash", "at_hash", "c_hash"}

func userFromClaims(claims map[string]any) User {
	u := make(User, len(claims))
	for k, v := range claims {
		u[k] = v
	}
	for _, k := range identityClaimFilter {
		delete(u, k)
	}
	return u
}

// Claim returns a claim's raw value (nil when absent). Namespaced custom claims such as
// "https://yourapp.com/roles" are read the same way.
func (u User) Claim(name string) any { return u[name] }

// String returns a string claim, or "" when absent or not a string.
func (u User) String(name string) string {
	s, _ := u[name].(string)
	return s
}

// Strings returns an array-of-strings claim (e.g. roles), skipping non-string items. A single
// string is returned as a one-element slice.
func (u User) Strings(name string) []string {
	switch v := u[name].(type) {
	case []any:
		out := make([]string, 0, len(v))
		for _, item := range v {
			if s, ok := item.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return append([]string(nil), v...)
	case string:
		return []string{v}
	}
	return nil
}

// HasString reports whether an array-of-strings claim contains want (e.g. a role).
func (u User) HasString(name, want string) bool {
	for _, s := range u.Strings(name) {
		if s == want {
			return true
		}
	}
	return false
}

// Sub is the user id (e.g. auth0|65...).
func (u User) Sub() string { return u.String("sub") }

// Name is the display name; Auth0 defaults it to the email address.
func (u User) Name() string { return u.String("name") }

// Nickname is Auth0's nickname claim.
func (u User) Nickname() string { return u.String("nickname") }

// Email is the email claim (email scope).
func (u User) Email() string { return u.String("email") }

// EmailVerified is the email_verified claim.
func (u User) EmailVerified() bool {
	b, _ := u["email_verified"].(bool)
	return b
}

// Picture is the avatar URL.
func (u User) Picture() string { return u.String("picture") }

type sessionKey struct{}

// sessionHolder is what the context carries, so a refresh inside the handler updates what later
// code in the same request sees.
type sessionHolder struct {
	client *Client

	mu      sync.Mutex
	session *Session
	meta    sessionMeta
}

func (h *sessionHolder) get() (*Session, sessionMeta) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.session, h.meta
}

func (h *sessionHolder) set(s *Session, m sessionMeta) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.session, h.meta = s, m
}

// SessionFrom returns the session that WithSession or RequireAuth attached to the context.
func SessionFrom(ctx context.Context) (*Session, bool) {
	h, ok := ctx.Value(sessionKey{}).(*sessionHolder)
	if !ok {
		return nil, false
	}
	s, _ := h.get()
	return s, s != nil
}

func withHolder(ctx context.Context, h *sessionHolder) context.Context {
	return context.WithValue(ctx, sessionKey{}, h)
}

func holderFrom(ctx context.Context, c *Client) *sessionHolder {
	h, ok := ctx.Value(sessionKey{}).(*sessionHolder)
	if !ok || h.client != c {
		return nil
	}
	return h
}
