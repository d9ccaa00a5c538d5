package actionexec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/actions"
	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// Transaction protocols (spec §5.2).
const (
	protocolBasic    = "oidc-basic-profile"
	protocolImplicit = "oidc-implicit-profile"
	protocolHybrid   = "oidc-hybrid-profile"
	protocolRefresh  = "oauth2-refresh-token"
	protocolPassword = "oauth2-password"
	protocolDevice   = "oauth2-device-code"
)

// eventUserLinked is event.user with every identity of the user: its own, then those linked to
// it (POST /api/v2/users/{id}/identities), as the Management API lists them.
func (e *Executor) eventUserLinked(ctx context.Context, u *domain.User) actions.User {
	ev := eventUser(u)
	linked, err := e.store.ListUserIdentities(ctx, u.UserID)
	if err != nil {
		e.logger.WarnContext(ctx, "linked identities for the post-login event not loaded", "err", err)
		return ev
	}
	ev.Identities = ev.Identities[:0]
	for _, id := range u.WithLinked(linked) {
		ev.Identities = append(ev.Identities, actions.Identity{Connection: id.Connection, Provider: id.Provider, UserID: id.UserID, IsSocial: id.IsSocial})
	}
	return ev
}

// eventConnectionNamed is event.connection for the connection the user authenticated through,
// read from the store: its id and strategy are its own, which for an identity linked to another
// account is not the primary's.
func (e *Executor) eventConnectionNamed(ctx context.Context, name string, u *domain.User) actions.Connection {
	if name == "" {
		name = domain.DefaultConnection
	}
	c, err := e.store.GetConnectionByName(ctx, name)
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			e.logger.WarnContext(ctx, "connection for the post-login event not loaded", "err", err)
		}
		return eventConnection(name, u)
	}
	return actions.Connection{ID: c.ID, Name: c.Name, Strategy: c.Strategy, Metadata: c.Metadata}
}

// eventUser is event.user from a stored user.
func eventUser(u *domain.User) actions.User {
	ev := actions.User{
		UserID: u.UserID, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name, Nickname: u.Nickname,
		GivenName: u.GivenName, FamilyName: u.FamilyName, Picture: u.Picture, Username: u.Username,
		PhoneNumber: u.PhoneNumber, CreatedAt: actions.ISOTime(u.CreatedAt), UpdatedAt: actions.ISOTime(u.UpdatedAt),
		LoginsCount: u.LoginsCount, AppMetadata: u.AppMetadata, UserMetadata: u.UserMetadata,
	}
	if u.LastPasswordReset != nil {
		ev.LastPasswordReset = actions.ISOTime(*u.LastPasswordReset)
	}
	for _, id := range u.Identities() {
		ev.Identities = append(ev.Identities, actions.Identity{Connection: id.Connection, Provider: id.Provider, UserID: id.UserID, IsSocial: id.IsSocial})
	}
	return ev
}

func eventClient(c *domain.Client) actions.Client {
	return actions.Client{ClientID: c.ClientID, Name: c.Name, Metadata: c.ClientMetadata}
}

// eventConnection is event.connection: its strategy is the provider of the user's identity
// (auth0 for a database user, oidc, github, … for one from another provider).
func eventConnection(name string, u *domain.User) actions.Connection {
	if name == "" {
		name = domain.DefaultConnection
	}
	strategy := domain.StrategyAuth0
	if u != nil {
		if ids := u.Identities(); len(ids) > 0 && ids[0].Provider != "" {
			strategy = ids[0].Provider
		}
	}
	return actions.Connection{Name: name, Strategy: strategy}
}

func eventResourceServer(identifier string) *actions.ResourceServer {
	if identifier == "" {
		return nil
	}
	return &actions.ResourceServer{Identifier: identifier}
}

func eventSession(s *domain.Session) *actions.Session {
	if s == nil {
		return nil
	}
	return &actions.Session{
		ID: s.ID, CreatedAt: actions.ISOTime(s.CreatedAt), UpdatedAt: actions.ISOTime(s.LastSeenAt),
		AuthenticatedAt: actions.ISOTime(s.AuthenticatedAt), ExpiresAt: actions.ISOTime(s.ExpiresAt),
		IdleExpiresAt: actions.ISOTime(s.IdleExpiresAt),
	}
}

// protocol names the OIDC flow by its response_type (OpenID Connect Core §3): code alone is
// the code flow, code with id_token or token the hybrid flow, and no code the implicit flow.
func protocol(responseType []string) string {
	hasCode, other := false, false
	for _, rt := range responseType {
		if rt == "code" {
			hasCode = true
		} else {
			other = true
		}
	}
	switch {
	case hasCode && other:
		return protocolHybrid
	case !hasCode && other:
		return protocolImplicit
	}
	return protocolBasic
}

// loginEvent builds the post-login event of a browser sign-in.
func (e *Executor) loginEvent(ctx context.Context, in trigger.PostLogin, roles []string) actions.PostLoginEvent {
	ev := actions.PostLoginEvent{
		User:           e.eventUserLinked(ctx, in.User),
		Authorization:  actions.Authorization{Roles: roles},
		Client:         eventClient(in.Client),
		Connection:     e.eventConnectionNamed(ctx, in.Connection, in.User),
		ResourceServer: eventResourceServer(in.Audience),
		Request: actions.Request{
			IP: in.Request.IP, Hostname: in.Request.Hostname, Method: in.Request.Method,
			Language: in.Request.Language, UserAgent: in.Request.UserAgent,
		},
		Transaction:  actions.Transaction{RequestedScopes: in.RequestedScopes, Protocol: protocolBasic},
		Stats:        actions.Stats{LoginsCount: in.User.LoginsCount},
		Session:      eventSession(in.Session),
		Tenant:       actions.Tenant{ID: e.tenantID},
		Organization: eventOrganization(in.Organization),
	}
	ev.Request.Query, ev.Request.Body = anyValues(in.Request.Query), anyValues(in.Request.Body)
	if tx := in.Transaction; tx != nil {
		t := &ev.Transaction
		t.ID, t.RedirectURI, t.ResponseMode, t.State, t.LoginHint = tx.ID, tx.RedirectURI, tx.ResponseMode, tx.State, tx.LoginHint
		t.ResponseType = strings.Fields(tx.ResponseType)
		t.Protocol = protocol(t.ResponseType)
		if tx.DeviceCodeHash != nil {
			// A device sign-in at /activate: no response type, no redirect.
			t.ResponseType, t.Protocol = nil, protocolDevice
		}
		t.Prompt = strings.Fields(tx.Prompt)
		t.ACRValues = strings.Fields(tx.Params["acr_values"])
		t.UILocales = strings.Fields(tx.Params["ui_locales"])
		if len(t.UILocales) > 0 {
			t.Locale = t.UILocales[0]
		}
		if in.RequestedScopes == nil {
			t.RequestedScopes = strings.Fields(tx.Scope)
		}
	}
	for _, m := range in.Methods {
		if m.Timestamp.IsZero() {
			continue
		}
		ev.Authentication.Methods = append(ev.Authentication.Methods, actions.AuthenticationMethod{Name: m.Name, Timestamp: m.Timestamp.UnixMilli()})
	}
	return ev
}

// userRoles returns the names of the user's tenant roles (event.authorization.roles);
// never nil, so the script sees [] rather than null.
func (e *Executor) userRoles(ctx context.Context, userID string) ([]string, error) {
	names := []string{}
	for page := 0; page < maxRolePages; page++ {
		rs, total, err := e.store.ListUserRoles(ctx, userID, store.Page{Page: page, PerPage: 100})
		if err != nil {
			return nil, fmt.Errorf("actionexec: roles of %s: %w", userID, err)
		}
		for _, r := range rs {
			names = append(names, r.Name)
		}
		if len(rs) == 0 || len(names) >= total {
			break
		}
	}
	return names, nil
}

// maxRolePages bounds the role listing (10,000 roles): a loop over a store that misreports
// its total must still end.
const maxRolePages = 100

// refreshEvent builds the post-login event of an exchange at the token endpoint (spec §5.2, no
// redirect, no MFA): a refresh token (protocol oauth2-refresh-token) or a password (oauth2-password,
// authenticated by ev.Methods just now).
func (e *Executor) refreshEvent(ctx context.Context, in trigger.PostLogin, roles []string) actions.PostLoginEvent {
	u := in.User
	conn := in.Connection
	if conn == "" {
		conn = u.Connection
	}
	ev := actions.PostLoginEvent{
		User:           e.eventUserLinked(ctx, u),
		Authorization:  actions.Authorization{Roles: roles},
		Client:         eventClient(in.Client),
		Connection:     e.eventConnectionNamed(ctx, conn, u),
		ResourceServer: eventResourceServer(in.Audience),
		Request:        actions.Request{IP: in.Request.IP, Method: "POST", UserAgent: in.Request.UserAgent},
		Transaction:    actions.Transaction{Protocol: protocolRefresh, RequestedScopes: in.RequestedScopes},
		Stats:          actions.Stats{LoginsCount: u.LoginsCount},
		Tenant:         actions.Tenant{ID: e.tenantID},
	}
	if in.Source == trigger.Password {
		ev.Transaction.Protocol = protocolPassword
		for _, m := range in.Methods {
			ev.Authentication.Methods = append(ev.Authentication.Methods, actions.AuthenticationMethod{Name: m.Name, Timestamp: m.Timestamp.UnixMilli()})
		}
	}
	if rt := in.RefreshToken; rt != nil {
		// The family id names the token's lineage; the token's hash is never shown.
		ev.RefreshToken = &actions.RefreshToken{
			ID: rt.FamilyID, ClientID: rt.ClientID, CreatedAt: actions.ISOTime(rt.CreatedAt),
			ExpiresAt: isoPtr(rt.ExpiresAt), IdleExpiresAt: isoPtr(rt.IdleExpiresAt),
			Rotating: rt.Rotating, SessionID: rt.SessionID,
		}
		if !rt.AuthTime.IsZero() {
			ev.Authentication.Methods = []actions.AuthenticationMethod{{Name: "pwd", Timestamp: rt.AuthTime.UnixMilli()}}
		}
		if rt.SessionID != "" {
			// A session that ended (logout, expiry) does not end its refresh tokens: the
			// event simply has no session then.
			s, err := e.store.GetSession(ctx, rt.SessionID)
			switch {
			case err == nil:
				ev.Session = eventSession(s)
			case !errors.Is(err, store.ErrNotFound):
				e.logger.WarnContext(ctx, "session for the refresh post-login event not loaded", "err", err)
			}
		}
	}
	return ev
}

func isoPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return actions.ISOTime(*t)
}

// eventOrganization is event.organization: the organization of an organization sign-in.
func eventOrganization(o *domain.Organization) *actions.Organization {
	if o == nil {
		return nil
	}
	return &actions.Organization{ID: o.ID, Name: o.Name, DisplayName: o.DisplayName, Metadata: o.Metadata}
}

// anyValues is a request's parameters as event.request shows them; nil when there are none.
func anyValues(in map[string]string) map[string]any {
	if len(in) == 0 {
		return nil
	}
	out := make(map[string]any, len(in))
	for k, v := range in {
		out[k] = v
	}
	return out
}
