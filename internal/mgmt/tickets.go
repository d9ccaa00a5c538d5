package mgmt

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// tickets serves /tickets/password-change and /tickets/email-verification: a reset or verification
// link for an administrator to hand to a user.
// Like Auth0, it sends no mail; the answer is {"ticket": "<url>"}.
type tickets struct {
	st     store.Store
	issuer string
	now    func() time.Time
}

func (h *Handler) ticketRoutes() []route {
	g := &tickets{st: h.st, issuer: h.opts.Issuer, now: h.now}
	return []route{
		{method: "POST", path: "/tickets/password-change", scopes: []string{"create:user_tickets"}, desc: "Create a password change ticket", fn: g.passwordChange},
		{method: "POST", path: "/tickets/email-verification", scopes: []string{"create:user_tickets"}, desc: "Create an email verification ticket", fn: g.emailVerification},
	}
}

var nfConnection = &apiError{http.StatusNotFound, "inexistent_connection", "The connection does not exist."}

// passwordChangeBody is Auth0's PostPasswordChangeRequest. organization_id and identity belong to
// features Gatehouse does not have yet and are refused rather than ignored.
type passwordChangeBody struct {
	UserID                 string  `json:"user_id"`
	Email                  string  `json:"email"`
	ConnectionID           string  `json:"connection_id"`
	ClientID               string  `json:"client_id"`
	ResultURL              string  `json:"result_url"`
	TTLSec                 *int64  `json:"ttl_sec"`
	MarkEmailAsVerified    bool    `json:"mark_email_as_verified"`
	IncludeEmailInRedirect bool    `json:"includeEmailInRedirect"`
	OrganizationID         *string `json:"organization_id"`
	Identity               any     `json:"identity"`
}

func (g *tickets) passwordChange(c *call) (int, any, error) {
	var b passwordChangeBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	invalid := func(msg string) (int, any, error) {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "%s", msg)
	}
	switch {
	case b.OrganizationID != nil || b.Identity != nil:
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "organization_id and identity are not supported.")
	case b.UserID != "" && (b.ConnectionID != "" || b.Email != ""):
		return invalid("Payload validation error: user_id cannot be specified with email or connection_id.")
	case b.UserID == "" && (b.Email == "" || b.ConnectionID == ""):
		return invalid("Payload validation error: 'Missing required property: user_id' (or email and connection_id).")
	case b.ResultURL != "" && b.ClientID != "":
		return invalid("Payload validation error: result_url cannot be specified with client_id.")
	case b.TTLSec != nil && (*b.TTLSec < 0 || time.Duration(*b.TTLSec)*time.Second > domain.MaxTicketLifetime):
		return invalid("Payload validation error: ttl_sec must be between 0 and 2592000.")
	}
	if b.ResultURL != "" {
		if u, err := url.Parse(b.ResultURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return invalid("Payload validation error: result_url must be an absolute http(s) URL.")
		}
	}
	ctx := c.ctx()
	if b.ClientID != "" {
		if _, err := load(ctx, g.st.GetClient, b.ClientID, nfClient); err != nil {
			return 0, nil, err
		}
	}
	var (
		user *domain.User
		err  error
		// identity is the linked database account the email names, whose password the ticket
		// changes (its connection is then the one whose password it is).
		identity, passwordConn string
	)
	if b.UserID != "" {
		user, err = load(ctx, g.st.GetUser, b.UserID, nfUser)
	} else {
		conn, cerr := g.st.GetConnection(ctx, b.ConnectionID)
		if errors.Is(cerr, store.ErrNotFound) {
			// Before connections were objects of their own, their id was their name: still accepted.
			conn, cerr = g.st.GetConnectionByName(ctx, b.ConnectionID)
		}
		if errors.Is(cerr, store.ErrNotFound) {
			return 0, nil, nfConnection
		}
		if cerr != nil {
			return 0, nil, cerr
		}
		login, lerr := store.FindDatabaseLoginByEmail(ctx, g.st, conn.Name, domain.NormalizeEmail(b.Email))
		if errors.Is(lerr, store.ErrNotFound) {
			return 0, nil, nfUser
		}
		if lerr != nil {
			return 0, nil, lerr
		}
		user = login.User
		if login.Linked != nil {
			identity, passwordConn = login.Linked.FullID(), login.Linked.Connection
		}
	}
	if err != nil {
		return 0, nil, err
	}
	if passwordConn == "" {
		passwordConn = user.Connection
	}
	if _, err := g.st.GetConnectionByName(ctx, passwordConn); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return invalid("The user does not have a database connection password to change.")
		}
		return 0, nil, err
	}
	ttl := domain.DefaultTicketLifetime
	if b.TTLSec != nil && *b.TTLSec > 0 {
		ttl = time.Duration(*b.TTLSec) * time.Second
	}
	now := g.now().UTC()
	secret, hash := domain.NewTicket()
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketPasswordReset, UserID: user.UserID, CreatedAt: now,
		ExpiresAt: now.Add(ttl), ClientID: b.ClientID, ResultURL: b.ResultURL, IncludeEmail: b.IncludeEmailInRedirect,
		MarkEmailVerified: b.MarkEmailAsVerified, Identity: identity}
	if err := g.st.CreateTicket(ctx, t); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"ticket": domain.ResetPasswordURL(g.issuer, secret)}, nil
}

// emailVerificationBody is Auth0's PostEmailVerificationRequest. identity and organization_id
// belong to features Gatehouse does not have yet and are refused rather than ignored.
type emailVerificationBody struct {
	UserID                 string  `json:"user_id"`
	ClientID               string  `json:"client_id"`
	ResultURL              string  `json:"result_url"`
	TTLSec                 *int64  `json:"ttl_sec"`
	IncludeEmailInRedirect bool    `json:"includeEmailInRedirect"`
	OrganizationID         *string `json:"organization_id"`
	Identity               any     `json:"identity"`
}

// emailVerification is POST /tickets/email-verification: a verification link for an
// administrator to hand to a user. Like Auth0, it sends no mail.
func (g *tickets) emailVerification(c *call) (int, any, error) {
	var b emailVerificationBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	invalid := func(msg string) (int, any, error) {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "%s", msg)
	}
	switch {
	case b.OrganizationID != nil || b.Identity != nil:
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "organization_id and identity are not supported.")
	case b.UserID == "":
		return invalid("Payload validation error: 'Missing required property: user_id'.")
	case b.ResultURL != "" && b.ClientID != "":
		return invalid("Payload validation error: result_url cannot be specified with client_id.")
	case b.TTLSec != nil && (*b.TTLSec < 0 || time.Duration(*b.TTLSec)*time.Second > domain.MaxTicketLifetime):
		return invalid("Payload validation error: ttl_sec must be between 0 and 2592000.")
	}
	if b.ResultURL != "" {
		if u, err := url.Parse(b.ResultURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || strings.ContainsAny(b.ResultURL, "\r\n") {
			return invalid("Payload validation error: result_url must be an absolute http(s) URL.")
		}
	}
	ctx := c.ctx()
	if b.ClientID != "" {
		if _, err := load(ctx, g.st.GetClient, b.ClientID, nfClient); err != nil {
			return 0, nil, err
		}
	}
	user, err := load(ctx, g.st.GetUser, b.UserID, nfUser)
	if err != nil {
		return 0, nil, err
	}
	if user.Email == "" {
		return invalid("The user does not have an email address to verify.")
	}
	ttl := domain.DefaultTicketLifetime
	if b.TTLSec != nil && *b.TTLSec > 0 {
		ttl = time.Duration(*b.TTLSec) * time.Second
	}
	now := g.now().UTC()
	secret, hash := domain.NewTicket()
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketEmailVerification, UserID: user.UserID, CreatedAt: now,
		ExpiresAt: now.Add(ttl), ClientID: b.ClientID, ResultURL: b.ResultURL, IncludeEmail: b.IncludeEmailInRedirect,
		Email: user.Email}
	if err := g.st.CreateTicket(ctx, t); err != nil {
		return 0, nil, err
	}
	return http.StatusCreated, map[string]string{"ticket": domain.EmailVerificationURL(g.issuer, secret)}, nil
}
