package grant

import (
	"context"
	"errors"
	"net/http"

	"github.com/gatehouse/gatehouse/internal/domain"
	"github.com/gatehouse/gatehouse/internal/oauth/protocol"
	"github.com/gatehouse/gatehouse/internal/store"
	"github.com/gatehouse/gatehouse/internal/trigger"
)

// mfaRequired refuses a password exchange that the tenant's MFA policy or a post-login Action's
// api.multifactor.enable says needs a second factor: the password alone must not yield tokens
// there. As Auth0, the answer is 403 mfa_required with an mfa_token: the key to the MFA API
// (/mfa/authenticators, /mfa/associate, /mfa/challenge) and to the MFA grants, bound to this
// client, this user and what the exchange asked for, valid domain.MFATokenLifetime and spent by the
// grant that completes the exchange. Only its hash is stored.
func (d *Deps) mfaRequired(ctx context.Context, tk *trigger.Tokens, c *domain.Client, u *domain.User, s signIn) *protocol.Error {
	g, err := d.Store.GetGuardianSettings(ctx)
	if err != nil {
		return protocol.ServerError(err)
	}
	if !g.AnswerableFactor() {
		return nil
	}
	byPolicy := g.AlwaysMFA() && (tk.MFA == nil || tk.MFA.Provider != "none")
	if !byPolicy && !tk.MFA.Required() {
		return nil
	}
	e := protocol.NewError(http.StatusForbidden, "mfa_required", "Multifactor authentication required")
	if d.MFA == nil {
		return e
	}
	secret, hash := domain.NewTicket()
	t := &domain.Ticket{Hash: hash, Kind: domain.TicketMFAToken, UserID: u.UserID, CreatedAt: s.now, ExpiresAt: s.now.Add(domain.MFATokenLifetime),
		ClientID: c.ClientID, Scope: s.scope, Connection: s.connection}
	if s.api != nil {
		t.Audience = s.api.Identifier
	}
	if err := d.Store.CreateTicket(ctx, t); err != nil {
		return protocol.ServerError(err)
	}
	e.MFAToken = secret
	return e
}

// Auth0's answers about an mfa_token.
const (
	DescMalformedMFAToken = "Malformed mfa_token"
	DescExpiredMFAToken   = "mfa_token is expired"
)

// MFAToken finds the live mfa_token secret of client c: never one of another client, spent or
// expired (each answered invalid_grant with Auth0's description, 403).
func (d *Deps) MFAToken(ctx context.Context, secret string, c *domain.Client) (*domain.Ticket, *protocol.Error) {
	if secret == "" {
		return nil, protocol.MissingParameter("mfa_token")
	}
	t, err := d.Store.GetTicket(ctx, domain.HashSecret(secret))
	if errors.Is(err, store.ErrNotFound) {
		return nil, protocol.NewError(http.StatusForbidden, "invalid_grant", DescMalformedMFAToken)
	}
	if err != nil {
		return nil, protocol.ServerError(err)
	}
	if t.Kind != domain.TicketMFAToken || (c != nil && t.ClientID != c.ClientID) {
		return nil, protocol.NewError(http.StatusForbidden, "invalid_grant", DescMalformedMFAToken)
	}
	if !t.Usable(d.now().UTC()) {
		return nil, protocol.NewError(http.StatusForbidden, "invalid_grant", DescExpiredMFAToken)
	}
	return t, nil
}
