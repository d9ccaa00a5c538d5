package domain

import "time"

// OIDCLogout is Auth0's oidc_logout on a client: where OpenID Connect Back-Channel Logout 1.0
// logout tokens are POSTed, and which events send one.
type OIDCLogout struct {
	BackchannelLogoutURLs       []string               `json:"backchannel_logout_urls"`
	BackchannelLogoutInitiators *BackchannelInitiators `json:"backchannel_logout_initiators,omitempty"`
}

// BackchannelInitiators selects the events that send a logout token: mode "all", or "custom" with
// selected_initiators (Auth0's names: rp-logout, idp-logout, password-changed, session-expired,
// session-revoked, account-deleted, email-identifier-changed, mfa-phone-unenrolled,
// account-deactivated).
type BackchannelInitiators struct {
	Mode               string   `json:"mode"`
	SelectedInitiators []string `json:"selected_initiators,omitempty"`
}

// Back-channel logout initiators Gatehouse raises.
const (
	LogoutInitiatorRP             = "rp-logout"        // /v2/logout, /oidc/logout
	LogoutInitiatorIdP            = "idp-logout"       // a samlp connection's IdP sent a LogoutRequest
	LogoutInitiatorSessionRevoked = "session-revoked"  // a session ended through the Management API
	LogoutInitiatorPasswordChange = "password-changed" // a new password: a reset link, PATCH /api/v2/users/{id}
	// LogoutInitiatorAccountDeactivated: the user was blocked; LogoutInitiatorAccountDeleted: deleted.
	LogoutInitiatorAccountDeactivated = "account-deactivated"
	LogoutInitiatorAccountDeleted     = "account-deleted"
)

var knownInitiators = map[string]bool{
	"rp-logout": true, "idp-logout": true, "password-changed": true, "session-expired": true, "session-revoked": true,
	"account-deleted": true, "email-identifier-changed": true, "mfa-phone-unenrolled": true, "account-deactivated": true,
}

// SendsBackchannelLogout reports whether the client wants a logout token for an event raised by
// initiator: it has a URL, and the initiators (all by default, as Auth0) include it.
func (c *Client) SendsBackchannelLogout(initiator string) bool {
	l := c.OIDCLogout
	if l == nil || len(l.BackchannelLogoutURLs) == 0 {
		return false
	}
	in := l.BackchannelLogoutInitiators
	if in == nil || in.Mode == "" || in.Mode == "all" {
		return true
	}
	for _, s := range in.SelectedInitiators {
		if s == initiator {
			return true
		}
	}
	return false
}

// validateOIDCLogout checks the URLs (https, or http on loopback in development: ValidateAppURL's
// rule for a regular web app) and the initiators.
func validateOIDCLogout(errs *Errors, l *OIDCLogout) {
	if l == nil {
		return
	}
	if len(l.BackchannelLogoutURLs) > 1 {
		errs.add(Invalidf("oidc_logout.backchannel_logout_urls", "at most one URL"))
	}
	for i, u := range l.BackchannelLogoutURLs {
		if e := ValidateAppURL("oidc_logout.backchannel_logout_urls["+itoa(i)+"]", u, AppTypeRegularWeb); e != nil {
			errs.add(e)
		}
	}
	if in := l.BackchannelLogoutInitiators; in != nil {
		switch in.Mode {
		case "all", "custom":
		default:
			errs.add(Invalidf("oidc_logout.backchannel_logout_initiators.mode", "%q is not one of all, custom", in.Mode))
		}
		for i, s := range in.SelectedInitiators {
			if !knownInitiators[s] {
				errs.add(Invalidf("oidc_logout.backchannel_logout_initiators.selected_initiators["+itoa(i)+"]", "%q is not a known initiator", s))
			}
		}
	}
}

// BackchannelLogout is a logout token to deliver: which client, where, and whose session ended.
// The outbox holds it until the client's endpoint accepts it, or it is given up.
type BackchannelLogout struct {
	ID            string     `json:"id"`
	ClientID      string     `json:"client_id"`
	URL           string     `json:"url"`
	UserID        string     `json:"user_id"`
	SessionID     string     `json:"session_id,omitempty"`
	Initiator     string     `json:"initiator"`
	CreatedAt     time.Time  `json:"-"`
	NextAttemptAt time.Time  `json:"-"`
	Attempts      int        `json:"-"`
	LastError     string     `json:"-"`
	SentAt        *time.Time `json:"-"`
	FailedAt      *time.Time `json:"-"`
}

// NewBackchannelLogoutID returns an outbox id.
func NewBackchannelLogoutID() string { return "bcl_" + randomAlnum(20) }

// BackchannelLogouts are the logout tokens the end of session s owes, for an event raised by
// initiator: one per URL of each client the session signed in to that asks for it. client looks a
// client up (nil for one that no longer exists).
func BackchannelLogouts(s *Session, initiator string, client func(id string) *Client) []*BackchannelLogout {
	var out []*BackchannelLogout
	for _, id := range s.ClientIDs {
		c := client(id)
		if c == nil || !c.SendsBackchannelLogout(initiator) {
			continue
		}
		for _, u := range c.OIDCLogout.BackchannelLogoutURLs {
			out = append(out, &BackchannelLogout{ID: NewBackchannelLogoutID(), ClientID: c.ClientID, URL: u,
				UserID: s.UserID, SessionID: s.ID, Initiator: initiator})
		}
	}
	return out
}
