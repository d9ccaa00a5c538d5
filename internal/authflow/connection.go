package authflow

import (
	"context"
	"fmt"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/guard"
	"github.com/gatehouse/gatehouse/internal/passwordpolicy"
	"github.com/gatehouse/gatehouse/web"
)

// Messages of the database connection's rules on the hosted forms.
const (
	// MsgSignupDisabled is shown when the connection has disable_signup.
	MsgSignupDisabled = "Sign up is not available. Ask an administrator for an account."
	// MsgConnectionDisabled is shown when the connection is not enabled for the application.
	MsgConnectionDisabled = "This application does not accept sign-in with a password."
	msgUsernameRequired   = "Please choose a username."
	// MsgOrganizationNoPassword is shown when the organization signed in through has not enabled
	// the database connection.
	MsgOrganizationNoPassword = "This organization does not accept sign-in with a password."
)

// databaseConnection is the connection the hosted pages sign in and sign up with: the tenant's
// default directory (the only database connection the pages offer).
func (h *Handler) databaseConnection(ctx context.Context) (*domain.Connection, error) {
	c, err := h.store.GetConnectionByName(ctx, domain.DefaultConnection)
	if err != nil {
		return nil, fmt.Errorf("database connection: %w", err)
	}
	return c, nil
}

// guardFor is the brute-force protection that applies to conn: none when the connection turned it
// off (Auth0's brute_force_protection option).
func (h *Handler) guardFor(conn *domain.Connection) *guard.BruteForce {
	if conn == nil || !conn.Options.BruteForceProtection {
		return nil
	}
	return h.bruteForce
}

// policyRules lists conn's password rules for a page, checked against rep when a password was refused.
func policyRules(p *passwordpolicy.Policy, rep *passwordpolicy.Report) []web.PolicyRule {
	lines := p.Lines(rep)
	out := make([]web.PolicyRule, len(lines))
	for i, l := range lines {
		out[i] = web.PolicyRule{Text: l.Text, Nested: l.Depth > 0, Checked: l.Checked, Met: l.Met}
	}
	return out
}
