package mgmt

import (
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/store"
)

// guardianEnrollments serves Guardian enrollment tickets (/guardian/enrollments/ticket: a link
// that lets one user enroll an authenticator app once, without signing in) and single enrollments
// by id (/guardian/enrollments/{id}). Like the other tickets it sends no mail: the answer carries
// the link for the administrator to hand over.
type guardianEnrollments struct {
	st     store.Store
	issuer string
	now    func() time.Time
}

func (h *Handler) guardianEnrollmentRoutes() []route {
	g := &guardianEnrollments{st: h.st, issuer: h.opts.Issuer, now: h.now}
	return []route{
		{method: "POST", path: "/guardian/enrollments/ticket", scopes: []string{"create:guardian_enrollment_tickets"},
			desc: "Create a multi-factor authentication enrollment ticket", fn: g.createTicket},
		{method: "GET", path: "/guardian/enrollments/{id}", scopes: []string{"read:guardian_enrollments"}, fn: g.get},
		{method: "DELETE", path: "/guardian/enrollments/{id}", scopes: []string{"delete:guardian_enrollments"},
			desc: "Delete a multi-factor authentication enrollment", fn: g.delete},
	}
}

// enrollmentTicketBody is Auth0's CreateGuardianEnrollmentTicket request.
type enrollmentTicketBody struct {
	UserID                   string  `json:"user_id"`
	Email                    string  `json:"email"`
	SendMail                 bool    `json:"send_mail"`
	EmailLocale              string  `json:"email_locale"`
	Factor                   string  `json:"factor"`
	AllowMultipleEnrollments bool    `json:"allow_multiple_enrollments"`
	TTLSec                   *int64  `json:"ttl_sec"`
	OrganizationID           *string `json:"organization_id"`
}

// createTicket is POST /guardian/enrollments/ticket → {ticket_id, ticket_url}. The link enrolls
// an authenticator app (factor otp, the one a link can enroll without a signed-in session).
func (g *guardianEnrollments) createTicket(c *call) (int, any, error) {
	var b enrollmentTicketBody
	if err := c.decode(&b); err != nil {
		return 0, nil, err
	}
	invalid := func(msg string) (int, any, error) {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "%s", msg)
	}
	switch {
	case b.UserID == "":
		return invalid("Payload validation error: 'Missing required property: user_id'.")
	case b.SendMail:
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "send_mail is not supported: hand the ticket_url to the user.")
	case b.OrganizationID != nil:
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "organization_id is not supported.")
	case b.Factor != "" && b.Factor != domain.FactorOTP:
		return 0, nil, refuse(http.StatusBadRequest, codeNotSupported, "An enrollment ticket enrolls the otp factor only.")
	case b.TTLSec != nil && (*b.TTLSec < 0 || time.Duration(*b.TTLSec)*time.Second > domain.MaxTicketLifetime):
		return invalid("Payload validation error: ttl_sec must be between 0 and 2592000.")
	}
	ctx := c.ctx()
	user, err := load(ctx, g.st.GetUser, b.UserID, nfUser)
	if err != nil {
		return 0, nil, err
	}
	if b.Email != "" && domain.NormalizeEmail(b.Email) != user.Email {
		return invalid("The email does not belong to the user.")
	}
	settings, err := g.st.GetGuardianSettings(ctx)
	if err != nil {
		return 0, nil, err
	}
	if !settings.Enabled[domain.FactorOTP] {
		return 0, nil, refuse(http.StatusBadRequest, codeInvalidBody, "The otp factor is not enabled.")
	}
	if !b.AllowMultipleEnrollments {
		list, err := g.st.ListMFAAuthenticators(ctx, user.UserID)
		if err != nil {
			return 0, nil, err
		}
		for _, a := range list {
			if a.Confirmed && a.Type == domain.MethodTOTP {
				return 0, nil, refuse(http.StatusConflict, "user_already_enrolled", "The user is already enrolled (allow_multiple_enrollments is false).")
			}
		}
	}
	ttl := domain.GuardianTicketLifetime
	if b.TTLSec != nil && *b.TTLSec > 0 {
		ttl = time.Duration(*b.TTLSec) * time.Second
	}
	now := g.now().UTC()
	secret, hash := domain.NewTicket()
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketGuardianEnrollment, UserID: user.UserID, CreatedAt: now, ExpiresAt: now.Add(ttl)}
	if err := g.st.CreateTicket(ctx, t); err != nil {
		return 0, nil, err
	}
	return http.StatusOK, map[string]string{"ticket_id": hex.EncodeToString(hash[:12]), "ticket_url": domain.GuardianEnrollmentURL(g.issuer, secret)}, nil
}

var nfEnrollment = &apiError{http.StatusNotFound, "inexistent_enrollment", "Enrollment not found."}

// enrollment loads the authenticator app the path names: enrollments are a user's TOTP apps.
func (g *guardianEnrollments) enrollment(c *call) (*domain.MFAAuthenticator, error) {
	a, err := g.st.GetMFAAuthenticatorByID(c.ctx(), c.r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) || (err == nil && a.Type != domain.MethodTOTP) {
		return nil, nfEnrollment
	}
	return a, err
}

func (g *guardianEnrollments) get(c *call) (int, any, error) {
	a, err := g.enrollment(c)
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, enrollmentView(a), nil
}

// delete removes one enrollment; as with authentication-methods, removing a user's last factor
// also removes their recovery code, which only stands in for a lost factor.
func (g *guardianEnrollments) delete(c *call) (int, any, error) {
	a, err := g.enrollment(c)
	if err != nil {
		return 0, nil, err
	}
	if err := (&guardian{st: g.st}).deleteFactor(c, a.UserID, a.ID); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return 0, nil, nfEnrollment
		}
		return 0, nil, err
	}
	return http.StatusNoContent, nil, nil
}
